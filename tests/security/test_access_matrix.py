"""Who sees and changes what (SPEC §1, ADR 0005): every root query and mutation of the schema,
each as one concrete request aimed at the OWN vendor's objects, sent by every kind of caller:

- ``anonymous``: no credentials;
- ``company_admin_session``: the console session cookie of a company administrator (the role is
  console only: no API token carries it, and /graphql takes bearer tokens only);
- ``other_inbound_client`` / ``own_inbound_client``: an access token from ``/oauth2/token`` of an
  inbound client of the other vendor's / the own vendor's integration (product hosts use these
  for the event endpoints; /graphql does not take them);
- ``other_developer``, ``own_developer``, ``admin``: API tokens.

The operations are read from the schema itself: an operation without an entry here fails.
Each answer is asserted whole (status and body), and every refused request is checked to have
written nothing (every table dumped before and after). The world is built once per backend;
requests that change state get objects of their own (``prepare``), made afresh for each
caller that may change them, so the callers do not depend on each other."""

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio

from marketlink.api.schema import build_schema
from tests.helpers import settings_for
from tests.security.access_world import OWN_URLS, Market, build_market, table_snapshot

pytestmark = pytest.mark.asyncio(loop_scope="module")

EDGE_REFUSED = ("anonymous", "company_admin_session", "other_inbound_client", "own_inbound_client")
TOKEN_CALLERS = ("other_developer", "own_developer", "admin")
CALLERS = EDGE_REFUSED + TOKEN_CALLERS
CHANGERS = ("own_developer", "admin")  # callers that get objects of their own to change
UNAUTHENTICATED = {"errors": [{
    "message": "Authentication required: send Authorization: Bearer <API token>.",
    "extensions": {"code": "UNAUTHENTICATED"}}]}
UNKNOWN_TOKEN = {"errors": [{"message": "The API token is unknown or revoked.",
                             "extensions": {"code": "UNAUTHENTICATED"}}]}
EDGE_ANSWERS = {"anonymous": UNAUTHENTICATED, "company_admin_session": UNAUTHENTICATED,
                "other_inbound_client": UNKNOWN_TOKEN, "own_inbound_client": UNKNOWN_TOKEN}
ERRORS = "userErrors { __typename message path code }"
ADMINS_ONLY = "Only marketplace administrators can do this."


