"""The two pages of the SAML IdP: the form that carries a Response to the service provider's
ACS, and the page that says why we answered nothing.

The login layer's pages allow no script and post forms only to us
(``form-action 'self'``). The carrying form needs both relaxed, for this page only:
- one script, allowed by its SHA-256 hash (``script-src 'sha256-...'``): the script is a
  constant, so no nonce has to be made and threaded per response; nothing else may run. With
  scripts off, the ``<noscript>`` button submits the same form.
- no ``form-action``: the form posts to the configured ACS on another site, and browsers also
  apply ``form-action`` to the redirects that follow, which many SPs do across their own hosts.
  The page holds no input of the visitor's and every value is escaped, so the directive would
  guard nothing here.
"""

import base64
import hashlib

from starlette.responses import HTMLResponse

from marketlink.web.pages import page

AUTO_SUBMIT = "document.forms[0].submit();"
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(AUTO_SUBMIT.encode()).digest()).decode()
POST_FORM_CSP = (f"default-src 'none'; script-src '{SCRIPT_HASH}'; style-src 'unsafe-inline'; "
                 "frame-ancestors 'none'; base-uri 'none'")


def post_form(action: str, field: str, value: str, relay_state: str | None) -> HTMLResponse:
    response = page("saml_post.html", action=action, field=field, value=value,
                    relay_state=relay_state, script=AUTO_SUBMIT)
    response.headers["Content-Security-Policy"] = POST_FORM_CSP
    return response


def refused(status_code: int, message: str) -> HTMLResponse:
    return page("saml_error.html", status_code=status_code, message=message)
