"""Who may see a console page: ``console_page`` wraps every console endpoint.

    @console_page
    async def integrations(request: Request, user: ConsoleUser) -> Response:
        async with request.app.state.db.read() as conn:
            ...  # domain calls with user.actor
        return render(request, user, "console/integrations.html", items=...)

Anonymous visitors go to the login page (and come back); a logged-in user without a console
role gets 403; a POST must carry the session's anti-forgery token (403 otherwise, before
anything is read or written) and its fields arrive in ``user.form``. Objects of another
vendor are the endpoint's business: it answers ``not_found(request, user)`` (404), exactly as
for an id that does not exist.
"""

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from marketlink.domain.actors import Actor
from marketlink.domain.console_access import console_actor
from marketlink.domain.web_sessions import SignedIn
from marketlink.web.auth import (
    current_session,
    form_csrf_token,
    login_required,
    read_form,
    session_form_is_genuine,
)
from marketlink.web.pages import CONSOLE_HEADERS, forbidden, page

MAX_CONSOLE_FORM_FIELDS = 100


@dataclass(frozen=True)
class ConsoleUser:
    signed: SignedIn
    actor: Actor
    csrf_token: str
    form: dict[str, str] = field(default_factory=dict)  # the posted fields of a POST

    @property
    def is_admin(self) -> bool:
        return self.actor.is_admin


ConsoleEndpoint = Callable[[Request, ConsoleUser], Awaitable[Response]]


def console_page(endpoint: ConsoleEndpoint) -> Callable[[Request], Awaitable[Response]]:
    @login_required
    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        signed = await current_session(request)
        assert signed is not None  # login_required
        async with request.app.state.db.read() as conn:
            actor = await console_actor(conn, signed.user.id)
        if actor is None:
            return page("console/no_access.html", status_code=403, headers=CONSOLE_HEADERS,
                        user=signed.user)
        form: dict[str, str] = {}
        if request.method == "POST":
            form = await read_form(request, MAX_CONSOLE_FORM_FIELDS)
            if not session_form_is_genuine(request, signed, form):
                return forbidden()
        user = ConsoleUser(signed, actor, form_csrf_token(request, signed), form)
        return await endpoint(request, user)

    return guarded


def render(request: Request, user: ConsoleUser, template: str, status_code: int = 200,
           **context: object) -> HTMLResponse:
    """A console page: the template gets ``user`` (a ``ConsoleUser``), ``csrf_token`` for its
    forms and ``path`` (for the navigation's current item) besides ``context``."""
    return page(template, status_code=status_code, headers=CONSOLE_HEADERS, user=user,
                csrf_token=user.csrf_token, path=request.url.path, **context)


def fragment(template: str, status_code: int = 200, **context: object) -> HTMLResponse:
    """A piece of a page that ``console.js`` swaps in (live updates): same headers."""
    return page(template, status_code=status_code, headers=CONSOLE_HEADERS, **context)


def not_found(request: Request, user: ConsoleUser) -> HTMLResponse:
    """What another vendor's object, or a missing one, looks like."""
    return render(request, user, "console/not_found.html", status_code=404)
