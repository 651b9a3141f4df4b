"""``GET /login``, ``POST /login`` and ``POST /logout``.

The login form is posted before there is a session, so its anti-forgery token is bound to a
random value in a ``marketlink_login`` cookie (HttpOnly, SameSite=Lax, path /login): a page
on another site can neither read the token nor make the browser send the cookie with its POST.
"""

import re
import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from marketlink.domain.logins import MAX_EMAIL_LENGTH, LoginAttempt, Logins
from marketlink.domain.web_sessions import SignedIn, end_session
from marketlink.sso.oidc.logout import BackChannelLogout
from marketlink.web.auth import (
    SESSION_COOKIE,
    clear_session_cookie,
    current_session,
    read_form,
    secure_cookies,
    session_form_is_genuine,
    set_session_cookie,
)
from marketlink.web.pages import forbidden, page
from marketlink.web.redirects import safe_next

LOGIN_COOKIE = "marketlink_login"
_LOGIN_BINDING = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


class LoginPages:
    def __init__(self, logins: Logins, sign_outs: BackChannelLogout) -> None:
        self.logins, self.services, self.sign_outs = logins, logins.services, sign_outs
        minutes = max(1, round(self.services.settings.login_window_s / 60))
        # One message for every refusal: it must not tell an unknown email from a wrong
        # password, nor a throttled attempt from either.
        self.refusal = (f"Incorrect email or password. After repeated failures, logging in "
                        f"pauses for {minutes} minutes.")

    async def show(self, request: Request) -> Response:
        """The form; a signed-in user goes straight on to ``next``, unless the page that sent
        them asks for the password again (``reauth=1``: OpenID ``prompt=login``, ``max_age``)."""
        next_path = safe_next(request.query_params.get("next"))
        signed = await current_session(request)
        if signed is not None and request.query_params.get("reauth") != "1":
            return RedirectResponse(next_path, status_code=303)
        return self._form(request, next_path, email=signed.user.email if signed else "",
                          reauth=signed is not None)

    async def submit(self, request: Request) -> Response:
        form = await read_form(request)
        binding = _login_binding(request)
        if binding is None or not self.services.keyring.csrf_matches(
                "login:" + binding, form.get("csrf_token", "")):
            return forbidden()
        next_path = safe_next(form.get("next"))
        email = form.get("email", "")
        signed = await current_session(request)
        new = await self.logins.log_in(
            LoginAttempt(email, form.get("password", ""), request.client.host if request.client else ""),
            replacing=signed.session if signed else None)
        if new is None:
            return self._form(request, next_path, email=email, error=self.refusal)
        await self._end(request, signed)
        response = RedirectResponse(next_path, status_code=303)
        # The login cookie stays: another tab's login form, open since before, still works.
        set_session_cookie(response, self.services.settings, new, self.services.clock.now_ms())
        return response

    async def log_out(self, request: Request) -> Response:
        signed = await current_session(request)
        if signed is not None:
            if not session_form_is_genuine(request, signed, await read_form(request)):
                return forbidden()
            await self._end(request, signed)
        response = RedirectResponse("/login", status_code=303)
        clear_session_cookie(response, self.services.settings)
        return response

    def _form(self, request: Request, next_path: str, *, email: str = "",
              error: str | None = None, reauth: bool = False) -> Response:
        binding = _login_binding(request) or secrets.token_urlsafe(32)
        response = page("login.html", status_code=400 if error else 200, error=error,
                        csrf_token=self.services.keyring.csrf_token("login:" + binding),
                        next=next_path, email=email[:MAX_EMAIL_LENGTH], reauth=reauth)
        if binding != request.cookies.get(LOGIN_COOKIE):
            response.set_cookie(LOGIN_COOKIE, binding, path="/login", httponly=True, samesite="lax",
                                secure=secure_cookies(self.services.settings))
        return response

    async def _end(self, request: Request, signed: SignedIn | None) -> None:
        """End the session the browser holds, if any (logout, or a new login replaces it),
        and what it signed in to (``BackChannelLogout``; nothing while a new login of the same
        user carries its OpenID session on)."""
        if token := request.cookies.get(SESSION_COOKIE):
            async with self.logins.db.write() as conn:
                await end_session(conn, self.services, token)
        if signed is not None:
            await self.sign_outs.session_ended(signed.session.sid)


def _login_binding(request: Request) -> str | None:
    value = request.cookies.get(LOGIN_COOKIE, "")
    return value if _LOGIN_BINDING.fullmatch(value) else None
