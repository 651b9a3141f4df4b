"""``GET /``: My Apps, the apps of the logged-in user (SPEC §5), and the logout button;
``GET /apps/{subscription_id}/launch``: where a tile leads (``domain/my_apps.py``)."""

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from marketlink.domain.ids import normalized_id
from marketlink.domain.my_apps import app_of, my_apps
from marketlink.web.auth import current_session, form_csrf_token, login_required, services_of
from marketlink.web.pages import page


@login_required
async def home(request: Request) -> Response:
    signed = await current_session(request)
    assert signed is not None  # login_required
    async with request.app.state.db.read() as conn:
        apps = await my_apps(conn, services_of(request), signed.user)
    return page("home.html", user=signed.user, apps=apps, csrf_token=form_csrf_token(request, signed))


@login_required
async def launch(request: Request) -> Response:
    """Off to the app; 404 for an app that is not the user's (or does not exist)."""
    signed = await current_session(request)
    assert signed is not None
    subscription_id = normalized_id(request.path_params["subscription_id"])
    tile = None
    if subscription_id:
        async with request.app.state.db.read() as conn:
            tile = await app_of(conn, services_of(request), signed.user, subscription_id)
    if tile is None:
        return page("not_found.html", status_code=404)
    if tile.launch_url is None:
        return page("not_found.html", status_code=404, message=tile.problem)
    return RedirectResponse(tile.launch_url, status_code=303)
