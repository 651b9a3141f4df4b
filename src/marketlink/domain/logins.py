"""Marketplace users log in with an email and a password (docs/adr/0011).

:meth:`Logins.log_in` answers a session or None, and callers show one message for every None:
an unknown email, a wrong password, a user without a password and a throttled attempt look the
same, and take about the same time (a decoy hash is verified when there is no real one).
No transaction is open while a hash is computed.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain import companies
from marketlink.domain.actors import Actor
from marketlink.domain.errors import Code, Outcome, error, not_found
from marketlink.domain.login_throttle import LoginThrottle, ThrottlePolicy
from marketlink.domain.models import User
from marketlink.domain.passwords import MAX_PASSWORD_LENGTH, Passwords, password_problem
from marketlink.domain.services import Services
from marketlink.domain.web_sessions import NewSession, WebSession, start_session
from marketlink.storage import logins as store
from marketlink.storage.database import Database

MAX_EMAIL_LENGTH = 320


@dataclass(frozen=True)
class LoginAttempt:
    email: str
    password: str
    client_ip: str


def normalized_email(email: str) -> str:
    """Emails are stored trimmed and lower-cased (``companies.checked_person``)."""
    return email.strip().lower()


class Logins:
    """What logging in needs besides the database: one per process (the hasher's bound and
    the throttle's memory are shared by every request)."""

    def __init__(self, db: Database, services: Services) -> None:
        self.db, self.services = db, services
        self.passwords = Passwords(services.settings)
        self.throttle = LoginThrottle(ThrottlePolicy.from_settings(services.settings))

    async def log_in(self, attempt: LoginAttempt,
                     replacing: WebSession | None = None) -> NewSession | None:
        """A new session for the user whose email and password these are, else None. When it
        replaces a session of the same user (a re-authentication), it keeps that one's
        OpenID session id."""
        email = normalized_email(attempt.email)[:MAX_EMAIL_LENGTH]
        started = self.services.clock.now_ms()
        if not self.throttle.admit(email, attempt.client_ip, started) \
                or len(attempt.password) > MAX_PASSWORD_LENGTH:
            return None
        async with self.db.read() as conn:
            found = await store.credential_by_email(conn, email)
        verdict = await self.passwords.verify(found["password_hash"] if found else None,
                                              attempt.password)
        if found is None or not verdict.matches:
            return None
        self.throttle.succeeded(email, attempt.client_ip, started)
        rehashed = await self.passwords.hash(attempt.password) if verdict.needs_rehash else None
        async with self.db.write() as conn:
            sid = replacing.sid if replacing and replacing.user_id == found["user_id"] else None
            return await self._open_session(conn, found["user_id"], found["password_hash"],
                                            rehashed, sid)

    async def _open_session(self, conn: AsyncConnection, user_id: str, verified_hash: str,
                            rehashed: str | None, sid: str | None) -> NewSession | None:
        """Start the session if the verified hash is still the stored one (a password changed
        since the check refuses the login), upgrading it to the current parameters if asked."""
        now = self.services.clock.now_ms()
        if rehashed is not None:
            current = await store.replace_password_hash(conn, user_id, verified_hash, rehashed, now)
        else:
            current = await store.password_hash_of(conn, user_id) == verified_hash
        return await start_session(conn, self.services, user_id, sid) if current else None


async def set_password(db: Database, services: Services, passwords: Passwords, email: str,
                       password: str) -> Outcome[User]:
    """Give the user a new password; every session of the user ends."""
    if problem := password_problem(password):
        return Outcome.failed(error(("password",), Code.INVALID, problem))
    password_hash = await passwords.hash(password)

    async def save(conn: AsyncConnection) -> Outcome[User]:
        row = await store.user_for_update(conn, normalized_email(email))
        if row is None:
            return Outcome.failed(not_found(("email",), "User"))
        await save_password(conn, services, row["id"], password_hash)
        return Outcome(User.from_row(row))

    return await db.command(save)


async def save_password(conn: AsyncConnection, services: Services, user_id: str,
                        password_hash: str) -> None:
    """Store the user's new hash (from :meth:`Passwords.hash`); every session of the user ends.
    On PostgreSQL the caller holds the user's row (``FOR UPDATE``) or knows nobody competes."""
    await store.save_password_hash(conn, user_id, password_hash, services.clock.now_ms())
    await store.delete_user_sessions(conn, user_id)


async def create_user_with_password(db: Database, actor: Actor, services: Services,
                                    passwords: Passwords, changes: dict[str, Any],
                                    password: str) -> Outcome[User]:
    """``companies.create_user`` and the user's password, in one transaction."""
    if problem := password_problem(password):
        return Outcome.failed(error(("password",), Code.INVALID, problem))
    password_hash = await passwords.hash(password)

    async def create(conn: AsyncConnection) -> Outcome[User]:
        created = await companies.create_user(conn, actor, services, changes)
        if created.value is not None:
            await store.save_password_hash(conn, created.value.id, password_hash,
                                           services.clock.now_ms())
        return created

    return await db.command(create)
