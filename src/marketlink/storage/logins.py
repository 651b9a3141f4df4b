"""Queries on password hashes and web sessions."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.storage.tables import user_credentials, users, web_sessions

Row = Mapping[str, Any]


async def user_for_update(conn: AsyncConnection, email: str) -> Row | None:
    """The user with this (normalized) email, locked until the end of the transaction on
    PostgreSQL, so that two password changes of one user run one after the other."""
    query = select(users).where(users.c.email == email).with_for_update()
    return (await conn.execute(query)).mappings().first()


async def password_hash_of(conn: AsyncConnection, user_id: str) -> str | None:
    query = select(user_credentials.c.password_hash).where(user_credentials.c.user_id == user_id)
    return (await conn.execute(query)).scalar()


async def credential_by_email(conn: AsyncConnection, email: str) -> Row | None:
    """The user's id and password hash; None when there is no such user or no password."""
    query = (select(users.c.id.label("user_id"), user_credentials.c.password_hash)
             .join(user_credentials, user_credentials.c.user_id == users.c.id)
             .where(users.c.email == email))
    return (await conn.execute(query)).mappings().first()


async def save_password_hash(conn: AsyncConnection, user_id: str, password_hash: str,
                             now_ms: int) -> None:
    """Insert or replace the user's hash (the caller holds the user's row lock)."""
    values = {"password_hash": password_hash, "changed_on": now_ms}
    changed = await conn.execute(user_credentials.update()
                                 .where(user_credentials.c.user_id == user_id).values(values))
    if changed.rowcount == 0:
        await conn.execute(user_credentials.insert(), values | {"user_id": user_id})


async def replace_password_hash(conn: AsyncConnection, user_id: str, old_hash: str,
                                new_hash: str, now_ms: int) -> bool:
    """Swap ``old_hash`` for ``new_hash`` only if it is still the stored one."""
    changed = await conn.execute(
        user_credentials.update()
        .where(user_credentials.c.user_id == user_id, user_credentials.c.password_hash == old_hash)
        .values(password_hash=new_hash, changed_on=now_ms))
    return changed.rowcount == 1


async def insert_session(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(web_sessions.insert(), values)


async def live_session(conn: AsyncConnection, session_id: str, now_ms: int) -> Row | None:
    """The session (``session_*`` columns) and its user's columns, if it has not expired."""
    query = (select(web_sessions.c.id.label("session_id"),
                    web_sessions.c.created_on.label("session_created_on"),
                    web_sessions.c.expires_on.label("session_expires_on"),
                    web_sessions.c.sid.label("session_sid"), users)
             .join(users, users.c.id == web_sessions.c.user_id)
             .where(web_sessions.c.id == session_id, web_sessions.c.expires_on > now_ms))
    return (await conn.execute(query)).mappings().first()


async def session_with_sid_exists(conn: AsyncConnection, sid: str) -> bool:
    query = select(web_sessions.c.id).where(web_sessions.c.sid == sid).limit(1)
    return (await conn.execute(query)).first() is not None


async def delete_session(conn: AsyncConnection, session_id: str) -> None:
    await conn.execute(delete(web_sessions).where(web_sessions.c.id == session_id))


async def delete_user_sessions(conn: AsyncConnection, user_id: str) -> None:
    await conn.execute(delete(web_sessions).where(web_sessions.c.user_id == user_id))


async def delete_expired_sessions(conn: AsyncConnection, now_ms: int) -> None:
    await conn.execute(delete(web_sessions).where(web_sessions.c.expires_on <= now_ms))


async def delete_sessions_beyond(conn: AsyncConnection, user_id: str, keep: int) -> None:
    """Keep the user's ``keep`` newest sessions, delete the older ones."""
    newest = (select(web_sessions.c.id).where(web_sessions.c.user_id == user_id)
              .order_by(web_sessions.c.created_on.desc(), web_sessions.c.id.desc()).limit(keep))
    ids = list((await conn.execute(newest)).scalars())
    await conn.execute(delete(web_sessions).where(web_sessions.c.user_id == user_id,
                                                  web_sessions.c.id.not_in(ids)))
