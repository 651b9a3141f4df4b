"""My Apps (SPEC §5, issue 4 items 4-5): the logged-in user's apps, and where each tile leads:
a bookmark with its placeholders filled in, an OpenID Connect initiateLoginUrl with the issuer,
a SAML app its IdP-initiated login; another company's or an unassigned app is not found."""

import re
from urllib.parse import quote

import pytest

from marketlink.domain.my_apps import NOT_CONFIGURED
from tests.api.test_assignments import assign
from tests.api.test_sso_configurations import ADD_BOOKMARK
from tests.api.test_subscription_lifecycle import PUBLISH_LINK, SETUP, URLS, answer
from tests.api.test_web_logins import PASSWORD, add_user, log_in, open_site

ADD_OIDC = """mutation($input: AddProductIntegrationOpenIdConnectConfigurationInput!) {
  addProductIntegrationOpenIdConnectConfiguration(input: $input) { userErrors { message } } }"""
ADD_SAML = """mutation($input: AddProductIntegrationSamlConfigurationInput!) {
  addProductIntegrationSamlConfiguration(input: $input) { userErrors { message } } }"""
ORDER = """mutation($p: ID!, $c: ID!, $u: ID!) { createSubscription(input: {productId: $p, companyId: $c,
  creatorId: $u, editionCode: "BASIC", pricingDuration: MONTHLY}) { subscription { id } } }"""
BOOKMARK_URL = "https://app.example/launch?email={user.email}&company={company.uuid}&account={account.accountIdentifier}"


async def bought(site, name: str, sso: tuple[str, dict] | None, *, assigned: bool = True) -> str:
    """A product with that SSO configuration, bought by Ada's company, ACTIVE (the host said
    account ``acct-<name>``), with Ada assigned (ACTIVE) unless ``assigned`` is False."""
    world = site.world
    data = await world.api.data(SETUP, {"integration": {"name": name} | URLS, "product": {
        "name": name, "editions": [{"code": "BASIC", "name": "Basic"}]}}, world.dev_a)
    integration = data["createProductIntegration"]["productIntegration"]["id"]
    product = data["createProduct"]["product"]["id"]
    if sso:
        document, fields = sso
        await world.api.data(document, {"input": {"integrationConfigurationId": integration} | fields}, world.dev_a)
    await world.api.data(PUBLISH_LINK, {"p": product, "i": integration}, world.dev_a)
    order = await world.api.data(ORDER, {"p": product, "c": site.ada.company_id, "u": site.ada.id}, world.admin)
    subscription = order["createSubscription"]["subscription"]["id"]
    await answer(world, "SUCCEEDED", account_identifier=f"acct-{name}")
    if assigned:
        await assign(world, subscription, site.ada.id)
        await answer(world, "SUCCEEDED", user_identifier="host-ada")
    return subscription


async def order_document(site, subscription: str) -> dict:
    data = await site.world.api.data("""query($s: ID!) { subscription(id: $s) { events { type document } } }""",
                                     {"s": subscription}, site.world.admin)
    [order] = [e for e in data["subscription"]["events"] if e["type"] == "SUBSCRIPTION_ORDER"]
    return order["document"]


@pytest.fixture
async def site(db):
    async with open_site(db) as opened:
        yield opened


async def test_my_apps_lists_the_assigned_active_apps_and_launches_each_kind(site):
    bookmark = await bought(site, "Books", (ADD_BOOKMARK, {"url": BOOKMARK_URL}))
    oidc = await bought(site, "Chat", (ADD_OIDC, {"clientCreationMethod": "PER_SUBSCRIPTION",
                                                   "grantTypes": ["AUTHORIZATION_CODE"],
                                                   "redirectUrls": ["https://chat.example/cb"],
                                                   "initiateLoginUrl": "https://chat.example/login?tenant=1"}))
    saml = await bought(site, "Docs", (ADD_SAML, {"serviceProviderEntityId": "https://docs.example/saml",
                                                  "assertionConsumerServiceUrl": "https://docs.example/acs"}))
    plain = await bought(site, "Envelopes", None)
    await bought(site, "Files", (ADD_BOOKMARK, {"url": "https://files.example/"}), assigned=False)
    await log_in(site.client)

    home = await site.client.get("/")
    launches = {s: await site.client.get(f"/apps/{s}/launch") for s in (bookmark, oidc, saml, plain)}

    assert home.status_code == 200
    listed = [line.strip() for line in home.text.splitlines() if "<li>" in line or "/launch" in line
              or "<small>" in line]
    assert listed == [
        "<li>", f'<a href="/apps/{bookmark}/launch">Books</a>', "<small>(BASIC)</small>",
        "<li>", f'<a href="/apps/{oidc}/launch">Chat</a>', "<small>(BASIC)</small>",
        "<li>", f'<a href="/apps/{saml}/launch">Docs</a>', "<small>(BASIC)</small>",
        "<li>", f"<span>Envelopes</span> <small>{NOT_CONFIGURED}</small>", "<small>(BASIC)</small>"]
    assert "Files" not in home.text  # bought, but Ada is not assigned
    assert (launches[bookmark].status_code, launches[bookmark].headers["location"]) == (
        303, f"https://app.example/launch?email=ada%40buyer.example&company={site.ada.company_id}"
             f"&account=acct-Books")
    assert (launches[oidc].status_code, launches[oidc].headers["location"]) == (
        303, f"https://chat.example/login?tenant=1&iss={quote(site.world.settings.base_url, safe='')}")
    [saml_metadata] = [link["href"] for link in (await order_document(site, saml))["links"]
                       if link["rel"] == "samlIdp"]
    assert launches[saml].status_code == 303
    assert launches[saml].headers["location"] == saml_metadata.removesuffix("/metadata") + "/login"
    assert re.fullmatch(re.escape(site.world.settings.base_url) + r"/saml/idp/[0-9a-f-]{36}/login",
                        launches[saml].headers["location"])
    assert launches[plain].status_code == 404 and NOT_CONFIGURED in launches[plain].text


async def test_another_users_or_an_unknown_app_is_not_found(site):
    theirs = await bought(site, "Books", (ADD_BOOKMARK, {"url": BOOKMARK_URL}))
    await add_user(site.world, "mallory@other.example", PASSWORD)
    await log_in(site.client, "mallory@other.example")

    home = await site.client.get("/")
    answers = [await site.client.get(f"/apps/{s}/launch") for s in
               (theirs, "00000000-0000-4000-8000-000000000000", "not-an-id")]

    assert "You have no apps yet" in home.text and theirs not in home.text
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert all("location" not in a.headers for a in answers)


async def test_launching_needs_a_login(site):
    subscription = await bought(site, "Books", (ADD_BOOKMARK, {"url": BOOKMARK_URL}))

    answer_ = await site.client.get(f"/apps/{subscription}/launch")

    assert (answer_.status_code, answer_.headers["location"]) == (
        303, f"/login?next=%2Fapps%2F{subscription}%2Flaunch")
