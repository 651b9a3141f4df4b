"""Run a domain command for a resolver: in one write transaction, rolled back on user errors."""

import re
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.api.context import Info
from marketlink.api.inputs import changes_of
from marketlink.domain.actors import Actor
from marketlink.domain.errors import Code, Outcome, UserError, error
from marketlink.domain.services import Services

T = TypeVar("T")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # all but tab, LF and CR
Command = Callable[[AsyncConnection, Actor, Services, dict[str, Any]], Awaitable[Outcome[T]]]


async def run_command(info: Info, command: Command[T], given: Any, **extra: Any) -> Outcome[T]:
    context = info.context
    changes = changes_of(given) | extra
    if unstorable := list(control_character_errors(changes, ("input",))):
        return Outcome.failed(*unstorable)
    return await context.db.command(
        lambda conn: command(conn, context.actor, context.services, changes))


def control_character_errors(value: Any, path: tuple[str, ...]) -> Iterator[UserError]:
    """Text with control characters (NUL above all, which PostgreSQL cannot store) is refused
    for every mutation, before any command sees it; tab and line breaks are allowed."""
    if isinstance(value, str):
        if _CONTROL.search(value):
            yield error(path, Code.INVALID, "Text must not contain control characters.")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from control_character_errors(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from control_character_errors(item, path + (str(index),))
