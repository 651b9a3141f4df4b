"""SSO configurations (SPEC §2, §5): one per integration version, of one of three kinds.

Choices, required fields, lengths and numbers are checked when the configuration is saved (user
errors). URL fields accept any text, because the seed saves placeholders such as
``"YOUR_REDIRECT_URLS"`` and still publishes; :func:`validation_errors` lists what would not
work at login time, and the SSO protocols refuse to use such a configuration.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marketlink.domain.errors import Code, UserError, error
from marketlink.domain.models import SsoConfiguration
from marketlink.domain.urls import template_url_problem

BOOKMARK, OPENID_CONNECT, SAML = "BOOKMARK", "OPENID_CONNECT", "SAML"
CREATION_METHODS = ("PER_SUBSCRIPTION", "PER_MARKETPLACE", "PER_ENVIRONMENT")
PER_SUBSCRIPTION = "PER_SUBSCRIPTION"
MAX_TEXT = 1024
MAX_LIST = 20
MAX_ATTRIBUTES = 50
# What an SSO field may refer to; filled in at login time (issue: SSO).
PLACEHOLDERS = frozenset({
    "user.uuid", "user.email", "user.emailAddress", "user.firstName", "user.lastName",
    "user.fullName", "user.language", "user.locale", "user.openId", "user.userIdentifier",
    "company.uuid", "company.name", "company.externalId", "company.country",
    "subscription.uuid", "account.accountIdentifier", "marketplace.partner",
    "marketplace.baseUrl",
})
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def scope_key(creation_method: str, subscription_id: str) -> str:
    """What an OIDC client or SAML IdP is shared by: the subscription (``PER_SUBSCRIPTION``),
    else the creation method itself (one deployment is one marketplace and one environment)."""
    return subscription_id if creation_method == PER_SUBSCRIPTION else creation_method


def scoped_subscription(creation_method: str, subscription_id: str) -> str | None:
    """The subscription a client or IdP serves alone, or None when it is shared."""
    return subscription_id if creation_method == PER_SUBSCRIPTION else None


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # choice | choices | bool | text | url | urls | minutes | attributes
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    low: int = 0
    high: int = 0


FIELDS: dict[str, tuple[Field, ...]] = {
    BOOKMARK: (Field("url", "url", required=True),),
    OPENID_CONNECT: (
        Field("clientCreationMethod", "choice", required=True, choices=CREATION_METHODS),
        Field("grantTypes", "choices", required=True, choices=("AUTHORIZATION_CODE", "REFRESH_TOKEN")),
        Field("redirectUrls", "urls", default=[]),
        Field("allowOidcScope", "bool", default=True),
        Field("allowUserScopes", "bool", default=False),
        Field("allowRoleScopes", "bool", default=False),
        Field("initiateLoginUrl", "url"),
        Field("logoutUrl", "url"),
    ),
    SAML: (
        Field("version", "choice", default="2.0", choices=("2.0",)),
        Field("idpConfigurationCreationMethod", "choice", default="PER_SUBSCRIPTION",
              choices=CREATION_METHODS),
        Field("serviceProviderEntityId", "text", required=True),
        Field("assertionConsumerServiceUrl", "url", required=True),
        Field("serviceProviderInitiatedLoginUrl", "url"),
        Field("nameId", "text", default="{user.email}"),
        Field("nameIdFormat", "choice", default="EMAIL",
              choices=("EMAIL", "UNSPECIFIED", "PERSISTENT", "TRANSIENT")),
        Field("responseSignatureMode", "choice", default="ASSERTION",
              choices=("RESPONSE", "ASSERTION", "RESPONSE_AND_ASSERTION")),
        Field("responseSignatureAlgorithm", "choice", default="RSA_SHA256",
              choices=("RSA_SHA1", "RSA_SHA256", "RSA_SHA512")),
        Field("relayState", "text"),
        Field("responseField", "text", default="SAMLResponse"),
        Field("encodeResponse", "bool", default=True),
        Field("assertionAttributes", "attributes", default=[]),
        Field("notBeforeMinutes", "minutes", default=5, low=0, high=1440),
        Field("notAfterMinutes", "minutes", default=5, low=1, high=1440),
    ),
}


def checked_configuration(
    kind: str, changes: Mapping[str, Any], current: Mapping[str, Any] | None, path: tuple[str, ...]
) -> tuple[dict[str, Any], list[UserError]]:
    """The configuration after ``changes`` (over ``current``, or over the defaults when adding),
    and the user errors in it."""
    merged = {f.name: f.default for f in FIELDS[kind]} | dict(current or {})
    errors: list[UserError] = []
    for spec in FIELDS[kind]:
        if spec.name in changes:
            value, problem = _checked(spec, changes[spec.name])
            merged[spec.name] = value
            if problem:
                errors.append(error(path + (spec.name,), *problem))
        if spec.required and _blank(merged.get(spec.name)) and not _has(errors, spec):
            errors.append(error(path + (spec.name,), Code.REQUIRED, f"{spec.name} is required."))
    return merged, errors


def _blank(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def _has(errors: list[UserError], spec: Field) -> bool:
    return any(e.path[-1] == spec.name for e in errors)


def _checked(spec: Field, value: Any) -> tuple[Any, tuple[Code, str] | None]:
    if value is None:
        return spec.default, None
    if spec.kind == "choice" and value not in spec.choices:
        return value, (Code.INVALID, f"{spec.name} must be one of {', '.join(spec.choices)}.")
    if spec.kind == "choices":
        return _checked_choices(spec, value)
    if spec.kind in ("text", "url") and len(value) > MAX_TEXT:
        return value, (Code.TOO_LONG, f"{spec.name} must be at most {MAX_TEXT} characters.")
    if spec.kind == "urls":
        return _checked_urls(spec, value)
    if spec.kind == "minutes" and not spec.low <= value <= spec.high:
        return value, (Code.INVALID, f"{spec.name} must be between {spec.low} and {spec.high}.")
    if spec.kind == "attributes":
        return _checked_attributes(spec, value)
    return value, None


def _checked_choices(spec: Field, value: list[str]) -> tuple[Any, tuple[Code, str] | None]:
    unknown = [v for v in value if v not in spec.choices]
    if unknown:
        return value, (Code.INVALID, f"{spec.name} must be among {', '.join(spec.choices)}.")
    if spec.name == "grantTypes" and "AUTHORIZATION_CODE" not in value:
        return value, (Code.INVALID, "grantTypes must include AUTHORIZATION_CODE.")
    return list(dict.fromkeys(value)), None


def _checked_urls(spec: Field, value: list[str]) -> tuple[Any, tuple[Code, str] | None]:
    if len(value) > MAX_LIST:
        return value, (Code.TOO_MANY, f"{spec.name} takes at most {MAX_LIST} URLs.")
    if any(len(v) > MAX_TEXT for v in value):
        return value, (Code.TOO_LONG, f"each of {spec.name} must be at most {MAX_TEXT} characters.")
    return list(value), None


def _checked_attributes(spec: Field, value: list[dict]) -> tuple[Any, tuple[Code, str] | None]:
    if len(value) > MAX_ATTRIBUTES:
        return value, (Code.TOO_MANY, f"{spec.name} takes at most {MAX_ATTRIBUTES} attributes.")
    names = [a["name"].strip() for a in value]
    if any(not n or len(n) > MAX_TEXT for n in names) or any(len(a["value"]) > MAX_TEXT for a in value):
        return value, (Code.INVALID, f"each of {spec.name} needs a name and a value of at most {MAX_TEXT} characters.")
    if len(set(names)) != len(names):
        return value, (Code.DUPLICATE, f"{spec.name} names must be unique.")
    return [{"name": n, "value": a["value"]} for n, a in zip(names, value, strict=True)], None


@dataclass(frozen=True)
class Problem:
    path: tuple[str, ...]
    code: str
    message: str


def validation_errors(sso: SsoConfiguration | None) -> list[Problem]:
    """What in a saved configuration would fail at login time (URLs and placeholders)."""
    if sso is None:
        return []
    problems: list[Problem] = []
    root = ("ssoConfiguration",)
    for spec in FIELDS[sso.kind]:
        value = sso.fields.get(spec.name)
        if spec.kind == "url" and value:
            problems += _url_problems(root + (spec.name,), value)
        elif spec.kind == "urls":
            for index, url in enumerate(value or []):
                problems += _url_problems(root + (spec.name, str(index)), url)
        elif spec.kind == "text" and value:
            problems += _placeholder_problems(root + (spec.name,), value)
        elif spec.kind == "attributes":
            for index, attribute in enumerate(value or []):
                problems += _placeholder_problems(root + (spec.name, str(index), "value"), attribute["value"])
    if sso.kind == OPENID_CONNECT and not sso.fields.get("redirectUrls"):
        problems.append(Problem(root + ("redirectUrls",), "REQUIRED",
                                "At least one redirect URL is needed for OpenID Connect logins."))
    return problems


def _url_problems(path: tuple[str, ...], value: str) -> list[Problem]:
    problems = _placeholder_problems(path, value)
    if (problem := template_url_problem(value)):
        field = next(part for part in reversed(path) if not part.isdigit())
        problems.append(Problem(path, "INVALID_URL", f"{field} {problem}."))
    return problems


def _placeholder_problems(path: tuple[str, ...], value: str) -> list[Problem]:
    unknown = sorted(set(_PLACEHOLDER.findall(value)) - PLACEHOLDERS)
    return [Problem(path, "UNKNOWN_PLACEHOLDER", f"Unknown placeholder {{{name}}}.") for name in unknown]
