"""Integrations in the console (issue 5): a developer creates one through the forms, is told
what is wrong exactly as the API would tell, adds single sign-on, gets an inbound client whose
secret is shown once; an integration linked to two products turns read-only."""

import re
from typing import Any

from playwright.sync_api import Page, expect

from marketlink.domain.actors import Actor, Role
from marketlink.domain.integrations import create_integration, integrations_page
from marketlink.domain.vendors import create_vendor
from marketlink.storage import inbound_clients as client_store
from marketlink.storage import integrations as integration_store
from tests.browser.conftest import ConsoleServer, log_in

ADMIN = Actor(Role.ADMIN, None)
SECRET = "s3cret-of-the-host-0123456789"


def vendor(console: ConsoleServer, name: str) -> str:
    async def make(db: Any, services: Any) -> str:
        async with db.write() as conn:
            return await create_vendor(conn, services, name)
    return console.call(make)


def integration_rows(console: ConsoleServer) -> list[dict[str, Any]]:
    """Every stored version of every integration, as rows (secret columns included)."""
    async def read(db: Any, _services: Any) -> list[dict[str, Any]]:
        async with db.read() as conn:
            items, _ = await integrations_page(conn, ADMIN, None, 100)
            return [dict(await integration_store.version_by_id(conn, i.id)) for i in items]
    return console.call(read)


def stored_secret(console: ConsoleServer, version_id: str) -> str:
    async def read(db: Any, services: Any) -> str:
        async with db.read() as conn:
            row = await integration_store.version_by_id(conn, version_id)
        return services.keyring.decrypt(row["credentials_secret"])
    return console.call(read)


def field(page: Page, label: str) -> Any:
    return page.get_by_label(label, exact=True)


def field_error(page: Page, name: str) -> str:
    """The error shown next to a field, checked to be tied to it by aria-describedby."""
    ident = name.replace(".", "-")
    described = page.locator(f"[id='f-{ident}']").get_attribute("aria-describedby") or ""
    assert f"e-{ident}" in described.split()
    return page.locator(f"[id='e-{ident}']").inner_text()


def test_a_developer_creates_an_integration_through_the_forms(
    page: Page, console: ConsoleServer, screenshot: Any
) -> None:
    vendor_id = vendor(console, "Acme Apps")
    console.user("dev@acme.example", Role.DEVELOPER, vendor_id)
    log_in(page, "dev@acme.example")

    page.get_by_role("link", name="New integration").click()
    field(page, "Name (required)").fill("Acme CRM")
    field(page, "Create URL (createUrl)").fill("acme.example/create")
    field(page, "Credentials type").select_option("OAUTH2")
    field(page, "Client ID (clientId)").fill("acme-client")
    field(page, "Token URI (tokenUri)").fill("https://auth.acme.example/token")
    field(page, "Client secret (clientSecret)").fill(SECRET)
    page.get_by_role("button", name="Create integration").click()

    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved: 1 problem")
    assert field_error(page, "createUrl") == "createUrl must be an absolute http(s) URL."
    assert integration_rows(console) == []
    assert field(page, "Client secret (clientSecret)").input_value() == ""
    assert SECRET not in page.content()
    screenshot(page, "integration-form-error")

    field(page, "Create URL (createUrl)").fill("https://acme.example/create?e={eventUrl}")
    field(page, "Cancel URL (cancelUrl)").fill("https://acme.example/cancel")
    field(page, "Client secret (clientSecret)").fill(SECRET)
    page.get_by_role("button", name="Create integration").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Acme CRM")
    [row] = integration_rows(console)
    assert (row["vendor_id"], row["name"], row["create_url"], row["cancel_url"]) == (
        vendor_id, "Acme CRM", "https://acme.example/create?e={eventUrl}", "https://acme.example/cancel")
    assert row["credentials"] == {"clientId": "acme-client", "tokenUri": "https://auth.acme.example/token",
                                  "grantType": "client_credentials"}
    assert stored_secret(console, row["id"]) == SECRET
    credentials = page.locator("#outbound-credentials tbody tr")
    assert credentials.all_inner_texts() == [
        "Type\tOAuth 2.0 client credentials", "Client ID\tacme-client",
        "Token URI\thttps://auth.acme.example/token", "Grant type\tclient_credentials",
        "Client secret\t********"]
    assert SECRET not in page.content()

    page.get_by_role("link", name="Edit integration").click()
    assert field(page, "Client secret (clientSecret)").input_value() == ""
    expect(page.locator("#h-outboundCredentials-clientSecret")).to_have_text(
        "Leave empty to keep the current one.")
    field(page, "Upgrade URL (upgradeUrl)").fill("https://acme.example/upgrade")
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Acme CRM")
    assert stored_secret(console, row["id"]) == SECRET
    assert integration_rows(console)[0]["upgrade_url"] == "https://acme.example/upgrade"
    screenshot(page, "integration-detail")


def integration(console: ConsoleServer, vendor_id: str, name: str = "Acme CRM", **fields: Any) -> str:
    """A WORKING version made through the domain, as an admin would; its id."""
    async def make(db: Any, services: Any) -> str:
        outcome = await db.command(lambda conn: create_integration(
            conn, ADMIN, services, {"name": name, "vendorId": vendor_id} | fields))
        assert outcome.errors == []
        return outcome.value.id
    return console.call(make)


