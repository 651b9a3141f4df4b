"""Run Alembic migrations on the configured database (both SQLite and PostgreSQL)."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from marketlink.storage.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def migrate(db: Database, revision: str = "head") -> None:
    """Upgrade the schema to ``revision``; a no-op when it is already there."""
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda sync_conn: command.upgrade(alembic_config(sync_conn), revision))


def head_revision() -> str | None:
    """The newest migration this code has."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(db: Database) -> str | None:
    """The migration the database is at (None before the first)."""
    async with db.engine.connect() as conn:
        return await conn.run_sync(
            lambda sync_conn: MigrationContext.configure(sync_conn).get_current_revision())


async def schema_is_current(db: Database) -> bool:
    """True when the database is at the newest migration (``marketlink migrate`` was run)."""
    return await current_revision(db) == head_revision()
