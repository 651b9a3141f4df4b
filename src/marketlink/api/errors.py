"""User errors in payloads (SPEC §2): every mutation has its own error type, implementing the
``UserError`` interface, with its own code enum listing the codes it can return."""

from collections.abc import Iterable
from enum import Enum
from typing import Any

import strawberry

from marketlink.domain.errors import Code
from marketlink.domain.errors import UserError as DomainUserError


@strawberry.interface(description="A mistake in the input; nothing was written.")
class UserError:
    message: str
    path: list[str] | None = strawberry.field(
        description="The input field at fault, from the mutation's argument down.")


@strawberry.type(description="A stored configuration value that will not work as it is.")
class ValidationError:
    path: list[str]
    code: str
    message: str


class MutationErrors:
    """The error type and code enum of one mutation, e.g. ``CreateProductIntegrationError``.
    Every mutation can answer INVALID (text with control characters, see ``commands``)."""

    def __init__(self, name: str, codes: Iterable[Code]) -> None:
        members = {c.name: c.value for c in [*codes, Code.INVALID]}
        self.codes = strawberry.enum(Enum(f"{name}ErrorCode", members))
        annotations = {"code": self.codes}
        self.type: Any = strawberry.type(
            type(f"{name}Error", (UserError,), {"__annotations__": annotations}))

    def of(self, errors: list[DomainUserError]) -> list[Any]:
        return [self.type(message=e.message, path=list(e.path), code=self.codes[e.code.name])
                for e in errors]
