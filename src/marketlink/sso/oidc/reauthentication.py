"""``prompt=login`` and ``max_age`` (OpenID Connect Core §3.1.2.1): when a relying party asks
for a login more recent than the session's, the user enters the password again (the login
page with ``reauth=1``) and comes back to the authorization request without ``prompt=login``.
A re-authentication of the same user keeps the OpenID session (``sid``), so it logs the user
out of nothing."""

from urllib.parse import urlencode

from authlib.oauth2.rfc6749 import InvalidRequestError

from marketlink.web.auth import login_url

MAX_MAX_AGE_S = 10 * 365 * 86_400


def max_age_of(value: str | None) -> int | None:
    """``max_age`` in seconds, None when absent; ``InvalidRequestError`` unless it is a
    non-negative integer (written in ASCII digits)."""
    if value is None or value == "":
        return None
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_MAX_AGE_S:
        raise InvalidRequestError("'max_age' must be a number of seconds.")
    return int(value)


def needs_fresh_login(prompt: str | None, max_age_s: int | None, auth_time_ms: int,
                      now_ms: int) -> bool:
    """Whether the session's login is not good enough for this request."""
    if "login" in (prompt or "").split():
        return True
    return max_age_s is not None and now_ms - auth_time_ms > max_age_s * 1000


def reauthentication_url(path: str, query: list[tuple[str, str]]) -> str:
    """The login page asking for the password again, then back to the same authorization
    request without ``login`` in its ``prompt`` (else it would ask forever)."""
    again: list[tuple[str, str]] = []
    for name, value in query:
        if name == "prompt":
            value = " ".join(p for p in value.split() if p != "login")
            if not value:
                continue
        again.append((name, value))
    return login_url(path + ("?" + urlencode(again) if again else "")) + "&reauth=1"
