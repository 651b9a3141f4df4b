"""Publishing in the console: the confirmation lists what changes since the latest snapshot,
publishing shows the new snapshot; the domain's errors are shown as they are; a read-only
integration (linked to 2+ products) says why and refuses the POST with 409."""

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Locator, Page, expect

from marketlink.domain.actors import Actor, Role
from marketlink.domain.integrations import create_integration, published_snapshots, update_integration
from marketlink.domain.products import create_product
from marketlink.domain.publishing import link_product, publish_integration
from marketlink.domain.vendors import create_vendor
from tests.browser.conftest import ConsoleServer, log_in
from tests.helpers import dump_tables

ADMIN = Actor(Role.ADMIN, None)


# Set-up through domain calls (the console's own forms are other pages' business).

def developer_of_new_vendor(console: ConsoleServer, email: str) -> str:
    """A new vendor with a developer who can log in to the console; the vendor's id."""

    async def make(db, services):
        async with db.write() as conn:
            return await create_vendor(conn, services, f"Vendor of {email}")

    vendor = console.call(make)
    console.user(email, Role.DEVELOPER, vendor)
    return vendor


def _command(console: ConsoleServer, command, changes: dict[str, Any]) -> Any:
    async def run(db, services):
        outcome = await db.command(lambda conn: command(conn, ADMIN, services, changes))
        assert outcome.errors == []
        return outcome.value

    return console.call(run)


def integration(console: ConsoleServer, vendor: str, **changes: Any) -> str:
    """A new integration of ``vendor``: its WORKING version's id."""
    return _command(console, create_integration, {"name": "Acme", "vendorId": vendor} | changes).id


def update(console: ConsoleServer, working: str, **changes: Any) -> None:
    _command(console, update_integration, {"id": working} | changes)


def publish(console: ConsoleServer, working: str) -> str:
    return _command(console, publish_integration, {"integrationId": working}).id


def product(console: ConsoleServer, vendor: str, name: str) -> str:
    return _command(console, create_product, {"name": name, "vendorId": vendor}).id


def link(console: ConsoleServer, product_id: str, working: str) -> None:
    _command(console, link_product, {"productId": product_id, "integrationId": working})


def snapshots(console: ConsoleServer, working: str) -> list[tuple[str, int]]:
    async def read(db, _services):
        async with db.read() as conn:
            return [(s.id, s.revision) for s in await published_snapshots(conn, working, 10)]

    return console.call(read)


def tables_without_sessions(console: ConsoleServer) -> dict[str, list[tuple]]:
    """Every stored row but the web sessions (which a request may touch)."""
    tables = console.call(lambda db, _services: dump_tables(db))
    del tables["web_sessions"]
    return tables


def rows_of(table: Locator) -> list[list[str]]:
    return table.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")


def csrf_token(page: Page) -> str:
    return page.locator("input[name=csrf_token]").first.input_value()


