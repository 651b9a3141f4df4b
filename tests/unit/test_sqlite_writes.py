"""SQLite on the event loop's thread: a writer that finds another connection holding the
database waits without blocking the loop, and gives up after the configured wait."""

import asyncio
import sqlite3
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from marketlink.storage import database as database_module
from marketlink.storage.database import Database
from marketlink.storage.migrate import migrate


@pytest.fixture
async def sqlite_db(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    await migrate(db)
    yield db, tmp_path / "x.db"
    await db.dispose()


def hold_write_lock(path, release: threading.Event, held: threading.Event) -> None:
    """Another process's writer, played by a plain sqlite3 connection in a thread."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO vendors (id, name, created_on) VALUES ('other', 'Other', 1)")
    held.set()
    release.wait(10)
    other.execute("COMMIT")
    other.close()


async def test_writer_waits_for_another_connection_without_blocking_the_loop(sqlite_db):
    db, path = sqlite_db
    release, held = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(path, release, held))
    holder.start()
    await asyncio.to_thread(held.wait, 10)
    ticks = 0

    async def write() -> None:
        async with db.write() as conn:
            await conn.execute(text("INSERT INTO vendors (id, name, created_on) VALUES ('ours', 'Ours', 2)"))

    async def tick_then_release() -> int:
        nonlocal ticks
        while ticks < 5:
            await asyncio.sleep(0.01)
            ticks += 1
        release.set()
        return ticks

    ticked, _ = await asyncio.gather(tick_then_release(), write())
    holder.join()

    assert ticked == 5
    async with db.read() as conn:
        rows = (await conn.execute(text("SELECT id FROM vendors ORDER BY id"))).scalars().all()
    assert rows == ["other", "ours"]


async def test_writer_gives_up_after_the_lock_wait(sqlite_db, monkeypatch):
    db, path = sqlite_db
    monkeypatch.setattr(database_module, "SQLITE_LOCK_WAIT_S", 0.2)
    release, held = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(path, release, held))
    holder.start()
    await asyncio.to_thread(held.wait, 10)

    with pytest.raises(OperationalError, match="database is locked"):
        async with db.write() as conn:
            await conn.execute(text("INSERT INTO vendors (id, name, created_on) VALUES ('ours', 'Ours', 2)"))
    release.set()
    holder.join()

    async with db.read() as conn:
        rows = (await conn.execute(text("SELECT id FROM vendors ORDER BY id"))).scalars().all()
    assert rows == ["other"]


async def test_a_refused_command_rolls_back_what_it_wrote(sqlite_db):
    db, _ = sqlite_db

    class Result:
        def __init__(self, errors):
            self.errors = errors

    async def command(conn):
        await conn.execute(text("INSERT INTO vendors (id, name, created_on) VALUES ('x', 'X', 1)"))
        return Result(["a user error"])

    result = await db.command(command)

    assert result.errors == ["a user error"]
    async with db.read() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM vendors"))).scalar_one() == 0
