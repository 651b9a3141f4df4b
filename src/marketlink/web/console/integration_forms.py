"""The integration form, translated: posted fields to the ``changes`` the domain commands take
(the API's field names), a version to the form's initial values, and user errors to the form
field each belongs to. Pure functions.

Field names are the API's (``createUrl``, ``outboundCredentials.clientId``), so an error's
path names its field. A secret is never put into a form: an empty secret field keeps the
stored one (the domain's rule for a secret left out).
"""

from collections.abc import Iterable, Mapping
from typing import Any

from marketlink.domain.credentials import KINDS, OPTIONAL_FIELDS
from marketlink.domain.errors import Code, UserError, error
from marketlink.domain.models import EVENT_URL_FIELDS, INTERACTIVE_FIELDS, IntegrationVersion

INPUT = ("input",)
CREDENTIALS = "outboundCredentials"
CREDENTIALS_TYPE = f"{CREDENTIALS}.type"
DELIVERY_MODES = ("NOTIFY_THEN_FETCH", "DIRECT")

URL_LABELS = {
    "createUrl": "Create URL", "upgradeUrl": "Upgrade URL", "cancelUrl": "Cancel URL",
    "notifyUrl": "Notify URL", "eventStatusUrl": "Event status URL",
    "assignUrl": "Assign user URL", "unassignUrl": "Unassign user URL",
    "addonNotificationUrl": "Add-on notification URL", "userUpdatedUrl": "User updated URL",
}
INTERACTIVE_LABELS = {
    "createUrlInteractive": "Create URL is interactive (the buyer is sent to it)",
    "upgradeUrlInteractive": "Upgrade URL is interactive",
    "cancelUrlInteractive": "Cancel URL is interactive",
}
KIND_LABELS = {"OAUTH2": "OAuth 2.0 client credentials", "BASIC": "HTTP Basic",
               "OAUTH1": "OAuth 1.0a (2-legged)"}
CREDENTIAL_LABELS = {
    "clientId": "Client ID", "clientSecret": "Client secret", "tokenUri": "Token URI",
    "grantType": "Grant type", "scope": "Scope", "username": "User name",
    "password": "Password", "consumerKey": "Consumer key", "consumerSecret": "Consumer secret",
}


def credential_fields(kind: str) -> tuple[str, ...]:
    """The fields a form shows for this kind of credentials, the secret last (no grantType:
    ``client_credentials`` is the only one, and the domain sets it)."""
    required, secret = KINDS[kind]
    optional = tuple(f for f in OPTIONAL_FIELDS.get(kind, ()) if f != "grantType")
    return required + optional + (secret,)


def is_secret(field: str) -> bool:
    return any(field == secret for _, secret in KINDS.values())


def integration_changes(form: Mapping[str, str], *, creating: bool) -> dict[str, Any]:
    """Every field of the form as a change: an empty URL removes it, an unticked box is false,
    no credentials type removes the credentials. Admins creating name ``vendorId``."""
    changes: dict[str, Any] = {"name": form.get("name", "")}
    for api, _ in EVENT_URL_FIELDS:
        changes[api] = _text(form.get(api))
    for api, _ in INTERACTIVE_FIELDS:
        changes[api] = api in form
    changes["deliveryMode"] = form.get("deliveryMode", "")
    kind = form.get(CREDENTIALS_TYPE, "")
    changes[CREDENTIALS] = credentials_changes(form, kind) if kind else None
    if creating and "vendorId" in form:
        changes["vendorId"] = form["vendorId"] or None
    return changes


def credentials_changes(form: Mapping[str, str], kind: str) -> dict[str, Any]:
    """The chosen kind's fields (the others' are ignored); an empty secret is left out."""
    given: dict[str, Any] = {"type": kind}
    if kind not in KINDS:
        return given
    for name in credential_fields(kind):
        value = _text(form.get(f"{CREDENTIALS}.{name}"))
        if value is not None or not is_secret(name):
            given[name] = value
    return given


def form_problems(changes: Mapping[str, Any]) -> list[UserError]:
    """What the GraphQL schema would refuse before the domain sees it (an enum value)."""
    if changes.get("deliveryMode") not in DELIVERY_MODES:
        return [error(INPUT + ("deliveryMode",), Code.INVALID,
                      "deliveryMode must be NOTIFY_THEN_FETCH or DIRECT.")]
    return []


def form_values(version: IntegrationVersion) -> dict[str, str]:
    """The edit form's initial values: everything but the secret."""
    values = {"name": version.name, "deliveryMode": version.delivery_mode}
    values |= {api: url or "" for api, url in version.urls.items()}
    values |= {api: "on" for api, flag in version.interactive.items() if flag}
    if version.credentials is not None:
        values[CREDENTIALS_TYPE] = version.credentials.kind
        values |= {f"{CREDENTIALS}.{name}": value
                   for name, value in version.credentials.public.items() if not is_secret(name)}
    return values


def error_field(path: tuple[str, ...]) -> str:
    """The form field an error's path points at: its parts after ``input`` up to the first
    list index (``input.redirectUrls.2`` -> ``redirectUrls``)."""
    parts: list[str] = []
    for part in path[1:] if path[:1] == INPUT else path:
        if part.isdigit():
            break
        parts.append(part)
    return ".".join(parts)


def errors_by_field(
    errors: Iterable[UserError], fields: Iterable[str]
) -> tuple[dict[str, list[str]], list[str]]:
    """Messages by form field, and those about no field of the form (shown on top)."""
    known, by_field, general = set(fields), {}, []
    for problem in errors:
        field = error_field(problem.path)
        if field in known:
            by_field.setdefault(field, []).append(problem.message)
        else:
            general.append(problem.message)
    return by_field, general


def integration_form_fields() -> list[str]:
    """Every field name of the integration form (for :func:`errors_by_field`)."""
    names = ["name", "vendorId", "deliveryMode", CREDENTIALS_TYPE]
    names += [api for api, _ in EVENT_URL_FIELDS] + [api for api, _ in INTERACTIVE_FIELDS]
    names += [f"{CREDENTIALS}.{f}" for kind in KINDS for f in credential_fields(kind)]
    return names


def _text(value: str | None) -> str | None:
    """A text field: surrounding blanks dropped; empty is no value."""
    value = (value or "").strip()
    return value or None
