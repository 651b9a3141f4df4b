"""The ``marketlink`` command: serve, migrate, demo, token create, vendor create, oidc rotate-key,
user create and user set-password."""

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from marketlink.clock import SystemClock
from marketlink.config import Settings, load_settings
from marketlink.crypto import Keyring
from marketlink.domain.actors import API_TOKEN_ROLES, Actor, Role
from marketlink.domain.errors import Outcome
from marketlink.domain.models import User
from marketlink.domain.services import Services
from marketlink.errors import SettingsError
from marketlink.memory import set_mmap_threshold
from marketlink.storage.database import Database
from marketlink.storage.migrate import migrate as run_migrations
from marketlink.storage.migrate import schema_is_current

T = TypeVar("T")
OPERATOR = Actor(Role.ADMIN, None)  # whoever runs the command acts as a marketplace administrator


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
            keyring = Keyring(settings.secret_key_bytes(), settings.encryption_key_bytes())
            services = Services(settings, keyring, SystemClock())
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
    set_mmap_threshold(settings.malloc_mmap_threshold)
    if not _with_database(settings, lambda db, _: schema_is_current(db)):
        click.echo("marketlink: the database schema is not current; run `marketlink migrate` first",
                   err=True)
        sys.exit(2)
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port,
                log_level=settings.log_level.lower(), server_header=False,
                access_log=False,  # web/request_ids.py logs each request, with its id
                # uvicorn believes X-Forwarded-For from loopback by default: only from the
                # proxies the operator names (docs/operations.md).
                timeout_keep_alive=settings.keep_alive_s,
                proxy_headers=bool(settings.forwarded_allow_ips),
                forwarded_allow_ips=settings.forwarded_allow_ips or None)


@main.command()
@click.option("--metrics-port", default=None, type=int,
              help="Serve GET /metrics and /healthz on this port (MARKETLINK_WORKER_METRICS_PORT).")
def worker(metrics_port: int | None) -> None:
    """Deliver events until interrupted (with PostgreSQL, run as many as you like)."""
    import signal

    from marketlink.delivery.running import start_worker
    from marketlink.logs import configure_logging

    settings = _settings()
    configure_logging(settings.log_level, settings.log_json)
    set_mmap_threshold(settings.malloc_mmap_threshold)

    async def run() -> None:
        db = Database(settings.database_url, pool_size=settings.db_pool_size)
        keyring = Keyring(settings.secret_key_bytes(), settings.encryption_key_bytes())
        services = Services(settings, keyring, SystemClock())
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        running = await start_worker(db, services)
        metrics = await _serve_worker_metrics(db, services, metrics_port or settings.worker_metrics_port)
        await stop.wait()
        await running.stop()
        if metrics is not None:
            await metrics.cleanup()
        await db.dispose()

    asyncio.run(run())


async def _serve_worker_metrics(db: Database, services: Services, port: int | None):  # type: ignore[no-untyped-def]
    """``GET /metrics`` and ``/healthz`` of a worker process on ``port`` of
    ``MARKETLINK_HOST``, when one is set; the server's runner, to clean up with the worker."""
    if port is None:
        return None
    from aiohttp import web  # a plain server: no signal handling of its own

    async def metrics(_: web.Request) -> web.Response:
        async with db.read() as conn:
            body, media_type = await services.metrics.page(conn, services.clock.now_ms())
        return web.Response(body=body, headers={"Content-Type": media_type,
                                                "Cache-Control": "no-store"})

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, services.settings.host, port).start()
    return runner


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
@click.option("--role", type=click.Choice([r.value for r in API_TOKEN_ROLES]), required=True)
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


@main.group()
def oidc() -> None:
    """The OpenID Connect provider."""


@oidc.command("rotate-key")
def oidc_rotate_key() -> None:
    """Sign id_tokens with a new RS256 key from now on and print its kid. Previous keys stay
    published at /oauth2/certs until the id_tokens they signed have expired."""
    from marketlink.sso.oidc.keys import SigningKeys

    click.echo(_with_database(_settings(), lambda db, services: SigningKeys(db, services).rotate()))


@main.command()
@click.option("--older-than", "older_than", required=True, metavar="AGE",
              help="Delete events resolved longer ago than this: 90d, 12h, 30m or 3600s.")
@click.option("--batch", default=1000, show_default=True,
              help="Events deleted per transaction (1 to 10000).")
def prune(older_than: str, batch: int) -> None:
    """Event retention: delete events that succeeded or failed longer ago than AGE, with their
    delivery attempts, and expired sessions, codes and tokens. Events still queued, being
    delivered or pending are kept whatever their age. Safe while MarketLink runs."""
    from marketlink.domain.retention import age_ms, prune as prune_events

    try:
        older_than_ms = age_ms(older_than)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from None
    if not 1 <= batch <= 10_000:
        raise click.BadParameter("must be 1 to 10000", param_hint="--batch")
    pruned = _with_database(_settings(), lambda db, services: prune_events(
        db, services, older_than_ms, batch))
    click.echo(f"deleted {pruned.events} events, {pruned.attempts} delivery attempts and "
               f"{pruned.sign_in_rows} expired sign-in rows")


