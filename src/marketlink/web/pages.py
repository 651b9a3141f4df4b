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


def page(template: str, status_code: int = 200, **context: object) -> HTMLResponse:
    html = _TEMPLATES.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)


def forbidden() -> HTMLResponse:
    """The answer to a form whose anti-forgery token is missing or wrong (nothing was done)."""
    return page("forbidden.html", status_code=403)
