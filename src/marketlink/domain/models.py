"""The domain's read models, built from storage rows. Plain frozen dataclasses."""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Event URL fields in API order: (API name, column name).
EVENT_URL_FIELDS: tuple[tuple[str, str], ...] = (
    ("createUrl", "create_url"),
    ("upgradeUrl", "upgrade_url"),
    ("cancelUrl", "cancel_url"),
    ("notifyUrl", "notify_url"),
    ("eventStatusUrl", "event_status_url"),
    ("assignUrl", "assign_url"),
    ("unassignUrl", "unassign_url"),
    ("addonNotificationUrl", "addon_notification_url"),
    ("userUpdatedUrl", "user_updated_url"),
)
INTERACTIVE_FIELDS: tuple[tuple[str, str], ...] = (
    ("createUrlInteractive", "create_url_interactive"),
    ("upgradeUrlInteractive", "upgrade_url_interactive"),
    ("cancelUrlInteractive", "cancel_url_interactive"),
)

WORKING = "WORKING"
PUBLISHED = "PUBLISHED"


@dataclass(frozen=True)
class Credentials:
    """Outbound credentials as they may be shown: the secret is only known to exist."""

    kind: str
    public: Mapping[str, str]
    has_secret: bool
    # A digest of the stored ciphertext: equal in a snapshot and its WORKING copy until the
    # secret is entered again (each encryption draws a new nonce). Says nothing of the secret.
    secret_fingerprint: str | None = None


@dataclass(frozen=True)
class SsoConfiguration:
    kind: str  # BOOKMARK | OPENID_CONNECT | SAML
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class IntegrationVersion:
    id: str
    integration_id: str
    vendor_id: str
    version: str
    revision: int
    name: str
    urls: Mapping[str, str | None]  # API name -> URL
    interactive: Mapping[str, bool]  # API name -> flag
    credentials: Credentials | None
    sso: SsoConfiguration | None
    created_on: int
    last_modified: int
    host_gone_on: int | None = None
    delivery_mode: str = "NOTIFY_THEN_FETCH"

    @property
    def is_working(self) -> bool:
        return self.version == WORKING

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "IntegrationVersion":
        credentials = None
        if row["credentials_type"]:
            secret = row["credentials_secret"]
            credentials = Credentials(
                row["credentials_type"], dict(row["credentials"] or {}), bool(secret),
                hashlib.sha256(secret.encode()).hexdigest()[:16] if secret else None,
            )
        sso = SsoConfiguration(row["sso_type"], dict(row["sso_config"])) if row["sso_type"] else None
        return cls(
            id=row["id"],
            integration_id=row["integration_id"],
            vendor_id=row["vendor_id"],
            version=row["version"],
            revision=row["revision"],
            name=row["name"],
            urls={api: row[col] for api, col in EVENT_URL_FIELDS},
            interactive={api: bool(row[col]) for api, col in INTERACTIVE_FIELDS},
            credentials=credentials,
            sso=sso,
            created_on=row["created_on"],
            last_modified=row["last_modified"],
            host_gone_on=row.get("host_gone_on"),
            delivery_mode=row.get("delivery_mode") or "NOTIFY_THEN_FETCH",
        )


@dataclass(frozen=True)
class Edition:
    code: str
    name: str


@dataclass(frozen=True)
class Product:
    id: str
    vendor_id: str
    name: str
    usage_type: str
    editions: tuple[Edition, ...]
    integration_id: str | None
    created_on: int
    last_modified: int

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Product":
        return cls(
            id=row["id"],
            vendor_id=row["vendor_id"],
            name=row["name"],
            usage_type=row["usage_type"],
            editions=tuple(Edition(e["code"], e["name"]) for e in row["editions"]),
            integration_id=row["integration_id"],
            created_on=row["created_on"],
            last_modified=row["last_modified"],
        )


@dataclass(frozen=True)
class InboundClient:
    client_id: str
    created_on: int
    revoked_on: int | None


@dataclass(frozen=True)
class IssuedInboundClient:
    """A freshly generated inbound client: the only time its secret exists in clear."""

    client_id: str
    client_secret: str
    created_on: int


@dataclass(frozen=True)
class PingResult:
    event_type: str
    url: str
    success: bool | None
    http_status: int | None
    duration_ms: int | None
    error_code: str | None
    message: str | None


@dataclass(frozen=True)
class PingTest:
    id: str
    integration_version_id: str
    version: str
    status: str
    triggered_on: int
    completed_on: int | None
    results: tuple[PingResult, ...]


@dataclass(frozen=True)
class Company:
    id: str
    name: str
    country: str
    email: str | None
    website: str | None
    created_on: int

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Company":
        return cls(row["id"], row["name"], row["country"], row["email"], row["website"],
                   row["created_on"])


@dataclass(frozen=True)
class User:
    id: str
    company_id: str
    email: str
    first_name: str
    last_name: str
    language: str
    locale: str
    created_on: int
    last_modified: int

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "User":
        return cls(row["id"], row["company_id"], row["email"], row["first_name"],
                   row["last_name"], row["language"], row["locale"], row["created_on"],
                   row["last_modified"])


@dataclass(frozen=True)
class Subscription:
    id: str
    product_id: str
    company_id: str
    creator_id: str
    vendor_id: str
    integration_id: str
    edition_code: str
    pricing_duration: str
    items: tuple[Mapping[str, Any], ...]
    configuration: Mapping[str, Any]
    status: str
    account_identifier: str | None
    created_on: int
    last_modified: int

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Subscription":
        return cls(
            row["id"], row["product_id"], row["company_id"], row["creator_id"], row["vendor_id"],
            row["integration_id"], row["edition_code"], row["pricing_duration"],
            tuple(row["items"]), dict(row["configuration"]), row["status"],
            row["account_identifier"], row["created_on"], row["last_modified"],
        )


@dataclass(frozen=True)
class Assignment:
    """A user of the subscription's company given access to it (SPEC §3)."""

    id: str
    subscription_id: str
    user_id: str
    status: str
    user_identifier: str | None
    created_on: int
    last_modified: int

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Assignment":
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Event:
    id: str
    seq: int
    token: str
    type: str
    flag: str | None
    vendor_id: str
    integration_id: str
    integration_version_id: str
    product_id: str | None
    subscription_id: str | None
    assignment_id: str | None
    document: Mapping[str, Any]
    status: str
    attempts: int
    next_attempt_on: int | None
    result_success: bool | None
    result_error_code: str | None
    result_message: str | None
    created_on: int
    resolved_on: int | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Event":
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class EventAttempt:
    number: int
    started_on: int
    duration_ms: int | None
    url: str
    auth_kind: str | None
    http_status: int | None
    outcome: str
    error: str | None
    answer_excerpt: str | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "EventAttempt":
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})