class Matches:
    """Equal to any string matching ``pattern`` (random ids and secrets in answers)."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and re.fullmatch(self.pattern, other) is not None

    def __repr__(self) -> str:
        return f"Matches({self.pattern!r})"


Ctx = dict[str, Any]
Expect = Callable[[Ctx], dict]


def data(value: dict) -> Expect:
    return lambda c: {"data": value}


def payload(name: str, field_name: str, value: Any, errors: list | None = None) -> dict:
    return {"data": {name: {field_name: value, "userErrors": errors or []}}}


def user_errors(name: str, field_name: str, code: str, message: str, path: list[str]) -> Expect:
    """The mutation refused with one user error (its type is ``<Name>Error``)."""
    typename = name[0].upper() + name[1:] + "Error"
    return lambda c: payload(name, field_name, None, [
        {"__typename": typename, "message": message, "path": path, "code": code}])


def not_found(name: str, field_name: str, what: str, path: list[str]) -> Expect:
    return user_errors(name, field_name, "NOT_FOUND", f"{what} not found.", path)


def admins_only(name: str, field_name: str) -> Expect:
    return user_errors(name, field_name, "NOT_ALLOWED", ADMINS_ONLY, ["input"])


# --- preparations: objects of the own vendor that one caller's request may change -----------

async def fresh_integration(market: Market, **options: Any) -> Ctx:
    return {"integration": await market.integration(f"Matrix {market.serial + 1}", **options)}


def integration_with(**options: Any) -> Callable[[Market], Awaitable[Ctx]]:
    async def prepare(market: Market) -> Ctx:
        return await fresh_integration(market, **options)
    return prepare


async def integration_with_client(market: Market) -> Ctx:
    made = await fresh_integration(market)
    return made | {"client": (await market.inbound_client(made["integration"]))["clientId"]}


async def unlinked_product(market: Market) -> Ctx:
    made = await fresh_integration(market, published=True)
    return made | {"product": await market.product(f"Unlinked {market.serial + 1}")}


async def linked_product(market: Market) -> Ctx:
    made = await fresh_integration(market, published=True)
    return made | {"product": await market.product(f"Linked {market.serial + 1}",
                                                   integration=made["integration"])}


async def plain_product(market: Market) -> Ctx:
    return {"product": await market.product(f"Product {market.serial + 1}")}


def subscription_in(status: str) -> Callable[[Market], Awaitable[Ctx]]:
    async def prepare(market: Market) -> Ctx:
        return {"subscription": await market.subscription(status)}
    return prepare


async def colleague(market: Market) -> Ctx:
    return {"colleague": await market.user(market.ids["shop_company"],
                                           f"colleague{market.serial + 1}@shop.example")}


async def subscription_and_colleague(market: Market) -> Ctx:
    return await subscription_in("ACTIVE")(market) | await colleague(market)


async def assigned_colleague(market: Market) -> Ctx:
    made = await subscription_and_colleague(market)
    await market.assignment(made["subscription"], made["colleague"])
    return made


def event_settled_as(outcome: str) -> Callable[[Market], Awaitable[Ctx]]:
    async def prepare(market: Market) -> Ctx:
        subscription = await market.subscription("INITIALIZED")
        return {"subscription": subscription, "event": await market.event_of(subscription, outcome)}
    return prepare


# --- the matrix ------------------------------------------------------------------------------

Q = {
    "viewer": "{ viewer { role vendorId } }",
    "productIntegration": """query($id: ID!) { productIntegration(id: $id) { id name vendorId version
      createUrl outboundCredentials { type username password } inboundClients { clientId } } }""",
    "productIntegrations": """{ productIntegrations(first: 100) { totalCount nodes { name vendorId version } } }""",
    "product": """query($id: ID!) { product(id: $id) { id name vendorId integration { id } } }""",
    "products": """{ products(first: 100) { totalCount nodes { name vendorId } } }""",
    "company": """query($id: ID!) { company(id: $id) { id name } }""",
    "user": """query($id: ID!) { user(id: $id) { id email companyId } }""",
    "subscription": """query($id: ID!) { subscription(id: $id) { id status productId
      events { id type status } } }""",
    "subscriptions": """{ subscriptions(first: 100) { nodes { id status } } }""",
    "events": """{ events(first: 100) { nodes { id type status integrationId } } }""",
    "event": """query($id: ID!) { event(id: $id) { id type status subscriptionId } }""",
}

M = {
    "createProductIntegration": f"""mutation($v: ID!) {{ createProductIntegration(input: {{
      name: "Made by the matrix", vendorId: $v, createUrl: "https://own-host.example/create",
      cancelUrl: "https://own-host.example/cancel"}}) {{
      productIntegration {{ name vendorId version }} {ERRORS} }} }}""",
    "updateProductIntegration": f"""mutation($id: ID!) {{ updateProductIntegration(input: {{id: $id,
      name: "Renamed by the matrix"}}) {{ productIntegration {{ id name }} {ERRORS} }} }}""",
    "addProductIntegrationBookmarkConfiguration": f"""mutation($id: ID!) {{
      addProductIntegrationBookmarkConfiguration(input: {{integrationConfigurationId: $id,
      url: "https://own-host.example/bookmark"}}) {{ bookmarkConfiguration {{ url }} {ERRORS} }} }}""",
    "updateProductIntegrationBookmarkConfiguration": f"""mutation($id: ID!) {{
      updateProductIntegrationBookmarkConfiguration(input: {{integrationConfigurationId: $id,
      url: "https://own-host.example/moved"}}) {{ bookmarkConfiguration {{ url }} {ERRORS} }} }}""",
    "addProductIntegrationOpenIdConnectConfiguration": f"""mutation($id: ID!) {{
      addProductIntegrationOpenIdConnectConfiguration(input: {{integrationConfigurationId: $id,
      clientCreationMethod: "PER_SUBSCRIPTION", grantTypes: ["AUTHORIZATION_CODE"],
      redirectUrls: ["https://own-host.example/cb"]}}) {{
      openIdConnectConfiguration {{ clientCreationMethod redirectUrls }} {ERRORS} }} }}""",
    "updateProductIntegrationOpenIdConnectConfiguration": f"""mutation($id: ID!) {{
      updateProductIntegrationOpenIdConnectConfiguration(input: {{integrationConfigurationId: $id,
      redirectUrls: ["https://own-host.example/cb2"]}}) {{
      openIdConnectConfiguration {{ clientCreationMethod redirectUrls }} {ERRORS} }} }}""",
    "addProductIntegrationSamlConfiguration": f"""mutation($id: ID!) {{
      addProductIntegrationSamlConfiguration(input: {{integrationConfigurationId: $id,
      serviceProviderEntityId: "https://own-host.example/sp",
      assertionConsumerServiceUrl: "https://own-host.example/acs"}}) {{
      samlConfiguration {{ serviceProviderEntityId assertionConsumerServiceUrl }} {ERRORS} }} }}""",
    "updateProductIntegrationSamlConfiguration": f"""mutation($id: ID!) {{
      updateProductIntegrationSamlConfiguration(input: {{integrationConfigurationId: $id,
      serviceProviderEntityId: "https://own-host.example/sp2"}}) {{
      samlConfiguration {{ serviceProviderEntityId assertionConsumerServiceUrl }} {ERRORS} }} }}""",
    "removeProductIntegrationSsoConfiguration": f"""mutation($id: ID!) {{
      removeProductIntegrationSsoConfiguration(input: {{integrationConfigurationId: $id}}) {{
      productIntegration {{ id ssoConfiguration {{ __typename }} }} {ERRORS} }} }}""",
    "generateProductIntegrationInboundClient": f"""mutation($id: ID!) {{
      generateProductIntegrationInboundClient(input: {{id: $id}}) {{
      productIntegrationInboundClient {{ clientId clientSecret createdOn }} {ERRORS} }} }}""",
    "revokeProductIntegrationInboundClient": f"""mutation($id: ID!, $client: String!) {{
      revokeProductIntegrationInboundClient(input: {{id: $id, clientId: $client}}) {{
      inboundClient {{ clientId revokedOn }} {ERRORS} }} }}""",
    "rotateProductIntegrationWebhookSecret": f"""mutation($id: ID!) {{
      rotateProductIntegrationWebhookSecret(input: {{id: $id}}) {{
      webhookSecret {{ secret createdOn }} {ERRORS} }} }}""",
    "triggerProductIntegrationPingTest": f"""mutation($id: ID!) {{
      triggerProductIntegrationPingTest(input: {{id: $id, version: WORKING, eventTypes: [SUBSCRIPTION_ORDER]}}) {{
      productIntegration {{ id lastTest {{ status version results {{ eventType url success }} }} }} {ERRORS} }} }}""",
    "publishProductIntegration": f"""mutation($id: ID!) {{
      publishProductIntegration(input: {{integrationId: $id}}) {{
      productIntegration {{ integrationId version revision }} {ERRORS} }} }}""",
    "createProduct": f"""mutation($v: ID!) {{ createProduct(input: {{name: "Made by the matrix",
      vendorId: $v, editions: [{{code: "BASIC", name: "Basic"}}]}}) {{
      product {{ name vendorId }} {ERRORS} }} }}""",
    "updateProduct": f"""mutation($id: ID!) {{ updateProduct(input: {{id: $id, name: "Renamed product"}}) {{
      product {{ id name }} {ERRORS} }} }}""",
    "linkProductIntegration": f"""mutation($p: ID!, $i: ID!) {{
      linkProductIntegration(input: {{productId: $p, integrationId: $i}}) {{
      product {{ id integration {{ id }} }} {ERRORS} }} }}""",
    "unlinkProductIntegration": f"""mutation($p: ID!) {{
      unlinkProductIntegration(input: {{productId: $p}}) {{ product {{ id integration {{ id }} }} {ERRORS} }} }}""",
    "createCompany": f"""mutation {{ createCompany(input: {{name: "Matrix Co", country: "FR"}}) {{
      company {{ name country }} {ERRORS} }} }}""",
    "createUser": f"""mutation($c: ID!) {{ createUser(input: {{companyId: $c, email: "grace@buyer.example",
      firstName: "Grace", lastName: "Hopper", language: "en"}}) {{ user {{ email companyId }} {ERRORS} }} }}""",
    "createSubscription": f"""mutation($p: ID!, $c: ID!, $u: ID!) {{ createSubscription(input: {{
      productId: $p, companyId: $c, creatorId: $u, editionCode: "BASIC", pricingDuration: MONTHLY}}) {{
      subscription {{ status productId companyId }} {ERRORS} }} }}""",
    "changeSubscription": f"""mutation($s: ID!) {{ changeSubscription(input: {{id: $s, editionCode: "PRO"}}) {{
      subscription {{ id status editionCode }} {ERRORS} }} }}""",
    "assignUser": f"""mutation($s: ID!, $u: ID!) {{ assignUser(input: {{subscriptionId: $s, userId: $u}}) {{
      assignment {{ subscriptionId userId status }} {ERRORS} }} }}""",
    "unassignUser": f"""mutation($s: ID!, $u: ID!) {{ unassignUser(input: {{subscriptionId: $s, userId: $u}}) {{
      assignment {{ subscriptionId userId status }} {ERRORS} }} }}""",
    "updateUser": f"""mutation($u: ID!) {{ updateUser(input: {{id: $u, firstName: "Grace"}}) {{
      user {{ id firstName }} {ERRORS} }} }}""",
    "retryEvent": f"""mutation($e: ID!) {{ retryEvent(input: {{id: $e}}) {{ event {{ id status }} {ERRORS} }} }}""",
    "resolveEvent": f"""mutation($e: ID!) {{ resolveEvent(input: {{id: $e, success: true,
      accountIdentifier: "acct-resolved"}}) {{ event {{ id status resultSuccess }} {ERRORS} }} }}""",
}
for _step in ("cancelSubscription", "suspendSubscription", "reactivateSubscription",
              "closeSubscription", "notifyUpcomingInvoice"):
    M[_step] = f"""mutation($s: ID!) {{ {_step}(input: {{id: $s}}) {{
      subscription {{ id status }} {ERRORS} }} }}"""

I = lambda key: (lambda c: {"id": c[key]})  # noqa: E731
SPEC: dict[str, tuple[Callable[[Ctx], dict], Callable[[Market], Awaitable[Ctx]] | None]] = {
    "viewer": (lambda c: {}, None),
    "productIntegration": (I("integration"), None),
    "productIntegrations": (lambda c: {}, None),
    "product": (I("product"), None),
    "products": (lambda c: {}, None),
    "company": (I("company"), None),
    "user": (I("user"), None),
    "subscription": (I("subscription"), None),
    "subscriptions": (lambda c: {}, None),
    "events": (lambda c: {}, None),
    "event": (I("event"), None),
    "createProductIntegration": (lambda c: {"v": c["vendor"]}, None),
    "updateProductIntegration": (I("integration"), integration_with()),
    "addProductIntegrationBookmarkConfiguration": (I("integration"), integration_with()),
    "updateProductIntegrationBookmarkConfiguration": (I("integration"), integration_with(sso="BOOKMARK")),
    "addProductIntegrationOpenIdConnectConfiguration": (I("integration"), integration_with()),
    "updateProductIntegrationOpenIdConnectConfiguration": (I("integration"), integration_with(sso="OPENID_CONNECT")),
    "addProductIntegrationSamlConfiguration": (I("integration"), integration_with()),
    "updateProductIntegrationSamlConfiguration": (I("integration"), integration_with(sso="SAML")),
    "removeProductIntegrationSsoConfiguration": (I("integration"), integration_with(sso="BOOKMARK")),
    "generateProductIntegrationInboundClient": (I("integration"), integration_with()),
    "revokeProductIntegrationInboundClient": (lambda c: {"id": c["integration"], "client": c["client"]},
                                              integration_with_client),
    "rotateProductIntegrationWebhookSecret": (I("integration"), integration_with()),
    "triggerProductIntegrationPingTest": (I("integration"), integration_with()),
    "publishProductIntegration": (I("integration"), integration_with()),
    "createProduct": (lambda c: {"v": c["vendor"]}, None),
    "updateProduct": (I("product"), plain_product),
    "linkProductIntegration": (lambda c: {"p": c["product"], "i": c["integration"]}, unlinked_product),
    "unlinkProductIntegration": (lambda c: {"p": c["product"]}, linked_product),
    "createCompany": (lambda c: {}, None),
    "createUser": (lambda c: {"c": c["company"]}, None),
    "createSubscription": (lambda c: {"p": c["product"], "c": c["company"], "u": c["user"]}, None),
    "changeSubscription": (lambda c: {"s": c["subscription"]}, subscription_in("ACTIVE")),
    "cancelSubscription": (lambda c: {"s": c["subscription"]}, subscription_in("ACTIVE")),
    "suspendSubscription": (lambda c: {"s": c["subscription"]}, subscription_in("ACTIVE")),
    "reactivateSubscription": (lambda c: {"s": c["subscription"]}, subscription_in("SUSPENDED")),
    "closeSubscription": (lambda c: {"s": c["subscription"]}, subscription_in("CANCELLED")),
    "notifyUpcomingInvoice": (lambda c: {"s": c["subscription"]}, subscription_in("ACTIVE")),
    "assignUser": (lambda c: {"s": c["subscription"], "u": c["colleague"]}, subscription_and_colleague),
    "unassignUser": (lambda c: {"s": c["subscription"], "u": c["colleague"]}, assigned_colleague),
    "updateUser": (lambda c: {"u": c["colleague"]}, colleague),
    "retryEvent": (lambda c: {"e": c["event"]}, event_settled_as("INVALID_RESPONSE")),
    "resolveEvent": (lambda c: {"e": c["event"]}, event_settled_as("PENDING")),
}


def same_for_owner_and_admin(refused: Expect, allowed: Expect) -> dict[str, Expect]:
    return {"other_developer": refused, "own_developer": allowed, "admin": allowed}


def admin_only_op(name: str, field_name: str, allowed: Expect) -> dict[str, Expect]:
    refused = admins_only(name, field_name)
    return {"other_developer": refused, "own_developer": refused, "admin": allowed}


def own_integration(c: Ctx) -> dict:
    return {"id": c["integration"], "name": "Own Integration", "vendorId": c["vendor"], "version": "WORKING",
            "createUrl": OWN_URLS["createUrl"],
            "outboundCredentials": {"type": "BASIC", "username": "own-user", "password": "********"},
            "inboundClients": [{"clientId": c["own_client"]}]}


def integration_not_found(name: str, field_name: str, path: str = "id") -> Expect:
    return not_found(name, field_name, "Integration", ["input", path])


def sso_op(name: str, field_name: str, value: dict) -> dict[str, Expect]:
    return same_for_owner_and_admin(integration_not_found(name, field_name, "integrationConfigurationId"),
                                    lambda c: payload(name, field_name, value))


def step_op(name: str, status: str, **extra: Any) -> dict[str, Expect]:
    return admin_only_op(name, "subscription",
                         lambda c: payload(name, "subscription", {"id": c["subscription"], "status": status} | extra))


OPS: dict[str, dict[str, Expect]] = {  # operation -> token caller -> the answer's body
    "viewer": {
        "other_developer": lambda c: {"data": {"viewer": {"role": "DEVELOPER", "vendorId": c["other_vendor"]}}},
        "own_developer": lambda c: {"data": {"viewer": {"role": "DEVELOPER", "vendorId": c["vendor"]}}},
        "admin": data({"viewer": {"role": "ADMIN", "vendorId": None}})},
    "productIntegration": same_for_owner_and_admin(
        data({"productIntegration": None}), lambda c: {"data": {"productIntegration": own_integration(c)}}),
    "productIntegrations": {
        "other_developer": lambda c: {"data": {"productIntegrations": {"totalCount": 1, "nodes": [
            {"name": "Other Integration", "vendorId": c["other_vendor"], "version": "WORKING"}]}}},
        "own_developer": lambda c: {"data": {"productIntegrations": {"totalCount": 1, "nodes": [
            {"name": "Own Integration", "vendorId": c["vendor"], "version": "WORKING"}]}}},
        "admin": lambda c: {"data": {"productIntegrations": {"totalCount": 2, "nodes": [
            {"name": "Own Integration", "vendorId": c["vendor"], "version": "WORKING"},
            {"name": "Other Integration", "vendorId": c["other_vendor"], "version": "WORKING"}]}}}},
    "product": same_for_owner_and_admin(
        data({"product": None}), lambda c: {"data": {"product": {
            "id": c["product"], "name": "Own App", "vendorId": c["vendor"],
            "integration": {"id": c["integration"]}}}}),
    "products": {
        "other_developer": lambda c: {"data": {"products": {"totalCount": 1, "nodes": [
            {"name": "Other App", "vendorId": c["other_vendor"]}]}}},
        "own_developer": lambda c: {"data": {"products": {"totalCount": 2, "nodes": [
            {"name": "Own App", "vendorId": c["vendor"]}, {"name": "Own Shop App", "vendorId": c["vendor"]}]}}},
        "admin": lambda c: {"data": {"products": {"totalCount": 3, "nodes": [
            {"name": "Own App", "vendorId": c["vendor"]}, {"name": "Other App", "vendorId": c["other_vendor"]},
            {"name": "Own Shop App", "vendorId": c["vendor"]}]}}}},
    # Companies and users are the marketplace's: no developer sees them, own vendor's buyers or not.
    "company": {
        "other_developer": data({"company": None}), "own_developer": data({"company": None}),
        "admin": lambda c: {"data": {"company": {"id": c["company"], "name": "Buyer Inc"}}}},
    "user": {
        "other_developer": data({"user": None}), "own_developer": data({"user": None}),
        "admin": lambda c: {"data": {"user": {"id": c["user"], "email": "ada@buyer.example",
                                               "companyId": c["company"]}}}},
    # A subscription of the own vendor's product, and its events, are the developer's to read.
    "subscription": same_for_owner_and_admin(
        data({"subscription": None}), lambda c: {"data": {"subscription": {
            "id": c["subscription"], "status": "ACTIVE", "productId": c["product"],
            "events": [{"id": c["event"], "type": "SUBSCRIPTION_ORDER", "status": "SUCCEEDED"}]}}}),
    "subscriptions": same_for_owner_and_admin(
        data({"subscriptions": {"nodes": []}}),
        lambda c: {"data": {"subscriptions": {"nodes": [{"id": c["subscription"], "status": "ACTIVE"}]}}}),
    "events": same_for_owner_and_admin(
        data({"events": {"nodes": []}}), lambda c: {"data": {"events": {"nodes": [{
            "id": c["event"], "type": "SUBSCRIPTION_ORDER", "status": "SUCCEEDED",
            "integrationId": c["integration"]}]}}}),
    "event": same_for_owner_and_admin(
        data({"event": None}), lambda c: {"data": {"event": {
            "id": c["event"], "type": "SUBSCRIPTION_ORDER", "status": "SUCCEEDED",
            "subscriptionId": c["subscription"]}}}),
    # Naming the own vendor: the other developer is told the vendor does not exist.
    "createProductIntegration": same_for_owner_and_admin(
        not_found("createProductIntegration", "productIntegration", "Vendor", ["input", "vendorId"]),
        lambda c: payload("createProductIntegration", "productIntegration", {
            "name": "Made by the matrix", "vendorId": c["vendor"], "version": "WORKING"})),
    "updateProductIntegration": same_for_owner_and_admin(
        integration_not_found("updateProductIntegration", "productIntegration"),
        lambda c: payload("updateProductIntegration", "productIntegration", {
            "id": c["integration"], "name": "Renamed by the matrix"})),
    "addProductIntegrationBookmarkConfiguration": sso_op(
        "addProductIntegrationBookmarkConfiguration", "bookmarkConfiguration",
        {"url": "https://own-host.example/bookmark"}),
    "updateProductIntegrationBookmarkConfiguration": sso_op(
        "updateProductIntegrationBookmarkConfiguration", "bookmarkConfiguration",
        {"url": "https://own-host.example/moved"}),
    "addProductIntegrationOpenIdConnectConfiguration": sso_op(
        "addProductIntegrationOpenIdConnectConfiguration", "openIdConnectConfiguration",
        {"clientCreationMethod": "PER_SUBSCRIPTION", "redirectUrls": ["https://own-host.example/cb"]}),
    "updateProductIntegrationOpenIdConnectConfiguration": sso_op(
            "updateProductIntegrationOpenIdConnectConfiguration", "openIdConnectConfiguration",
            {"clientCreationMethod": "PER_SUBSCRIPTION", "redirectUrls": ["https://own-host.example/cb2"]}),
    "addProductIntegrationSamlConfiguration": sso_op(
        "addProductIntegrationSamlConfiguration", "samlConfiguration",
        {"serviceProviderEntityId": "https://own-host.example/sp",
         "assertionConsumerServiceUrl": "https://own-host.example/acs"}),
    "updateProductIntegrationSamlConfiguration": sso_op(
        "updateProductIntegrationSamlConfiguration", "samlConfiguration",
        {"serviceProviderEntityId": "https://own-host.example/sp2",
         "assertionConsumerServiceUrl": "https://own-host.example/acs"}),
    "removeProductIntegrationSsoConfiguration": same_for_owner_and_admin(
        integration_not_found("removeProductIntegrationSsoConfiguration", "productIntegration",
                              "integrationConfigurationId"),
        lambda c: payload("removeProductIntegrationSsoConfiguration", "productIntegration",
                          {"id": c["integration"], "ssoConfiguration": None})),
    "generateProductIntegrationInboundClient": same_for_owner_and_admin(
        integration_not_found("generateProductIntegrationInboundClient", "productIntegrationInboundClient"),
        lambda c: payload("generateProductIntegrationInboundClient", "productIntegrationInboundClient", {
            "clientId": Matches(r"[A-Za-z0-9]{20}"), "clientSecret": Matches(r"[A-Za-z0-9_-]{43}"),
            "createdOn": c["now"]})),
    "revokeProductIntegrationInboundClient": same_for_owner_and_admin(
        integration_not_found("revokeProductIntegrationInboundClient", "inboundClient"),
        lambda c: payload("revokeProductIntegrationInboundClient", "inboundClient",
                          {"clientId": c["client"], "revokedOn": c["now"]})),
    "rotateProductIntegrationWebhookSecret": same_for_owner_and_admin(
        integration_not_found("rotateProductIntegrationWebhookSecret", "webhookSecret"),
        lambda c: payload("rotateProductIntegrationWebhookSecret", "webhookSecret", {
            "secret": Matches(r"whsec_[A-Za-z0-9+/]{43}="), "createdOn": c["now"]})),
    "triggerProductIntegrationPingTest": same_for_owner_and_admin(
        integration_not_found("triggerProductIntegrationPingTest", "productIntegration"),
        lambda c: payload("triggerProductIntegrationPingTest", "productIntegration", {
            "id": c["integration"], "lastTest": {"status": "RUNNING", "version": "WORKING", "results": [
                {"eventType": "SUBSCRIPTION_ORDER", "url": OWN_URLS["createUrl"], "success": None}]}})),
    "publishProductIntegration": same_for_owner_and_admin(
        integration_not_found("publishProductIntegration", "productIntegration", "integrationId"),
        lambda c: payload("publishProductIntegration", "productIntegration", {
            "integrationId": c["integration"], "version": "PUBLISHED", "revision": 1})),
    "createProduct": same_for_owner_and_admin(
        not_found("createProduct", "product", "Vendor", ["input", "vendorId"]),
        lambda c: payload("createProduct", "product", {"name": "Made by the matrix", "vendorId": c["vendor"]})),
    "updateProduct": same_for_owner_and_admin(
        not_found("updateProduct", "product", "Product", ["input", "id"]),
        lambda c: payload("updateProduct", "product", {"id": c["product"], "name": "Renamed product"})),
    "linkProductIntegration": same_for_owner_and_admin(
        lambda c: payload("linkProductIntegration", "product", None, [
            {"__typename": "LinkProductIntegrationError", "message": "Product not found.",
             "path": ["input", "productId"], "code": "NOT_FOUND"},
            {"__typename": "LinkProductIntegrationError", "message": "Integration not found.",
             "path": ["input", "integrationId"], "code": "NOT_FOUND"}]),
        lambda c: payload("linkProductIntegration", "product",
                          {"id": c["product"], "integration": {"id": c["integration"]}})),
    "unlinkProductIntegration": same_for_owner_and_admin(
        not_found("unlinkProductIntegration", "product", "Product", ["input", "productId"]),
        lambda c: payload("unlinkProductIntegration", "product", {"id": c["product"], "integration": None})),
    "createCompany": admin_only_op("createCompany", "company", data(
        {"createCompany": {"company": {"name": "Matrix Co", "country": "FR"}, "userErrors": []}})),
    "createUser": admin_only_op("createUser", "user", lambda c: payload(
        "createUser", "user", {"email": "grace@buyer.example", "companyId": c["company"]})),
    "createSubscription": admin_only_op("createSubscription", "subscription", lambda c: payload(
        "createSubscription", "subscription", {"status": "INITIALIZED", "productId": c["product"],
                                               "companyId": c["company"]})),
    # The subscription as it is now: its status and order change when the host answers.
    "changeSubscription": step_op("changeSubscription", "ACTIVE", editionCode="BASIC"),
    "cancelSubscription": step_op("cancelSubscription", "ACTIVE"),
    "suspendSubscription": step_op("suspendSubscription", "ACTIVE"),
    "reactivateSubscription": step_op("reactivateSubscription", "SUSPENDED"),
    "closeSubscription": step_op("closeSubscription", "CANCELLED"),
    "notifyUpcomingInvoice": step_op("notifyUpcomingInvoice", "ACTIVE"),
    "assignUser": admin_only_op("assignUser", "assignment", lambda c: payload(
        "assignUser", "assignment", {"subscriptionId": c["subscription"], "userId": c["colleague"],
                                     "status": "ASSIGNING"})),
    "unassignUser": admin_only_op("unassignUser", "assignment", lambda c: payload(
        "unassignUser", "assignment", {"subscriptionId": c["subscription"], "userId": c["colleague"],
                                       "status": "UNASSIGNING"})),
    "updateUser": admin_only_op("updateUser", "user", lambda c: payload(
        "updateUser", "user", {"id": c["colleague"], "firstName": "Grace"})),
    "retryEvent": admin_only_op("retryEvent", "event", lambda c: payload(
        "retryEvent", "event", {"id": c["event"], "status": "QUEUED"})),
    "resolveEvent": admin_only_op("resolveEvent", "event", lambda c: payload(
        "resolveEvent", "event", {"id": c["event"], "status": "SUCCEEDED", "resultSuccess": True})),
}

# --- running it ------------------------------------------------------------------------------

def schema_operations() -> list[str]:
    """Every root query and mutation field, as the served schema has them."""
    schema = build_schema(settings_for("sqlite:///unused.db"))._schema
    return list(schema.query_type.fields) + list(schema.mutation_type.fields)


async def call(market: Market, caller: str, name: str, ctx: Ctx) -> tuple[int, dict]:
    query = Q.get(name) or M[name]
    variables = SPEC[name][0](ctx)
    response = await market.client.post("/graphql", json={"query": query, "variables": variables},
                                        headers=market.callers[caller])
    return response.status_code, response.json()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def market(module_db):
    built = await build_market(module_db)
    built.ids.update(vendor=built.world.vendor_a, other_vendor=built.world.vendor_b)
    yield built
    await built.client.aclose()


def expected_answer(name: str, caller: str, ctx: Ctx) -> tuple[int, dict]:
    if caller in EDGE_ANSWERS:
        return 401, EDGE_ANSWERS[caller]
    return 200, OPS[name][caller](ctx)


def writes(name: str, body: dict) -> bool:
    """Whether an answer says something was changed: a mutation answered without errors."""
    if name not in M or "errors" in body:
        return False
    return not body["data"][name]["userErrors"]


# --- beyond the matrix: every other way to name the own vendor's objects ---------------------

PROBES = """query($i: ID!, $s: ID!, $p: ID!, $sub: ID!, $c: ID!) {
  working: productIntegration(id: $i) { id }
  published: productIntegration(id: $i, version: PUBLISHED) { id }
  snapshot: productIntegration(id: $s) { id }
  snapshotWorking: productIntegration(id: $s, version: WORKING) { id }
  byIntegration: events(integrationId: $i) { nodes { id } }
  byProduct: events(productId: $p) { nodes { id } }
  bySubscription: events(subscriptionId: $sub) { nodes { id } }
  ofCompany: subscriptions(companyId: $c) { nodes { id } } }"""


async def test_the_other_developer_finds_nothing_by_any_id_version_or_filter(market):
    ids = market.ids
    variables = {"i": ids["integration"], "s": ids["snapshot"], "p": ids["product"],
                 "sub": ids["subscription"], "c": ids["company"]}

    theirs = await market.world.api.data(PROBES, variables, market.world.dev_b)
    ours = await market.world.api.data(PROBES, variables, market.world.dev_a)

    assert theirs == {"working": None, "published": None, "snapshot": None, "snapshotWorking": None,
                      "byIntegration": {"nodes": []}, "byProduct": {"nodes": []},
                      "bySubscription": {"nodes": []}, "ofCompany": {"nodes": []}}
    event = {"nodes": [{"id": ids["event"]}]}
    assert ours == {"working": {"id": ids["integration"]}, "published": {"id": ids["snapshot"]},
                    "snapshot": {"id": ids["snapshot"]}, "snapshotWorking": {"id": ids["integration"]},
                    "byIntegration": event, "byProduct": event, "bySubscription": event,
                    "ofCompany": {"nodes": [{"id": ids["subscription"]}]}}


# --- the product host's endpoints, by the same callers --------------------------------------

NO_CREDENTIALS = {"error": "unauthorized", "message": "Authenticate with Bearer or OAuth."}
BAD_TOKEN = {"error": "unauthorized", "message": "The access token is unknown, expired or revoked."}
NO_EVENT = {"error": "not_found", "message": "No such event."}
RESULT = {"success": True, "accountIdentifier": "acct-from-a-stranger"}


async def test_only_the_own_integrations_inbound_client_reaches_its_events(market):
    """API tokens are for /graphql only, inbound clients for these endpoints only, and another
    integration's client finds nothing; the event (already answered) is not changed by anyone."""
    [node] = (await market.world.api.data("query($s: ID!) { events(subscriptionId: $s) { nodes { url document } } }",
                                          {"s": market.ids["subscription"]}, market.admin))["events"]["nodes"]
    path = node["url"].removeprefix(market.world.settings.base_url)
    tables = await table_snapshot(market.world.db)
    seen = {}

    for caller, headers in market.callers.items():
        fetched = await market.client.get(path, headers=headers | {"Accept": "application/json"})
        posted = await market.client.post(path + "/result", json=RESULT, headers=headers)
        seen[caller] = [(fetched.status_code, fetched.json()),
                        (posted.status_code, posted.json() if posted.content else None)]

    assert seen == {
        "anonymous": [(401, NO_CREDENTIALS)] * 2,
        "company_admin_session": [(401, NO_CREDENTIALS)] * 2,
        "other_inbound_client": [(404, NO_EVENT)] * 2,
        # The host may repeat a result it is unsure of: a success again is accepted, unchanged.
        "own_inbound_client": [(200, node["document"]), (204, None)],
        "other_developer": [(401, BAD_TOKEN)] * 2,
        "own_developer": [(401, BAD_TOKEN)] * 2,
        "admin": [(401, BAD_TOKEN)] * 2,
    }
    assert await table_snapshot(market.world.db) == tables


@pytest.mark.parametrize("name", schema_operations())
async def test_each_caller_gets_exactly_its_answer_and_refusals_write_nothing(market, name):
    assert name in SPEC and name in OPS, f"{name} has no entry in the access matrix"
    variables, prepare = SPEC[name]
    ctx = market.ids | (await prepare(market) if prepare else {})
    seen, wanted = {}, {}
    tables = await table_snapshot(market.world.db)
    for caller in CALLERS:
        if prepare and caller in CHANGERS:
            ctx = market.ids | await prepare(market)
            tables = await table_snapshot(market.world.db)
        ctx = ctx | {"now": market.world.clock.now_ms()}
        status, body = await call(market, caller, name, ctx)
        before, tables = tables, await table_snapshot(market.world.db)
        wrote = tables != before
        seen[caller] = (status, body, "wrote" if wrote else "wrote nothing")
        want_status, want_body = expected_answer(name, caller, ctx)
        wanted[caller] = (want_status, want_body,
                          "wrote" if writes(name, want_body) else "wrote nothing")
    assert seen == wanted
