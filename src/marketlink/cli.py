"""The ``marketlink`` command: serve, migrate, demo, token create, vendor create."""

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from marketlink.clock import SystemClock
from marketlink.config import Settings, load_settings
from marketlink.crypto import Keyring
from marketlink.domain.actors import Role
from marketlink.domain.services import Services
from marketlink.errors import SettingsError
from marketlink.storage.database import Database
from marketlink.storage.migrate import migrate as run_migrations
from marketlink.storage.migrate import schema_is_current

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        click.echo(f"marketlink: invalid setting: {exc}", err=True)
        sys.exit(2)


def _with_database(settings: Settings, work: Callable[[Database, Services], Awaitable[T]]) -> T:
    async def run() -> T:
        db = Database(settings.database_url)
        try:
            services = Services(settings, Keyring(settings.secret_key_bytes()), SystemClock())
            return await work(db, services)
        finally:
            await db.dispose()

    return asyncio.run(run())


@click.group()
def main() -> None:
    """MarketLink: the marketplace side of product integrations."""


@main.command()
@click.option("--host", default=None, help="Interface to listen on (MARKETLINK_HOST).")
@click.option("--port", default=None, type=int, help="Port to listen on (MARKETLINK_PORT).")
def serve(host: str | None, port: int | None) -> None:
    """Serve the API on http://HOST:PORT."""
    import uvicorn

    from marketlink.app import create_app
    from marketlink.logs import configure_logging

    settings = _settings()
    configure_logging(settings.log_level, settings.log_json)
    if not _with_database(settings, lambda db, _: schema_is_current(db)):
        click.echo("marketlink: the database schema is not current; run `marketlink migrate` first",
                   err=True)
        sys.exit(2)
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port,
                log_level=settings.log_level.lower(), server_header=False)


@main.command()
def worker() -> None:
    """Deliver events until interrupted (with PostgreSQL, run as many as you like)."""
    import signal

    from marketlink.delivery.running import start_worker
    from marketlink.logs import configure_logging

    settings = _settings()
    configure_logging(settings.log_level, settings.log_json)

    async def run() -> None:
        db = Database(settings.database_url, pool_size=settings.db_pool_size)
        services = Services(settings, Keyring(settings.secret_key_bytes()), SystemClock())
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        running = await start_worker(db, services)
        await stop.wait()
        await running.stop()
        await db.dispose()

    asyncio.run(run())


@main.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    _with_database(_settings(), lambda db, _: run_migrations(db))
    click.echo("database is at the latest schema", err=True)


@main.command()
def demo() -> None:
    """Load the demo vendor, product and integration (idempotent); print an admin token."""
    from marketlink.demo import load_demo, print_welcome

    settings = _settings()
    print_welcome(settings, _with_database(settings, load_demo))


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--vendor", "vendor_id", default=None, help="The vendor a DEVELOPER token acts for.")
@click.option("--name", default="cli", help="A label to recognise the token by.")
def token_create(role: str, vendor_id: str | None, name: str) -> None:
    """Print a new API token (shown this once) on stdout."""
    from marketlink.domain.vendors import create_token

    async def work(db: Database, services: Services) -> str:
        async with db.write() as conn:
            return await create_token(conn, services, Role(role), vendor_id, name)

    try:
        click.echo(_with_database(_settings(), work))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


@main.group()
def vendor() -> None:
    """Vendors."""


@vendor.command("create")
@click.argument("name")
def vendor_create(name: str) -> None:
    """Create a vendor and print its id."""
    from marketlink.domain.vendors import create_vendor

    async def work(db: Database, services: Services) -> str:
        async with db.write() as conn:
            return await create_vendor(conn, services, name)

    try:
        click.echo(_with_database(_settings(), work))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
