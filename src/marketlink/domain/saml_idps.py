"""SAML identity providers of product integrations (SPEC §5, docs/adr/0013).

An order of a product whose published integration signs in with SAML gets an IdP: a new one per
subscription (``PER_SUBSCRIPTION``), or the integration's one shared IdP (``PER_MARKETPLACE``,
``PER_ENVIRONMENT``: this deployment is one marketplace and one environment), made by the first
order that needs it. The order event links to its metadata (``{rel: "samlIdp", href}``). The
IdP's signing key is made at first need (``sso/saml/keys.py``), outside any transaction.

Who may sign in through an IdP: a user with an ACTIVE assignment to an ACTIVE subscription it
serves (its own subscription, or any of the integration's for a shared IdP). What is asserted
comes from the SAML configuration of the integration's latest PUBLISHED snapshot, as for events.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain.events import marketplace
from marketlink.domain import sso
from marketlink.domain.ids import new_id, normalized_id
from marketlink.domain.models import IntegrationVersion, SsoConfiguration
from marketlink.domain.services import Services
from marketlink.domain.sso import SAML, validation_errors
from marketlink.domain.placeholders import placeholder_values
from marketlink.storage import integrations as integration_store
from marketlink.storage import saml as store

LINK_REL = "samlIdp"
PATH = "/saml/idp/"


@dataclass(frozen=True)
class IdentityProvider:
    id: str
    integration_id: str
    subscription_id: str | None  # a PER_SUBSCRIPTION IdP serves that subscription only
    creation_method: str
    private_key: str | None = None  # encrypted PEM; None until first needed
    certificate: str | None = None  # PEM

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "IdentityProvider":
        return cls(row["id"], row["integration_id"], row["subscription_id"],
                   row["creation_method"], row["private_key"], row["certificate"])


@dataclass(frozen=True)
class Urls:
    """Where an IdP is reached: all under its entity ID, which is also its metadata's home."""

    entity_id: str

    @classmethod
    def of(cls, base_url: str, idp_id: str) -> "Urls":
        return cls(base_url + PATH + idp_id)

    @property
    def metadata(self) -> str:
        return self.entity_id + "/metadata"

    @property
    def sso(self) -> str:
        return self.entity_id + "/sso"

    @property
    def login(self) -> str:
        return self.entity_id + "/login"


@dataclass(frozen=True)
class Configured:
    """An IdP with the SAML configuration in force, and why it cannot be used (if it can't)."""

    idp: IdentityProvider
    fields: Mapping[str, Any]
    problems: tuple[str, ...]


@dataclass(frozen=True)
class Party:
    """Who signs in, to which subscription, and the values of every placeholder."""

    user: Mapping[str, Any]
    subscription_id: str
    values: Mapping[str, str]


async def order_links(conn: AsyncConnection, services: Services, snapshot: IntegrationVersion,
                      subscription_id: str) -> list[dict[str, str]]:
    """The order event's ``samlIdp`` link, making the IdP it names when needed; none when the
    snapshot does not sign in with SAML."""
    if snapshot.sso is None or snapshot.sso.kind != SAML:
        return []
    method = snapshot.sso.fields["idpConfigurationCreationMethod"]
    scope_key = sso.scope_key(method, subscription_id)
    row = await store.idp_for_scope(conn, snapshot.integration_id, scope_key)
    if row is None:
        await store.insert_idp_unless_exists(conn, {
            "id": new_id(), "integration_id": snapshot.integration_id,
            "subscription_id": sso.scoped_subscription(method, subscription_id),
            "creation_method": method, "scope_key": scope_key,
            "created_on": services.clock.now_ms()})
        row = await store.idp_for_scope(conn, snapshot.integration_id, scope_key)
    return [{"rel": LINK_REL, "href": Urls.of(services.settings.base_url, row["id"]).metadata}]


async def idp_of_subscription(conn: AsyncConnection, snapshot: IntegrationVersion,
                              subscription_id: str) -> str | None:
    """The id of the IdP a subscription signs in through (My Apps' tile), if it has one."""
    if snapshot.sso is None or snapshot.sso.kind != SAML:
        return None
    method = snapshot.sso.fields["idpConfigurationCreationMethod"]
    scope_key = sso.scope_key(method, subscription_id)
    row = await store.idp_for_scope(conn, snapshot.integration_id, scope_key)
    return row["id"] if row else None


async def configured_idp(conn: AsyncConnection, idp_id: str) -> Configured | None:
    """The IdP and its integration's live SAML configuration; None for an unknown IdP or one
    whose integration no longer signs in with SAML."""
    canonical = normalized_id(idp_id)
    row = await store.idp_by_id(conn, canonical) if canonical else None
    if row is None:
        return None
    snapshot = await integration_store.latest_published(conn, row["integration_id"])
    if snapshot is None or snapshot["sso_type"] != SAML:
        return None
    fields = snapshot["sso_config"]
    problems = tuple(p.message for p in validation_errors(SsoConfiguration(SAML, fields)))
    return Configured(IdentityProvider.from_row(row), fields, problems)


async def signing_in(conn: AsyncConnection, services: Services, idp: IdentityProvider,
                     user_id: str) -> Party | None:
    """The user and the subscription they sign in to through ``idp``; None when the user has no
    ACTIVE assignment to an ACTIVE subscription the IdP serves (another company's users never
    have one)."""
    subscription = await store.sign_in_subscription(conn, user_id, idp.integration_id,
                                                    idp.subscription_id)
    people = await store.user_and_company(conn, user_id) if subscription else None
    if people is None:
        return None
    user, company = people
    values = placeholder_values(user, company, subscription, subscription["user_identifier"],
                                marketplace(services))
    return Party(user, subscription["id"], values)
