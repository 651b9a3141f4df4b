"""Who is signed in, for every page: the session cookie, ``current_user``, ``login_required``
and the anti-forgery check of forms posted in a session.

A page for signed-in users::

    @login_required
    async def my_apps(request):
        signed = await current_session(request)
        ...  # render with csrf_token=form_csrf_token(request, signed)

and its form handler, after ``form = await read_form(request)``, starts with
``if not session_form_is_genuine(request, signed, form): return forbidden()`` before it
writes anything.
"""

import functools
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from marketlink.config import Settings
from marketlink.domain.models import User
from marketlink.domain.services import Services
from marketlink.domain.web_sessions import NewSession, SignedIn, session_csrf_token, signed_in

SESSION_COOKIE = "marketlink_session"
MAX_FORM_FIELDS = 20
Endpoint = Callable[[Request], Awaitable[Response]]


def services_of(request: Request) -> Services:
    return request.app.state.services


async def current_session(request: Request) -> SignedIn | None:
    """The request's live session and its user (looked up once per request)."""
    if hasattr(request.state, "signed_in"):
        return request.state.signed_in
    token, signed = request.cookies.get(SESSION_COOKIE), None
    if token:
        async with request.app.state.db.read() as conn:
            signed = await signed_in(conn, services_of(request), token)
    request.state.signed_in = signed
    return signed


async def current_user(request: Request) -> User | None:
    signed = await current_session(request)
    return signed.user if signed else None


def login_url(next_path: str) -> str:
    return "/login?" + urlencode({"next": next_path})


def login_required(endpoint: Endpoint) -> Endpoint:
    """Sends anonymous visitors to the login page, which brings them back here afterwards."""
    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        if await current_session(request) is None:
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(login_url(here), status_code=303)
        return await endpoint(request)

    return guarded


def form_csrf_token(request: Request, signed: SignedIn) -> str:
    return session_csrf_token(services_of(request), signed.session)


def session_form_is_genuine(request: Request, signed: SignedIn, form: dict[str, str]) -> bool:
    """The form carries this session's anti-forgery token (``csrf_token``)."""
    return services_of(request).keyring.csrf_matches(
        "session:" + signed.session.id, form.get("csrf_token", ""))


async def read_form(request: Request, max_fields: int = MAX_FORM_FIELDS) -> dict[str, str]:
    """The posted fields as text (the body size is bounded by ``BodySizeLimit``; files and
    more than ``max_fields`` fields are refused with 400)."""
    form: FormData = await request.form(max_files=0, max_fields=max_fields)
    return {key: value for key, value in form.items() if isinstance(value, str)}


def secure_cookies(settings: Settings) -> bool:
    """Cookies are marked Secure when the service is reached over https."""
    return settings.base_url.startswith("https://")


def set_session_cookie(response: Response, settings: Settings, new: NewSession,
                       now_ms: int) -> None:
    max_age = (new.session.expires_on - now_ms) // 1000
    response.set_cookie(SESSION_COOKIE, new.token, max_age=max_age, path="/",
                        secure=secure_cookies(settings), httponly=True, samesite="lax")


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=secure_cookies(settings),
                           httponly=True, samesite="lax")
