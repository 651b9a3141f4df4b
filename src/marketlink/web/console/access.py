"""Who may see a console page: ``console_page`` wraps every console endpoint.

    @console_page
    async def integrations(request: Request, user: ConsoleUser) -> Response:
        async with request.app.state.db.read() as conn:
            ...  # domain calls with user.actor
        return render(request, user, "console/integrations.html", items=...)

Anonymous visitors go to the login page (and come back); a logged-in user without a console
role gets 403, and so does a role the page is not for (``console_page`` is for ADMIN and
DEVELOPER; ``console_page_for(EVERY_ROLE)`` also lets a COMPANY_ADMIN in, whose console is the
subscriptions of its company: ADR 0014); a POST must carry the session's anti-forgery token (403 otherwise, before
anything is read or written) and its fields arrive in ``user.form``. Objects of another
vendor are the endpoint's business: it answers ``not_found(request, user)`` (404), exactly as
for an id that does not exist.
"""

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from marketlink.domain.actors import Actor, Role
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
VENDOR_SIDE = frozenset({Role.ADMIN, Role.DEVELOPER})
EVERY_ROLE = frozenset(Role)
# The navigation: (path, label, the roles it is for).
AREAS = (("/console/integrations", "Integrations", VENDOR_SIDE),
         ("/console/events", "Event log", VENDOR_SIDE),
         ("/console/subscriptions", "Subscriptions", EVERY_ROLE))


@dataclass(frozen=True)
class ConsoleUser:
    signed: SignedIn
    actor: Actor
    csrf_token: str
    form: dict[str, str] = field(default_factory=dict)  # the posted fields of a POST

    @property
    def is_admin(self) -> bool:
        return self.actor.is_admin

    @property
    def navigation(self) -> list[tuple[str, str]]:
        """(path, label) of the console's areas this user's role may open."""
        return [(path, label) for path, label, roles in AREAS if self.actor.role in roles]

    @property
    def home(self) -> str:
        """Where ``/console`` leads: the first area of the navigation."""
        return self.navigation[0][0]


ConsoleEndpoint = Callable[[Request, ConsoleUser], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def console_page(endpoint: ConsoleEndpoint) -> Endpoint:
    """A page of the vendor side of the console: ADMIN and DEVELOPER."""
    return console_page_for(VENDOR_SIDE)(endpoint)


def console_page_for(roles: frozenset[Role]) -> Callable[[ConsoleEndpoint], Endpoint]:
    """A console page for these roles; any other role gets 403 (before a form is read): the
    refusal is about the role, not about an object, so it is not a 404."""
    def decorate(endpoint: ConsoleEndpoint) -> Endpoint:
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
            csrf_token = form_csrf_token(request, signed)
            if actor.role not in roles:
                return render(request, ConsoleUser(signed, actor, csrf_token),
                              "console/role_refused.html", status_code=403)
            form: dict[str, str] = {}
            if request.method == "POST":
                form = await read_form(request, MAX_CONSOLE_FORM_FIELDS)
                if not session_form_is_genuine(request, signed, form):
                    return forbidden()
            return await endpoint(request, ConsoleUser(signed, actor, csrf_token, form))

        return guarded

    return decorate


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
