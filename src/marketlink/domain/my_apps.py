"""My Apps (SPEC §5): the apps of a logged-in user's ACTIVE subscriptions they are assigned to,
and where each tile leads. The tile uses the SSO configuration of the newest PUBLISHED snapshot
of the subscription's integration:

- BOOKMARK: the configured URL, placeholders filled in (percent-encoded);
- OPENID_CONNECT: ``initiateLoginUrl?iss=<issuer>`` (OpenID Connect Core, third-party initiated
  login); without an initiateLoginUrl the tile has no link;
- SAML: the IdP-initiated login of the subscription's IdP (``/saml/idp/<id>/login``);
- none: no link.

A configuration whose ``validationErrors`` are not empty still shows its tile, without a link
and with the reason, rather than sending the user to a URL that cannot work.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain import saml_idps, sso
from marketlink.domain.events import marketplace
from marketlink.domain.models import IntegrationVersion, User
from marketlink.domain.placeholders import fill, placeholder_values
from marketlink.domain.services import Services
from marketlink.storage import apps as store
from marketlink.storage import commerce as commerce_store
from marketlink.storage import integrations as integration_store

NOT_CONFIGURED = "This app has no sign-in configured yet."
MISCONFIGURED = "This app's sign-in is not configured correctly yet; ask its vendor."


@dataclass(frozen=True)
class AppTile:
    subscription_id: str
    product_name: str
    edition_code: str
    sso_kind: str | None
    launch_url: str | None  # where the tile's link goes (the launch route redirects there)
    problem: str | None = None


async def my_apps(conn: AsyncConnection, services: Services, user: User) -> list[AppTile]:
    company = await commerce_store.by_id(conn, commerce_store.companies, user.company_id)
    rows = await store.assigned_subscriptions(conn, user.id)
    return [await _tile(conn, services, user, company, row) for row in rows]


async def app_of(conn: AsyncConnection, services: Services, user: User, subscription_id: str) -> AppTile | None:
    """The tile of one subscription, or None when the user has no such app."""
    row = await store.assigned_subscription(conn, user.id, subscription_id)
    if row is None:
        return None
    company = await commerce_store.by_id(conn, commerce_store.companies, user.company_id)
    return await _tile(conn, services, user, company, row)


async def _tile(conn: AsyncConnection, services: Services, user: User, company: Mapping[str, Any],
                row: Mapping[str, Any]) -> AppTile:
    snapshot = await integration_store.latest_published(conn, row["integration_id"])
    version = IntegrationVersion.from_row(snapshot) if snapshot else None
    configuration = version.sso if version else None
    base = {"subscription_id": row["id"], "product_name": row["product_name"],
            "edition_code": row["edition_code"], "sso_kind": configuration.kind if configuration else None}
    if configuration is None:
        return AppTile(**base, launch_url=None, problem=NOT_CONFIGURED)
    if sso.validation_errors(configuration):
        return AppTile(**base, launch_url=None, problem=MISCONFIGURED)
    values = placeholder_values(_user_row(user), company, row, row["user_identifier"], marketplace(services))
    if configuration.kind == sso.SAML:
        idp_id = await saml_idps.idp_of_subscription(conn, version, row["id"])
        url = saml_idps.Urls.of(services.settings.base_url, idp_id).login if idp_id else None
    else:
        url = launch_url(configuration.kind, configuration.fields, values, services.settings.base_url)
    return AppTile(**base, launch_url=url, problem=None if url else NOT_CONFIGURED)


def launch_url(kind: str, fields: Mapping[str, Any], values: Mapping[str, str], issuer: str) -> str | None:
    """Where a bookmark or OpenID Connect tile leads (pure)."""
    if kind == sso.BOOKMARK:
        return fill(fields["url"], values, in_url=True)
    if kind == sso.OPENID_CONNECT:
        initiate = fields.get("initiateLoginUrl")
        return with_query(fill(initiate, values, in_url=True), {"iss": issuer}) if initiate else None
    return None


def with_query(url: str, extra: Mapping[str, str]) -> str:
    """``url`` with ``extra`` added to its query (existing parameters kept)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(extra.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _user_row(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "first_name": user.first_name,
            "last_name": user.last_name, "language": user.language, "locale": user.locale}
