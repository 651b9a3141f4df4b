"""What publishing would change: the WORKING version against the latest PUBLISHED snapshot.

Fields are named by their API label path (``createUrl``, ``outboundCredentials.clientId``,
``ssoConfiguration.redirectUrls``) and listed in one fixed order (the API's), whatever changed.
Values are shown as text. Secrets never appear: a set secret reads :data:`SECRET`, a secret
entered again since the snapshot :data:`SECRET_CHANGED` (told apart by the fingerprint of the
stored ciphertext, see :class:`~marketlink.domain.models.Credentials`).
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from marketlink.domain import sso
from marketlink.domain.credentials import KINDS, OPTIONAL_FIELDS
from marketlink.domain.models import EVENT_URL_FIELDS, INTERACTIVE_FIELDS, IntegrationVersion

SECRET = "••••"
SECRET_CHANGED = "•••• (changed)"
DEFAULT_DELIVERY_MODE = "NOTIFY_THEN_FETCH"
CREDENTIALS = "outboundCredentials"
SSO = "ssoConfiguration"


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str | None
    after: str | None


def _unique(names: Iterator[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


_PUBLIC_CREDENTIAL_FIELDS = _unique(
    name for kind, (required, _) in KINDS.items() for name in required + OPTIONAL_FIELDS.get(kind, ()))
_SECRET_FIELDS = _unique(secret for _, secret in KINDS.values())
_SSO_FIELDS = _unique(field.name for fields in sso.FIELDS.values() for field in fields)
SECRET_LABELS = frozenset(f"{CREDENTIALS}.{name}" for name in _SECRET_FIELDS)
# Every label in display order.
LABELS: tuple[str, ...] = (
    ("name",)
    + tuple(api for api, _ in EVENT_URL_FIELDS)
    + tuple(api for api, _ in INTERACTIVE_FIELDS)
    + ("deliveryMode", f"{CREDENTIALS}.type")
    + tuple(f"{CREDENTIALS}.{name}" for name in _PUBLIC_CREDENTIAL_FIELDS + _SECRET_FIELDS)
    + (f"{SSO}.type",)
    + tuple(f"{SSO}.{name}" for name in _SSO_FIELDS)
)


def changes_since(published: IntegrationVersion | None, working: IntegrationVersion) -> list[FieldChange]:
    """Every configured field whose value differs between ``published`` and ``working``.

    With no snapshot yet (``published`` is None), every field ``working`` sets, with ``before``
    None; interactive flags that are off and the default delivery mode count as not set.
    """
    before = flat_fields(published) if published else {}
    after = flat_fields(working)
    if published is None:
        after = {label: value for label, value in after.items() if not _default(label, value)}
    return [FieldChange(label, *_shown(label, before.get(label), after.get(label)))
            for label in LABELS if before.get(label) != after.get(label)]


def flat_fields(version: IntegrationVersion) -> dict[str, str]:
    """The version's set fields as label -> text (secrets as their fingerprint: internal only)."""
    fields: dict[str, Any] = {"name": version.name}
    fields |= version.urls
    fields |= {api: version.interactive[api] for api, _ in INTERACTIVE_FIELDS}
    fields["deliveryMode"] = version.delivery_mode
    fields |= _credential_fields(version)
    if version.sso is not None:
        fields[f"{SSO}.type"] = version.sso.kind
        fields |= {f"{SSO}.{name}": value for name, value in version.sso.fields.items()}
    texts = {label: _text(value) for label, value in fields.items()}
    return {label: text for label, text in texts.items() if text is not None}


def _credential_fields(version: IntegrationVersion) -> dict[str, Any]:
    credentials = version.credentials
    if credentials is None:
        return {}
    fields: dict[str, Any] = {f"{CREDENTIALS}.type": credentials.kind}
    fields |= {f"{CREDENTIALS}.{name}": value for name, value in credentials.public.items()}
    if credentials.has_secret:
        secret_field = KINDS[credentials.kind][1]
        fields[f"{CREDENTIALS}.{secret_field}"] = credentials.secret_fingerprint or "set"
    return fields


def _text(value: Any) -> str | None:
    if value is None or value == [] or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(_item(item) for item in value)
    return str(value)


def _item(item: Any) -> str:
    if isinstance(item, Mapping):
        return f"{item.get('name')}={item.get('value')}"
    return str(item)


def _default(label: str, value: str) -> bool:
    if label == "deliveryMode":
        return value == DEFAULT_DELIVERY_MODE
    return label in dict(INTERACTIVE_FIELDS) and value == "false"


def _shown(label: str, before: str | None, after: str | None) -> tuple[str | None, str | None]:
    if label not in SECRET_LABELS:
        return before, after
    if after is None:
        return SECRET, None
    if before is None:
        return None, SECRET
    return SECRET, SECRET_CHANGED