@main.group()
def keys() -> None:
    """Encryption keys of secrets at rest (docs/operations.md, "Rotating the encryption key")."""


@keys.command("generate")
def keys_generate() -> None:
    """Print a new random encryption key (base64url, 32 bytes) for MARKETLINK_ENCRYPTION_KEYS."""
    import base64
    import secrets

    click.echo(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("="))


@keys.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored secret with the first key of MARKETLINK_ENCRYPTION_KEYS (or the
    key derived from the secret key when none is set). Safe while MarketLink runs, once every
    process has the same MARKETLINK_ENCRYPTION_KEYS; running it again does nothing new."""
    from marketlink.domain.key_rotation import rotate_encryption

    settings = _settings()
    try:
        report = _with_database(settings, rotate_encryption)
    except ValueError as exc:  # a value whose key is not configured
        raise click.ClickException(str(exc)) from None
    for done in report:
        click.echo(f"{done.column}: {done.re_encrypted} re-encrypted, "
                   f"{done.already_current} already current")


@main.group()
def user() -> None:
    """Marketplace users: the people of buying companies, who log in to MarketLink."""


@user.command("create")
@click.option("--email", required=True, help="The user's email, used to log in.")
@click.option("--company", required=True,
              help="The company's id, or its exact name. It must exist: create it first with "
                   "the createCompany mutation (this command never creates companies).")
@click.option("--first-name", default=None, help="Asked for when not given.")
@click.option("--last-name", default=None, help="Asked for when not given.")
@click.option("--language", default="en", show_default=True, help="A code such as en or en-US.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input instead of asking "
                   "for it (then --first-name and --last-name must be given).")
def user_create(email: str, company: str, first_name: str | None, last_name: str | None,
                language: str, password_stdin: bool) -> None:
    """Create a user who can log in, and print the user's id. The password is asked for twice
    (hidden), or read with --password-stdin."""
    from marketlink.domain.companies import company_by_id_or_name
    from marketlink.domain.logins import create_user_with_password
    from marketlink.domain.passwords import Passwords

    settings = _settings()
    if password_stdin and (first_name is None or last_name is None):
        raise click.UsageError("--password-stdin needs --first-name and --last-name")
    first_name = first_name if first_name is not None else click.prompt("First name", err=True)
    last_name = last_name if last_name is not None else click.prompt("Last name", err=True)
    password = _new_password(password_stdin)

    async def work(db: Database, services: Services) -> Outcome[User]:
        async with db.read() as conn:
            found = await company_by_id_or_name(conn, OPERATOR, company)
        if found.value is None:
            return Outcome.failed(*found.errors)
        changes = {"companyId": found.value.id, "email": email, "firstName": first_name,
                   "lastName": last_name, "language": language}
        return await create_user_with_password(db, OPERATOR, services, Passwords(settings),
                                               changes, password)

    click.echo(_done(_with_database(settings, work)).id)


@user.command("set-password")
@click.option("--email", required=True, help="The user's email.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input instead of asking.")
def user_set_password(email: str, password_stdin: bool) -> None:
    """Give a user a new password. The user's sessions end (logged out everywhere)."""
    from marketlink.domain.logins import set_password
    from marketlink.domain.passwords import Passwords

    settings = _settings()
    password = _new_password(password_stdin)
    changed = _done(_with_database(settings, lambda db, services: set_password(
        db, services, Passwords(settings), email, password)))
    click.echo(f"password set for {changed.email}; the user's sessions have ended", err=True)


@user.command("grant")
@click.option("--email", required=True, help="The user's email.")
@click.option("--role", type=click.Choice([r.value for r in Role] + ["NONE"]), required=True,
              help="ADMIN (everything), DEVELOPER (one vendor's integrations), COMPANY_ADMIN "
                   "(one buying company's subscriptions), or NONE (no console access).")
@click.option("--vendor", "vendor_id", default=None, help="The vendor of a DEVELOPER.")
@click.option("--company", "company_id", default=None, help="The company (id) of a COMPANY_ADMIN.")
def user_grant(email: str, role: str, vendor_id: str | None, company_id: str | None) -> None:
    """Let a user into the console at /console, as ADMIN, as a vendor's DEVELOPER or as a
    buying company's COMPANY_ADMIN (replaces the user's earlier role)."""
    from marketlink.domain.console_access import grant_console_role

    settings = _settings()
    chosen = None if role == "NONE" else Role(role)
    _done(_with_database(settings, lambda db, services: db.command(
        lambda conn: grant_console_role(conn, services, email, chosen, vendor_id, company_id))))
    click.echo(f"{email}: console role {role}", err=True)


def _new_password(from_stdin: bool) -> str:
    """The password from stdin's first line, or asked for twice without echo (on stderr, so
    that stdout carries only the result)."""
    from marketlink.domain.passwords import password_problem

    if from_stdin:
        password = click.get_text_stream("stdin").readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    if problem := password_problem(password):
        raise click.UsageError(problem)
    return password


def _done(outcome: Outcome[T]) -> T:
    """The outcome's value, or its errors as a usage error (exit status 2, nothing written)."""
    if outcome.value is None:
        raise click.UsageError("; ".join(e.message.rstrip(".") for e in outcome.errors))
    return outcome.value
