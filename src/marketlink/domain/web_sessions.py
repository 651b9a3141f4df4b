"""Browser sessions of marketplace users: started by a login, ended by logout or expiry.

The cookie carries a random token (256 bits); the table keeps only its keyed hash as the
session's id, so the token is the only proof and a copy of the table proves nothing. Later
sign-in flows (OpenID Connect authorize, SAML, My Apps) read the session through
:func:`signed_in` and protect their forms with :func:`session_csrf_token`.
"""

import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.crypto import random_secret
from marketlink.domain.models import User
from marketlink.domain.services import Services
from marketlink.storage import logins as store

MAX_TOKEN_LENGTH = 100


@dataclass(frozen=True)
class WebSession:
    id: str  # the keyed hash of the cookie's token
    user_id: str
    created_on: int  # when the user logged in (the id_token's auth_time)
    expires_on: int
    sid: str  # the OpenID provider's session id: kept when the same user logs in again


@dataclass(frozen=True)
class NewSession:
    token: str  # for the cookie; not stored anywhere
    session: WebSession


@dataclass(frozen=True)
class SignedIn:
    session: WebSession
    user: User


async def start_session(conn: AsyncConnection, services: Services, user_id: str,
                        sid: str | None = None) -> NewSession:
    """A session for the user, valid for ``session_hours``, continuing the OpenID session
    ``sid`` if given (a re-authentication), else a new one. Expired sessions (everyone's) are
    removed, and the user keeps at most ``max_sessions_per_user``: the oldest go."""
    now, settings = services.clock.now_ms(), services.settings
    token = random_secret()
    session = WebSession(services.keyring.keyed_hash(token), user_id, now,
                         now + int(settings.session_hours * 3_600_000), sid or secrets.token_hex(16))
    await store.delete_expired_sessions(conn, now)
    await store.insert_session(conn, {"id": session.id, "user_id": user_id, "created_on": now,
                                      "expires_on": session.expires_on, "sid": session.sid})
    await store.delete_sessions_beyond(conn, user_id, settings.max_sessions_per_user)
    return NewSession(token, session)


async def signed_in(conn: AsyncConnection, services: Services,
                    token: str | None) -> SignedIn | None:
    """The live session the token opens and its user; None for a missing, unknown, ended or
    expired one."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    now = services.clock.now_ms()
    row = await store.live_session(conn, services.keyring.keyed_hash(token), now)
    if row is None:
        return None
    session = WebSession(row["session_id"], row["id"], row["session_created_on"],
                         row["session_expires_on"], row["session_sid"])
    return SignedIn(session, User.from_row(row))


async def end_session(conn: AsyncConnection, services: Services, token: str) -> None:
    """Log out: the token opens nothing from now on."""
    if len(token) <= MAX_TOKEN_LENGTH:
        await store.delete_session(conn, services.keyring.keyed_hash(token))


async def sid_in_use(conn: AsyncConnection, sid: str) -> bool:
    """Whether a live session still carries this OpenID session id."""
    return await store.session_with_sid_exists(conn, sid)


def session_csrf_token(services: Services, session: WebSession) -> str:
    """The anti-forgery token of every form shown in this session."""
    return services.keyring.csrf_token("session:" + session.id)
