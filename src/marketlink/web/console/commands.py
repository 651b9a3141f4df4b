"""Run a domain command from a console form, as the resolvers do (``api/commands.py``): the
same control-character check, one write transaction as the console user's actor, rolled back
on user errors. And those errors as a form shows them: next to the field their path names."""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request

from marketlink.domain.commands import Command, control_character_errors
from marketlink.domain.errors import Code, Outcome, UserError
from marketlink.domain.integrations import read_only_in_console
from marketlink.storage.database import Database
from marketlink.web.console.access import ConsoleUser

T = TypeVar("T")


# Not a user's mistake in a field: the page answers 409 with the read-only notice instead.
READ_ONLY = UserError(("console",), Code.NOT_ALLOWED, "This integration is read-only in the console.")


async def run_command(request: Request, user: ConsoleUser, command: Command[T],
                      changes: dict[str, Any], read_only_integration: str | None = None) -> Outcome[T]:
    """``command`` as the console user, on ``changes`` (by the API's input names)."""
    services = request.app.state.services
    return await run_in_transaction(
        request.app.state.db, changes, lambda conn: command(conn, user.actor, services, changes),
        read_only_integration)


async def run_in_transaction(db: Database, posted: dict[str, Any],
                             work: Callable[[AsyncConnection], Awaitable[Outcome[T]]],
                             read_only_integration: str | None = None) -> Outcome[T]:
    """``work`` in one write transaction, rolled back on user errors; refused before it starts
    when the posted text has control characters, and in the transaction with ``READ_ONLY``
    when ``read_only_integration`` is read-only in the console (SPEC §2)."""
    if unstorable := list(control_character_errors(posted, ("input",))):
        return Outcome.failed(*unstorable)

    async def guarded(conn: AsyncConnection) -> Outcome[T]:
        if read_only_integration is not None and await read_only_in_console(conn, read_only_integration):
            return Outcome.failed(READ_ONLY)
        return await work(conn)

    return await db.command(guarded)


@dataclass
class FormErrors:
    """Messages per form field, and those of no field (shown above the form)."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def of(self, name: str) -> str:
        """The messages of the field ``name``, as one text ('' when none)."""
        return " ".join(self.fields.get(name, []))

    def add(self, name: str | None, message: str) -> None:
        if name is None:
            self.general.append(message)
        else:
            self.fields.setdefault(name, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)


def form_errors(errors: list[UserError], fields: Mapping[str, str]) -> FormErrors:
    """``fields`` maps the API's input names (the second step of a path) to form fields."""
    shown = FormErrors()
    for problem in errors:
        name = fields.get(problem.path[1]) if len(problem.path) > 1 else None
        shown.add(name, problem.message)
    return shown


def refused(outcome: Outcome[Any], code: Code) -> bool:
    return any(e.code is code for e in outcome.errors)


def when(epoch_ms: int | None) -> str:
    """Epoch milliseconds as the console shows them (UTC, to the second)."""
    if epoch_ms is None:
        return ""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