def accept_dialogs(page: Page) -> list[str]:
    """Accept every confirmation; the questions asked."""
    asked: list[str] = []

    def accept(dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    return asked


def test_publish_confirms_the_changes_then_shows_the_new_snapshot(
    page: Page, console: ConsoleServer, screenshot: Callable[[Page, str], None]
) -> None:
    vendor = developer_of_new_vendor(console, "dev@vendor.example")
    working = integration(console, vendor, createUrl="https://app.example/create",
                          cancelUrl="https://app.example/cancel", outboundCredentials={
                              "type": "BASIC", "username": "acme", "password": "s3cret-one"})
    log_in(page, "dev@vendor.example", path=f"/console/integrations/{working}/publish")
    asked = accept_dialogs(page)

    expect(page.get_by_role("heading", level=2).first).to_have_text("Changes since the start (never published)")
    assert rows_of(page.locator("#changes")) == [
        ["name", "(not set)", "Acme"],
        ["createUrl", "(not set)", "https://app.example/create"],
        ["cancelUrl", "(not set)", "https://app.example/cancel"],
        ["outboundCredentials.type", "(not set)", "BASIC"],
        ["outboundCredentials.username", "(not set)", "acme"],
        ["outboundCredentials.password", "(not set)", "••••"],
    ]
    assert "s3cret-one" not in page.content()
    screenshot(page, "console-publish-confirmation")
    page.get_by_role("button", name="Publish revision 1").click()

    [(first, revision)] = snapshots(console, working)
    assert revision == 1
    assert asked == ["Publish these 6 changes as revision 1?"]
    expect(page).to_have_url(re.compile(rf"/console/integrations/{working}/publish\?published={first}$"))
    expect(page.locator("#published-notice")).to_have_text(f"Published revision 1 as snapshot {first}.")
    expect(page.locator("#nothing-to-publish")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Publish"))).to_have_count(0)
    assert [row[:2] for row in rows_of(page.locator("#snapshots"))] == [["1", first]]

    update(console, working, cancelUrl="https://app.example/cancel-v2",
           outboundCredentials={"type": "BASIC", "username": "acme", "password": "s3cret-two"})
    page.goto(f"/console/integrations/{working}/publish")
    expect(page.get_by_role("heading", level=2).first).to_have_text("Changes since revision 1")
    assert rows_of(page.locator("#changes")) == [
        ["cancelUrl", "https://app.example/cancel", "https://app.example/cancel-v2"],
        ["outboundCredentials.password", "••••", "•••• (changed)"],
    ]
    page.get_by_role("button", name="Publish revision 2").click()

    [(second, second_revision), (_, _)] = snapshots(console, working)
    assert second_revision == 2
    expect(page.locator("#published-notice")).to_have_text(f"Published revision 2 as snapshot {second}.")
    assert [row[:2] for row in rows_of(page.locator("#snapshots"))] == [["2", second], ["1", first]]
    assert asked == ["Publish these 6 changes as revision 1?", "Publish these 2 changes as revision 2?"]
    screenshot(page, "console-published")


def test_the_domains_publish_errors_are_shown_and_nothing_is_written(
    page: Page, console: ConsoleServer
) -> None:
    vendor = developer_of_new_vendor(console, "dev@vendor.example")
    working = integration(console, vendor, upgradeUrl="https://app.example/upgrade")
    log_in(page, "dev@vendor.example", path=f"/console/integrations/{working}/publish")
    accept_dialogs(page)
    before = tables_without_sessions(console)

    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Publish revision 1").click()

    assert posted.value.status == 400
    expect(page.get_by_role("alert")).to_have_text(["Set createUrl before publishing.",
                                                    "Set cancelUrl before publishing."])
    assert tables_without_sessions(console) == before


def test_nothing_to_publish_and_a_stale_confirmation_are_refused_with_409(
    page: Page, console: ConsoleServer
) -> None:
    vendor = developer_of_new_vendor(console, "dev@vendor.example")
    working = integration(console, vendor, createUrl="https://app.example/create",
                          cancelUrl="https://app.example/cancel")
    log_in(page, "dev@vendor.example", path=f"/console/integrations/{working}/publish")
    token, seen = csrf_token(page), page.locator("input[name=lastModified]").input_value()
    update(console, working, name="Acme 2")
    before = tables_without_sessions(console)
    url = f"/console/integrations/{working}/publish"

    stale = page.request.post(url, form={"csrf_token": token, "lastModified": seen})

    assert stale.status == 409
    assert ("The WORKING version changed since this page was shown; review the changes below "
            "and publish again.") in stale.text()
    assert tables_without_sessions(console) == before
    publish(console, working)
    page.goto(url)
    expect(page.locator("#nothing-to-publish")).to_have_text(
        "Nothing to publish: the WORKING version is the same as the latest published snapshot.")
    before = tables_without_sessions(console)
    seen = str(console.call(lambda db, s: _last_modified(db, working)))
    nothing = page.request.post(url, form={"csrf_token": token, "lastModified": seen})
    assert nothing.status == 409
    assert "Nothing to publish" in nothing.text()
    assert tables_without_sessions(console) == before


async def _last_modified(db, working: str) -> int:
    from marketlink.domain.integrations import visible_version

    async with db.read() as conn:
        return (await visible_version(conn, ADMIN, working)).last_modified


def test_a_read_only_integration_says_why_and_refuses_to_publish(page: Page, console: ConsoleServer) -> None:
    vendor = developer_of_new_vendor(console, "dev@vendor.example")
    working = integration(console, vendor, createUrl="https://app.example/create",
                          cancelUrl="https://app.example/cancel")
    for name in ("Product One", "Product Two"):
        link(console, product(console, vendor, name), working)
    log_in(page, "dev@vendor.example", path=f"/console/integrations/{working}/publish")
    before = tables_without_sessions(console)

    expect(page.locator("#read-only-reason")).to_have_text(
        "This integration is linked to 2 or more products, so the console shows it read-only: "
        "publish it and change its product links through the GraphQL API.")
    expect(page.get_by_role("button", name=re.compile("Publish"))).to_have_count(0)
    assert len(rows_of(page.locator("#changes"))) == 3
    answer = page.request.post(f"/console/integrations/{working}/publish", form={
        "csrf_token": csrf_token(page), "lastModified": str(console.call(
            lambda db, s: _last_modified(db, working)))})

    assert answer.status == 409
    assert "linked to 2 or more products" in answer.text()
    assert tables_without_sessions(console) == before


def test_another_vendors_developer_gets_404_and_a_post_needs_its_token(page: Page, console: ConsoleServer) -> None:
    vendor = developer_of_new_vendor(console, "dev@vendor.example")
    working = integration(console, vendor, createUrl="https://app.example/create",
                          cancelUrl="https://app.example/cancel")
    snapshot = publish(console, working)
    update(console, working, name="Acme 2")
    developer_of_new_vendor(console, "other@vendor.example")
    console.user("admin@marketplace.example", Role.ADMIN)
    log_in(page, "other@vendor.example")
    token = csrf_token(page)
    seen = str(console.call(lambda db, s: _last_modified(db, working)))
    before = tables_without_sessions(console)
    url = f"/console/integrations/{working}/publish"

    assert page.request.get(url).status == 404
    assert page.request.post(url, form={"csrf_token": token, "lastModified": seen}).status == 404
    assert page.request.get(f"/console/integrations/{snapshot}/publish").status == 404
    page.context.clear_cookies()
    log_in(page, "admin@marketplace.example")
    assert page.request.get(url).status == 200
    assert page.request.post(url, form={"lastModified": seen}).status == 403
    assert tables_without_sessions(console) == before