def inbound_rows(console: ConsoleServer, integration_id: str) -> list[dict[str, Any]]:
    async def read(db: Any, _services: Any) -> list[dict[str, Any]]:
        async with db.read() as conn:
            return [dict(r) for r in await client_store.clients_of(conn, integration_id)]
    return console.call(read)


def summary_rows(page: Page, selector: str) -> list[str]:
    return page.locator(f"{selector} tbody tr").all_inner_texts()


def test_single_sign_on_is_added_and_replaced_with_the_apis_messages(
    page: Page, console: ConsoleServer, screenshot: Any
) -> None:
    vendor_id = vendor(console, "Acme Apps")
    working = integration(console, vendor_id)
    console.user("dev@acme.example", Role.DEVELOPER, vendor_id)
    log_in(page, "dev@acme.example", path=f"/console/integrations/{working}")

    page.get_by_role("link", name="Add single sign-on").click()
    page.get_by_role("link", name="OpenID Connect").click()
    page.get_by_role("button", name="Save OpenID Connect configuration").click()

    assert page.locator("#form-errors li").all_inner_texts() == [
        "Client creation method: clientCreationMethod is required.",
        "Grant types: grantTypes must include AUTHORIZATION_CODE.",
    ]
    assert field_error(page, "clientCreationMethod") == "clientCreationMethod is required."
    assert integration_rows(console)[0]["sso_type"] is None

    field(page, "Client creation method (clientCreationMethod) (required)").select_option("PER_SUBSCRIPTION")
    field(page, "AUTHORIZATION_CODE").check()
    field(page, "Redirect URLs (redirectUrls)").fill("https://acme.example/oidc/callback\n\n")
    field(page, "Initiate login URL (initiateLoginUrl)").fill("YOUR_INITIATE_LOGIN_URL")
    screenshot(page, "integration-sso-form")
    page.get_by_role("button", name="Save OpenID Connect configuration").click()

    expect(page).to_have_url(re.compile(rf"/console/integrations/{working}#sso$"))
    assert summary_rows(page, "#sso-configuration") == [
        "Client creation method\tPER_SUBSCRIPTION", "Grant types\tAUTHORIZATION_CODE",
        "Redirect URLs\thttps://acme.example/oidc/callback", "Allow the openid scope\tYes",
        "Allow user scopes (email, profile)\tNo", "Allow role scopes\tNo",
        "Initiate login URL\tYOUR_INITIATE_LOGIN_URL", "Logout URL\t(not set)"]
    assert page.locator("#sso-problems li").all_inner_texts() == [
        "ssoConfiguration.initiateLoginUrl: initiateLoginUrl must be an absolute http(s) URL."]
    [row] = integration_rows(console)
    assert (row["sso_type"], row["sso_config"]) == ("OPENID_CONNECT", {
        "clientCreationMethod": "PER_SUBSCRIPTION", "grantTypes": ["AUTHORIZATION_CODE"],
        "redirectUrls": ["https://acme.example/oidc/callback"], "allowOidcScope": True,
        "allowUserScopes": False, "allowRoleScopes": False,
        "initiateLoginUrl": "YOUR_INITIATE_LOGIN_URL", "logoutUrl": None})

    page.get_by_role("link", name="Change single sign-on").click()
    page.get_by_role("link", name="Bookmark").click()
    expect(page.locator("main")).to_contain_text("Saving replaces the current OpenID Connect configuration.")
    field(page, "Bookmark URL (url) (required)").fill("https://acme.example/login?company={company.uuid}")
    page.get_by_role("button", name="Save Bookmark configuration").click()

    assert summary_rows(page, "#sso-configuration") == [
        "Bookmark URL\thttps://acme.example/login?company={company.uuid}"]
    [row] = integration_rows(console)
    assert (row["sso_type"], row["sso_config"]) == (
        "BOOKMARK", {"url": "https://acme.example/login?company={company.uuid}"})


def test_an_inbound_client_secret_is_shown_once_then_the_client_is_revoked(
    page: Page, console: ConsoleServer, screenshot: Any
) -> None:
    vendor_id = vendor(console, "Acme Apps")
    working = integration(console, vendor_id)
    console.user("dev@acme.example", Role.DEVELOPER, vendor_id)
    log_in(page, "dev@acme.example", path=f"/console/integrations/{working}")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])

    page.get_by_role("button", name="Generate inbound client").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("New inbound client for Acme CRM")
    client_id = page.locator("#client-id").inner_text()
    secret = page.locator("#client-secret").inner_text()
    [stored] = inbound_rows(console, working)
    assert (stored["client_id"], stored["revoked_on"]) == (client_id, None)
    assert stored["secret_hash"] == console.services.keyring.keyed_hash(secret)
    assert len(secret) >= 43 and secret not in str(stored)
    page.get_by_role("button", name="Copy secret").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    screenshot(page, "inbound-client-created")

    page.get_by_role("link", name="Done: back to the integration").click()

    assert secret not in page.content()
    assert summary_rows(page, "#inbound-clients-list")[0].startswith(client_id)
    expect(page.locator("#inbound-clients-list tbody tr td").nth(2)).to_have_text("Active")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Revoke {client_id}").click()

    expect(page.locator("#inbound-clients-list tbody tr td").nth(2)).to_contain_text("Revoked ")
    assert inbound_rows(console, working)[0]["revoked_on"] is not None
    assert secret not in page.content()
