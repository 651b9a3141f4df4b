"""Who may change what on the integration pages: an integration linked to two products turns
read-only (and its forms refuse with 409), another vendor's developer finds nothing (404 on every
page and every form), a form without the session's token is refused (403), an administrator
picks the vendor. Nothing is written by any refused request."""

import re
from typing import Any

from playwright.sync_api import Page, expect

from marketlink.domain.actors import Role
from marketlink.domain.inbound_clients import generate_client
from marketlink.domain.products import create_product
from marketlink.domain.publishing import link_product, publish_integration
from tests.browser.conftest import ConsoleServer, log_in
from tests.browser.test_console_integrations import (
    ADMIN,
    field,
    field_error,
    inbound_rows,
    integration,
    integration_rows,
    vendor,
)

READ_ONLY_NOTICE = (
    "Read-only in the console. This integration is linked to 2 products, so the console does not "
    "change it: a change would reach all of them at once. Changes go through the GraphQL API "
    "(updateProductIntegration and the other mutations, with the integration's id {id}).")


def command(console: ConsoleServer, run: Any, changes: dict[str, Any]) -> Any:
    async def go(db: Any, services: Any) -> Any:
        outcome = await db.command(lambda conn: run(conn, ADMIN, services, changes))
        assert outcome.errors == []
        return outcome.value
    return console.call(go)


def linked_product(console: ConsoleServer, vendor_id: str, integration_id: str, name: str) -> None:
    product = command(console, create_product, {"name": name, "vendorId": vendor_id})
    command(console, link_product, {"productId": product.id, "integrationId": integration_id})


def posted(page: Page, path: str, **fields: str) -> Any:
    """A form POST with the session's anti-forgery token (taken from the page shown)."""
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    return page.request.post(path, form={"csrf_token": token} | fields, max_redirects=0)


def form_posts(working: str, client_id: str) -> list[tuple[str, dict[str, str]]]:
    base = f"/console/integrations/{working}"
    return [
        (f"{base}/edit", {"name": "Renamed", "deliveryMode": "NOTIFY_THEN_FETCH"}),
        (f"{base}/sso", {"kind": "BOOKMARK", "url": "https://x.example/"}),
        (f"{base}/sso/remove", {}),
        (f"{base}/inbound-clients", {}),
        (f"{base}/inbound-clients/{client_id}/revoke", {}),
    ]


def test_an_integration_linked_to_two_products_turns_read_only(
    page: Page, console: ConsoleServer, screenshot: Any
) -> None:
    vendor_id = vendor(console, "Acme Apps")
    working = integration(console, vendor_id, createUrl="https://acme.example/create")
    client = command(console, generate_client, {"id": working})
    linked_product(console, vendor_id, working, "Acme CRM Basic")
    console.user("dev@acme.example", Role.DEVELOPER, vendor_id)
    log_in(page, "dev@acme.example", path=f"/console/integrations/{working}")
    expect(page.get_by_role("link", name="Edit integration")).to_be_visible()
    assert page.locator("#read-only-notice").count() == 0

    linked_product(console, vendor_id, working, "Acme CRM Pro")
    page.reload()

    expect(page.locator("#read-only-notice")).to_have_text(READ_ONLY_NOTICE.format(id=working))
    for name in ("Edit integration", "Add single sign-on"):
        expect(page.get_by_role("link", name=name)).to_have_count(0)
    for name in ("Generate inbound client", f"Revoke {client.client_id}", "Remove single sign-on"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    expect(page.locator("dl.facts")).to_contain_text("2: Acme CRM Basic, Acme CRM Pro")
    screenshot(page, "integration-read-only")
    before = (integration_rows(console), inbound_rows(console, working))
    for path in (f"/console/integrations/{working}/edit", f"/console/integrations/{working}/sso"):
        answer = page.request.get(path)
        assert (answer.status, "Read-only in the console." in answer.text()) == (409, True)
    for path, fields in form_posts(working, client.client_id):
        answer = posted(page, path, **fields)
        assert (path, answer.status, "Read-only in the console." in answer.text()) == (path, 409, True)
    assert (integration_rows(console), inbound_rows(console, working)) == before


def test_another_vendors_developer_finds_nothing_and_forms_need_the_sessions_token(
    page: Page, console: ConsoleServer
) -> None:
    theirs = vendor(console, "Acme Apps")
    working = integration(console, theirs, createUrl="https://acme.example/create",
                          cancelUrl="https://acme.example/cancel")
    client = command(console, generate_client, {"id": working})
    snapshot = command(console, publish_integration, {"integrationId": working}).id
    ours = vendor(console, "Beta Soft")
    console.user("dev@beta.example", Role.DEVELOPER, ours)
    log_in(page, "dev@beta.example")
    expect(page.locator("main")).to_contain_text("No integrations yet.")
    before = (integration_rows(console), inbound_rows(console, working))

    base = f"/console/integrations/{working}"
    for path in (base, f"{base}/edit", f"{base}/sso", f"{base}/sso?kind=SAML",
                 f"/console/integrations/{snapshot}", "/console/integrations/not-an-id"):
        answer = page.request.get(path)
        assert (path, answer.status, "<h1>Not found</h1>" in answer.text()) == (path, 404, True)
    for path, fields in form_posts(working, client.client_id):
        answer = posted(page, path, **fields)
        assert (path, answer.status) == (path, 404)
    answer = posted(page, "/console/integrations/new", name="Mine", vendorId=theirs,
                    deliveryMode="NOTIFY_THEN_FETCH")
    assert (answer.status, "Vendor not found." in answer.text()) == (400, True)
    no_token = page.request.post("/console/integrations/new", form={"name": "Mine"})
    wrong_token = page.request.post("/console/integrations/new",
                                    form={"name": "Mine", "csrf_token": "forged"})
    assert (no_token.status, wrong_token.status) == (403, 403)
    assert (integration_rows(console), inbound_rows(console, working)) == before


def test_an_administrator_picks_the_vendor_and_sees_every_vendors_integrations(
    page: Page, console: ConsoleServer, screenshot: Any
) -> None:
    acme, beta = vendor(console, "Acme Apps"), vendor(console, "Beta Soft")
    published = integration(console, acme, "Acme CRM", createUrl="https://acme.example/create",
                            cancelUrl="https://acme.example/cancel")
    command(console, publish_integration, {"integrationId": published})
    console.user("admin@market.example", Role.ADMIN)
    log_in(page, "admin@market.example")

    page.get_by_role("link", name="New integration").click()
    field(page, "Name (required)").fill("Beta Books")
    page.get_by_role("button", name="Create integration").click()
    assert field_error(page, "vendorId") == "vendorId is required for administrators."
    field(page, "Vendor (required)").select_option(label="Beta Soft")
    page.get_by_role("button", name="Create integration").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Beta Books")
    assert [(r["name"], r["vendor_id"], r["version"]) for r in integration_rows(console)] == [
        ("Acme CRM", acme, "WORKING"), ("Beta Books", beta, "WORKING")]
    page.get_by_role("link", name="Integrations", exact=True).click()
    rows = page.locator("#integrations tbody tr").all_inner_texts()
    assert [row.split("\t")[:5] for row in rows] == [
        ["Acme CRM", "Acme Apps", rows[0].split("\t")[2], "None", "Never run"],
        ["Beta Books", "Beta Soft", "Not published", "None", "Never run"],
    ]
    assert re.fullmatch(r"Revision 1, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", rows[0].split("\t")[2])
    screenshot(page, "integrations-list")
