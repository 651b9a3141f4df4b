"""``GET /``: who is logged in, and the logout button (the My Apps page will replace it)."""

from starlette.requests import Request
from starlette.responses import Response

from marketlink.web.auth import current_session, form_csrf_token, login_required
from marketlink.web.pages import page


@login_required
async def home(request: Request) -> Response:
    signed = await current_session(request)
    assert signed is not None  # login_required
    return page("home.html", user=signed.user, csrf_token=form_csrf_token(request, signed))
