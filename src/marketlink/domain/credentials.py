"""Outbound credentials: what MarketLink presents to the product host (SPEC §3 step 1-2).

Each kind has one secret (client secret, password, consumer secret), stored encrypted and never
shown again; the other fields are stored as they are. On update, leaving the secret out keeps
the stored one as long as the kind does not change, so a vendor can fix a token URI without
pasting the secret again.
"""

from dataclasses import dataclass
from typing import Any

from marketlink.crypto import Keyring
from marketlink.domain.errors import Code, UserError, error
from marketlink.domain.urls import url_problem

MAX_FIELD_LENGTH = 1000

# kind -> (required public fields, the secret field), in API (camelCase) names.
KINDS: dict[str, tuple[tuple[str, ...], str]] = {
    "OAUTH2": (("clientId", "tokenUri"), "clientSecret"),
    "BASIC": (("username",), "password"),
    "OAUTH1": (("consumerKey",), "consumerSecret"),
}
OPTIONAL_FIELDS: dict[str, tuple[str, ...]] = {"OAUTH2": ("grantType", "scope")}
GRANT_TYPES = ("client_credentials",)


@dataclass(frozen=True)
class StoredCredentials:
    """The three columns of an integration version that hold its credentials."""

    kind: str | None
    public: dict[str, str] | None
    encrypted_secret: str | None

    @classmethod
    def none(cls) -> "StoredCredentials":
        return cls(None, None, None)

    def columns(self) -> dict[str, Any]:
        return {
            "credentials_type": self.kind,
            "credentials": self.public,
            "credentials_secret": self.encrypted_secret,
        }


def checked_credentials(
    given: dict[str, Any],
    existing: StoredCredentials,
    keyring: Keyring,
    path: tuple[str, ...],
) -> tuple[StoredCredentials, list[UserError]]:
    """Validate ``given`` (the input object, unset fields left out) against its ``type``."""
    kind = given.get("type")
    if kind not in KINDS:
        return existing, [error(path + ("type",), Code.REQUIRED, "Choose OAUTH2, BASIC or OAUTH1.")]
    required, secret_field = KINDS[kind]
    allowed = set(required) | {secret_field, "type"} | set(OPTIONAL_FIELDS.get(kind, ()))
    errors = [
        error(path + (name,), Code.NOT_ALLOWED, f"{name} is not used by {kind} credentials.")
        for name, value in given.items()
        if name not in allowed and value is not None
    ]
    public: dict[str, str] = {}
    for name in required + OPTIONAL_FIELDS.get(kind, ()):
        value = given.get(name)
        problem = _field_problem(name, value, required)
        if problem:
            errors.append(error(path + (name,), *problem))
        elif value is not None:
            public[name] = value
    if kind == "OAUTH2":
        public.setdefault("grantType", "client_credentials")
    secret, secret_errors = _secret(given.get(secret_field), existing, kind, secret_field, keyring, path)
    errors += secret_errors
    return StoredCredentials(kind, public, secret), errors


def _field_problem(name: str, value: Any, required: tuple[str, ...]) -> tuple[Code, str] | None:
    if value is None or value == "":
        return (Code.REQUIRED, f"{name} is required.") if name in required else None
    if len(value) > MAX_FIELD_LENGTH:
        return Code.TOO_LONG, f"{name} must be at most {MAX_FIELD_LENGTH} characters."
    if name == "tokenUri" and (problem := url_problem(value)):
        return Code.INVALID_URL, f"tokenUri {problem}."
    if name == "grantType" and value not in GRANT_TYPES:
        return Code.INVALID, "grantType must be client_credentials."
    return None


def _secret(
    value: str | None,
    existing: StoredCredentials,
    kind: str,
    field: str,
    keyring: Keyring,
    path: tuple[str, ...],
) -> tuple[str | None, list[UserError]]:
    if value:
        if len(value) > MAX_FIELD_LENGTH:
            return None, [error(path + (field,), Code.TOO_LONG,
                                f"{field} must be at most {MAX_FIELD_LENGTH} characters.")]
        return keyring.encrypt(value), []
    if existing.kind == kind and existing.encrypted_secret:
        return existing.encrypted_secret, []
    return None, [error(path + (field,), Code.REQUIRED, f"{field} is required.")]
