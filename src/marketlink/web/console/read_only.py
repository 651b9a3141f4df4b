"""What the console's publish, ping test and product pages share: the WORKING version named in
the URL, and the read-only rule (SPEC §2: an integration linked to two or more products is
changed only through the GraphQL API; the console says why and writes nothing)."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain.errors import Outcome
from marketlink.domain.integrations import CONSOLE_READ_ONLY_AT
from marketlink.storage.database import Database
from marketlink.web.console.commands import READ_ONLY, run_in_transaction
from marketlink.web.console.integration_views import working_version

__all__ = ["READ_ONLY", "READ_ONLY_REASON", "READ_ONLY_STATUS", "command_unless_read_only",
           "when", "working_version"]

T = TypeVar("T")
READ_ONLY_REASON = (f"This integration is linked to {CONSOLE_READ_ONLY_AT} or more products, so the "
                    "console shows it read-only: publish it and change its product links through "
                    "the GraphQL API.")
READ_ONLY_STATUS = 409


async def command_unless_read_only(
    db: Database, integration_id: str, form: dict[str, Any],
    run: Callable[[AsyncConnection], Awaitable[Outcome[T]]],
) -> Outcome[T]:
    """Run ``run`` in one write transaction, unless the posted text is unstorable or the
    integration is read-only in the console (checked in that transaction): then the outcome
    carries the errors (``READ_ONLY`` for the latter) and nothing is written."""
    return await run_in_transaction(db, form, run, integration_id)


def when(epoch_ms: int | None) -> str:
    """A time as the console shows it."""
    if epoch_ms is None:
        return ""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
