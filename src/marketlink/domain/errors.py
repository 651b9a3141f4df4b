"""User mistakes as values. A domain command returns its result and a list of ``UserError``;
the API layer turns each into the mutation's typed error (same ``code`` name)."""

from dataclasses import dataclass, field
from enum import Enum
from typing import Generic, TypeVar

T = TypeVar("T")


class Code(str, Enum):
    """Every user-error code the domain can return. Each mutation's GraphQL enum lists the
    subset it can produce (checked by a unit test)."""

    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    INVALID_URL = "INVALID_URL"
    TOO_LONG = "TOO_LONG"
    TOO_MANY = "TOO_MANY"
    NOT_FOUND = "NOT_FOUND"
    NOT_ALLOWED = "NOT_ALLOWED"
    DUPLICATE = "DUPLICATE"
    PUBLISHED_SNAPSHOT = "PUBLISHED_SNAPSHOT"
    SSO_ALREADY_CONFIGURED = "SSO_ALREADY_CONFIGURED"
    SSO_NOT_CONFIGURED = "SSO_NOT_CONFIGURED"
    FROZEN_AFTER_PUBLISH = "FROZEN_AFTER_PUBLISH"
    LIMIT_REACHED = "LIMIT_REACHED"
    MISSING_CREATE_URL = "MISSING_CREATE_URL"
    MISSING_CANCEL_URL = "MISSING_CANCEL_URL"
    NO_URL_CONFIGURED = "NO_URL_CONFIGURED"
    NOT_PUBLISHED = "NOT_PUBLISHED"
    ALREADY_REVOKED = "ALREADY_REVOKED"
    INVALID_STATE = "INVALID_STATE"


@dataclass(frozen=True)
class UserError:
    path: tuple[str, ...]
    code: Code
    message: str


@dataclass
class Outcome(Generic[T]):
    """What a command returns: the changed object, or the errors that stopped it."""

    value: T | None = None
    errors: list[UserError] = field(default_factory=list)

    @classmethod
    def failed(cls, *errors: UserError) -> "Outcome[T]":
        return cls(None, list(errors))


def error(path: tuple[str, ...] | list[str], code: Code, message: str) -> UserError:
    return UserError(tuple(path), code, message)


def not_found(path: tuple[str, ...], what: str) -> UserError:
    return UserError(path, Code.NOT_FOUND, f"{what} not found.")
