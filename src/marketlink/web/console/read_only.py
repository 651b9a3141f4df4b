"""What the console's publish, ping test and product pages share: the WORKING version named in
the URL, and the read-only rule (SPEC §2: an integration linked to two or more products is
changed only through the GraphQL API; the console says why and writes nothing)."""

from datetime import UTC, datetime

from marketlink.domain.integrations import CONSOLE_READ_ONLY_AT
from marketlink.web.console.commands import READ_ONLY
from marketlink.web.console.integration_views import working_version

__all__ = ["READ_ONLY", "READ_ONLY_REASON", "READ_ONLY_STATUS", "when", "working_version"]

READ_ONLY_REASON = (f"This integration is linked to {CONSOLE_READ_ONLY_AT} or more products, so the "
                    "console shows it read-only: publish it and change its product links through "
                    "the GraphQL API.")
READ_ONLY_STATUS = 409


def when(epoch_ms: int | None) -> str:
    """A time as the console shows it."""
    if epoch_ms is None:
        return ""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
