"""The SSO configuration form of each kind, built from the domain's field list
(``domain.sso.FIELDS``): posted fields to ``changes``, a configuration to initial values.
Pure functions.

Widgets by field kind: choice -> select, choices -> one checkbox per choice (named
``field.CHOICE``), bool -> checkbox, text and url -> text input, urls -> one URL per line,
minutes -> number, attributes -> ``name=value`` per line. Empty text means "no value" (the
domain's default). What the GraphQL schema would refuse (a number that is not one, an attribute
line without ``=``) is refused here, with the field's API name in the message as the domain does.
"""

import re
from collections.abc import Mapping
from typing import Any

from marketlink.domain import sso
from marketlink.domain.errors import Code, UserError, error

INPUT = ("input",)
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,6}")
KINDS = (sso.BOOKMARK, sso.OPENID_CONNECT, sso.SAML)
KIND_LABELS = {sso.BOOKMARK: "Bookmark", sso.OPENID_CONNECT: "OpenID Connect", sso.SAML: "SAML 2.0"}
LABELS = {
    "url": "Bookmark URL",
    "clientCreationMethod": "Client creation method",
    "grantTypes": "Grant types",
    "redirectUrls": "Redirect URLs",
    "allowOidcScope": "Allow the openid scope",
    "allowUserScopes": "Allow user scopes (email, profile)",
    "allowRoleScopes": "Allow role scopes",
    "initiateLoginUrl": "Initiate login URL",
    "logoutUrl": "Logout URL",
    "version": "SAML version",
    "idpConfigurationCreationMethod": "Identity provider creation method",
    "serviceProviderEntityId": "Service provider entity ID",
    "assertionConsumerServiceUrl": "Assertion consumer service URL",
    "serviceProviderInitiatedLoginUrl": "Service provider initiated login URL",
    "nameId": "NameID",
    "nameIdFormat": "NameID format",
    "responseSignatureMode": "What is signed",
    "responseSignatureAlgorithm": "Signature algorithm",
    "relayState": "Relay state",
    "responseField": "Response form field",
    "encodeResponse": "Base64-encode the response",
    "assertionAttributes": "Assertion attributes",
    "notBeforeMinutes": "Valid from (minutes before issue)",
    "notAfterMinutes": "Valid until (minutes after issue)",
}
HINTS = {
    "url": "Placeholders such as {company.uuid} are filled in when a user opens the app.",
    "redirectUrls": "One URL per line.",
    "initiateLoginUrl": "The app tile opens this URL with ?iss=...",
    "nameId": "Placeholders such as {user.email} are filled in at login.",
    "assertionAttributes": "One per line: name=value, for example email={user.email}.",
}


def fields_of(kind: str) -> tuple[sso.Field, ...]:
    return sso.FIELDS[kind]


def form_field_names(kind: str) -> list[str]:
    """Names errors can point at (a ``choices`` field's errors go to the field as a whole)."""
    return [spec.name for spec in fields_of(kind)]


def sso_changes(kind: str, form: Mapping[str, str]) -> tuple[dict[str, Any], list[UserError]]:
    """Every field of the kind's form as a change, and what cannot be read from the form."""
    changes: dict[str, Any] = {}
    problems: list[UserError] = []
    for spec in fields_of(kind):
        value, problem = _read(spec, form)
        changes[spec.name] = value
        if problem:
            problems.append(error(INPUT + (spec.name,), Code.INVALID, problem))
    return changes, problems


def form_values(kind: str, fields: Mapping[str, Any] | None) -> dict[str, str]:
    """Initial values: the stored configuration, or the kind's defaults when adding."""
    current = {spec.name: spec.default for spec in fields_of(kind)} | dict(fields or {})
    values: dict[str, str] = {}
    for spec in fields_of(kind):
        value = current.get(spec.name)
        if spec.kind == "choices":
            values |= {f"{spec.name}.{choice}": "on" for choice in value or []}
        elif spec.kind == "bool":
            if value:
                values[spec.name] = "on"
        elif spec.kind == "urls":
            values[spec.name] = "\n".join(value or [])
        elif spec.kind == "attributes":
            values[spec.name] = "\n".join(f"{a['name']}={a['value']}" for a in value or [])
        else:
            values[spec.name] = "" if value is None else str(value)
    return values


def _read(spec: sso.Field, form: Mapping[str, str]) -> tuple[Any, str | None]:
    raw = form.get(spec.name, "")
    if spec.kind == "choices":
        return [c for c in spec.choices if f"{spec.name}.{c}" in form], None
    if spec.kind == "bool":
        return spec.name in form, None
    if spec.kind == "urls":
        return _lines(raw), None
    if spec.kind == "minutes":
        return _minutes(spec.name, raw)
    if spec.kind == "attributes":
        return _attributes(spec.name, raw)
    return raw.strip() or None, None


def _lines(raw: str) -> list[str]:
    return [line.strip() for line in raw.splitlines() if line.strip()]


def _minutes(name: str, raw: str) -> tuple[int | None, str | None]:
    raw = raw.strip()
    if not raw:
        return None, None
    if not _WHOLE_NUMBER.fullmatch(raw):
        return None, f"{name} must be a whole number."
    return int(raw), None


def _attributes(name: str, raw: str) -> tuple[list[dict[str, str]], str | None]:
    lines = _lines(raw)
    if any("=" not in line for line in lines):
        return [], f"Write each of {name} as name=value, one per line."
    pairs = [line.split("=", 1) for line in lines]
    return [{"name": key.strip(), "value": value.strip()} for key, value in pairs], None


def shown_rows(kind: str, fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, text) of a stored configuration, in the form's order."""
    rows = []
    for spec in fields_of(kind):
        value = fields.get(spec.name)
        if spec.kind == "bool":
            text = "Yes" if value else "No"
        elif spec.kind == "attributes":
            text = ", ".join(f"{a['name']}={a['value']}" for a in value or [])
        elif isinstance(value, list):
            text = ", ".join(value)
        else:
            text = "" if value is None else str(value)
        rows.append((LABELS.get(spec.name, spec.name), text or "(not set)"))
    return rows
