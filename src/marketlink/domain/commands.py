"""What every command's input goes through before the command sees it, whichever edge (the
GraphQL API or the console) it came from."""

import re
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain.actors import Actor
from marketlink.domain.errors import Code, Outcome, UserError, error
from marketlink.domain.services import Services

T = TypeVar("T")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # all but tab, LF and CR
Command = Callable[[AsyncConnection, Actor, Services, dict[str, Any]], Awaitable[Outcome[T]]]


def control_character_errors(value: Any, path: tuple[str, ...]) -> Iterator[UserError]:
    """Text with control characters (NUL above all, which PostgreSQL cannot store) is refused
    for every command, before any command sees it; tab and line breaks are allowed."""
    if isinstance(value, str):
        if _CONTROL.search(value):
            yield error(path, Code.INVALID, "Text must not contain control characters.")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from control_character_errors(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from control_character_errors(item, path + (str(index),))
