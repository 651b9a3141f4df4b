"""Run a domain command for a resolver: in one write transaction, rolled back on user errors."""

from typing import Any, TypeVar

from marketlink.api.context import Info
from marketlink.api.inputs import changes_of
from marketlink.domain.commands import Command, control_character_errors
from marketlink.domain.errors import Outcome

T = TypeVar("T")
__all__ = ["Command", "control_character_errors", "run_command"]


async def run_command(info: Info, command: Command[T], given: Any, **extra: Any) -> Outcome[T]:
    context = info.context
    changes = changes_of(given) | extra
    if unstorable := list(control_character_errors(changes, ("input",))):
        return Outcome.failed(*unstorable)
    return await context.db.command(
        lambda conn: command(conn, context.actor, context.services, changes))
