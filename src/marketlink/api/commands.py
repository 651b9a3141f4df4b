"""Run a domain command for a resolver: in one write transaction, rolled back on user errors."""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.api.context import Info
from marketlink.api.inputs import changes_of
from marketlink.domain.actors import Actor
from marketlink.domain.errors import Outcome
from marketlink.domain.services import Services

T = TypeVar("T")
Command = Callable[[AsyncConnection, Actor, Services, dict[str, Any]], Awaitable[Outcome[T]]]


async def run_command(info: Info, command: Command[T], given: Any, **extra: Any) -> Outcome[T]:
    context = info.context
    changes = changes_of(given) | extra
    return await context.db.command(
        lambda conn: command(conn, context.actor, context.services, changes))
