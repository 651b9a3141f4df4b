"""HTML pages: Jinja2 templates (autoescaped) and the headers every page carries."""

import jinja2
from starlette.responses import HTMLResponse

_TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("marketlink.web", "templates"),
                                autoescape=True, undefined=jinja2.StrictUndefined)

# Pages hold forms and personal data: never cached, never framed (clickjacking), no scripts,
# forms post only to us, the Referer never leaves the site.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


# The console runs its own script (``/console/static/console.js``: live updates, copy buttons)
# and nothing else: no inline script, no other origin.
CONSOLE_HEADERS = PAGE_HEADERS | {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; connect-src 'self'; "
                               "img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}


def page(template: str, status_code: int = 200, headers: dict[str, str] | None = None,
         **context: object) -> HTMLResponse:
    html = _TEMPLATES.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=headers or PAGE_HEADERS)


def forbidden() -> HTMLResponse:
    """The answer to a form whose anti-forgery token is missing or wrong (nothing was done)."""
    return page("forbidden.html", status_code=403)
