"""Subscriptions in a browser: an administrator orders, changes, assigns, unassigns and
cancels, and watches the status follow the product host's answers; mistakes are shown next to
their field and write nothing; a DEVELOPER reads its vendor's subscriptions only."""

import re
import time

from playwright.sync_api import Page, expect

from marketlink.domain.actors import Actor, Role
from marketlink.domain.products import create_product
from marketlink.storage.tables import assignments, events, subscriptions
from tests.browser.conftest import ConsoleServer, log_in
from tests.browser.events_world import market, order
from tests.helpers import dump_tables


def _rows(console: ConsoleServer, table, **where) -> list[dict]:  # type: ignore[no-untyped-def]
    async def read(db, _services):  # type: ignore[no-untyped-def]
        async with db.read() as conn:
            query = table.select()
            for column, value in where.items():
                query = query.where(table.c[column] == value)
            return [dict(r) for r in (await conn.execute(query)).mappings()]
    return console.call(read)


def _dump(console: ConsoleServer) -> dict:
    return console.call(lambda db, _services: dump_tables(db))


def _settled(console: ConsoleServer) -> None:
    """Wait until no event is on its way."""
    deadline = time.monotonic() + 15
    while any(e["status"] not in ("SUCCEEDED", "FAILED") for e in _rows(console, events)):
        assert time.monotonic() < deadline, "events did not settle"
        time.sleep(0.1)


def _cells(row) -> list[str]:  # type: ignore[no-untyped-def]
    return [text.strip() for text in row.locator("td").all_inner_texts()]


def test_an_admin_orders_and_watches_the_event_succeed(page: Page, console: ConsoleServer, screenshot) -> None:
    host = console.host(delay_s=1.0)
    market(console, host)
    console.user("admin@marketplace.example", Role.ADMIN)
    log_in(page, "admin@marketplace.example", path="/console/subscriptions")

    page.get_by_role("link", name="New subscription").click()
    page.get_by_label("Company").select_option(label="Buyer Ltd")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Bought by").select_option(label="ada@buyer.example")
    page.get_by_label("Product and edition").select_option(label="Notes: Pro (PRO)")
    page.get_by_label("Pricing duration").select_option("YEARLY")
    page.get_by_label("Items").fill("USER 5\nSTORAGE_GB 20")
    page.get_by_role("button", name="Order").click()

    [subscription] = _rows(console, subscriptions)
    expect(page).to_have_url(re.compile(rf"/console/subscriptions/{subscription['id']}$"))
    assert (subscription["edition_code"], subscription["pricing_duration"], subscription["items"]) == (
        "PRO", "YEARLY", [{"unit": "USER", "quantity": 5}, {"unit": "STORAGE_GB", "quantity": 20}])
    expect(page.locator("#subscription-status")).to_have_text("ACTIVE", timeout=10_000)  # live
    expect(page.locator("#subscription-live")).to_contain_text("Account identifier: acct-1")
    expect(page.locator("#subscription-events tbody tr td").nth(2)).to_have_text("SUCCEEDED")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Event log").click()
    row = page.locator("#event-list tbody tr")
    assert _cells(row)[1:3] == ["SUBSCRIPTION_ORDER", "SUCCEEDED"]
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Subscriptions").click()
    assert _cells(page.locator("tbody tr"))[1:] == ["Notes", "Buyer Ltd", "PRO YEARLY", "ACTIVE", "acct-1"]
    screenshot(page, "console-subscriptions")


def test_an_order_the_domain_refuses_is_explained_next_to_its_field_and_writes_nothing(
        page: Page, console: ConsoleServer) -> None:
    host = console.host()
    world = market(console, host)
    console.call(lambda db, services: db.command(lambda conn: create_product(
        conn, Actor(Role.DEVELOPER, world.vendor_id), services,
        {"name": "Draft", "editions": [{"code": "BASIC", "name": "Basic"}]})))
    console.user("admin@marketplace.example", Role.ADMIN)
    log_in(page, "admin@marketplace.example", path=f"/console/subscriptions/new?companyId={world.company_id}")
    before = _dump(console)

    page.get_by_label("Product and edition").select_option(label="Draft: Basic (BASIC)")
    page.get_by_label("Items").fill("USER many")
    page.get_by_role("button", name="Order").click()
    expect(page.locator("#new-items-error")).to_have_text("Each line is a unit and a quantity, such as USER 10.")
    expect(page.get_by_label("Items")).to_have_attribute("aria-describedby", "new-items-error")
    page.get_by_label("Items").fill("user 3")
    page.get_by_role("button", name="Order").click()

    expect(page.locator("#new-offer-error")).to_have_text(
        "This product has no published integration; it cannot be sold yet.")
    expect(page.get_by_label("Product and edition")).to_have_attribute("aria-describedby", "new-offer-error")
    expect(page.locator("#new-items-error")).to_have_text(
        "unit is 1 to 32 capital letters, digits or '_' and quantity is 0 or more.")
    expect(page.get_by_label("Items")).to_have_value("user 3")
    assert _dump(console) == before
    missing_token = page.request.post("/console/subscriptions/new", form={
        "companyId": world.company_id, "creatorId": world.buyer_id,
        "offer": f"{world.product_id} BASIC", "pricingDuration": "MONTHLY"})
    assert missing_token.status == 403
    assert _dump(console) == before


def test_an_admin_changes_assigns_unassigns_and_cancels(page: Page, console: ConsoleServer) -> None:
    host = console.host()
    world = market(console, host)
    subscription_id = order(console, world)
    console.user("admin@marketplace.example", Role.ADMIN)
    log_in(page, "admin@marketplace.example", path=f"/console/subscriptions/{subscription_id}")
    expect(page.locator("#subscription-status")).to_have_text("ACTIVE", timeout=10_000)

    page.get_by_label("User of the company").select_option(label="bob@buyer.example")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator("#assignments tbody tr td").nth(1)).to_have_text("ACTIVE", timeout=10_000)
    _settled(console)
    before = _dump(console)
    page.get_by_label("User of the company").select_option(label="bob@buyer.example")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator("#assign-userId-error")).to_have_text("This user is already assigned (ACTIVE).")
    assert _dump(console) == before

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Unassign bob@buyer.example").click()
    expect(page.locator("#assignments tbody tr td").nth(1)).to_have_text("UNASSIGNED", timeout=10_000)
    page.get_by_label("Edition").select_option("PRO")
    page.get_by_role("button", name="Change", exact=True).click()
    expect(page.locator("#subscription-events tbody tr").first.locator("td").nth(1)).to_have_text("SUBSCRIPTION_CHANGE")
    _settled(console)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel subscription").click()
    expect(page.locator("#subscription-status")).to_have_text("CANCELLED", timeout=10_000)
    _settled(console)

    [subscription] = _rows(console, subscriptions, id=subscription_id)
    assert (subscription["status"], subscription["edition_code"]) == ("CANCELLED", "PRO")
    assert [(a["user_id"], a["status"]) for a in _rows(console, assignments)] == [(world.colleague_id, "UNASSIGNED")]
    assert sorted(e["type"] for e in _rows(console, events)) == [
        "SUBSCRIPTION_CANCEL", "SUBSCRIPTION_CHANGE", "SUBSCRIPTION_ORDER", "USER_ASSIGNMENT", "USER_UNASSIGNMENT"]
    before = _dump(console)
    page.get_by_role("button", name="Change", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("The subscription is CANCELLED; it can be changed only when ACTIVE.")
    assert _dump(console) == before


def test_a_developer_reads_its_vendors_subscriptions_and_changes_nothing(page: Page, console: ConsoleServer) -> None:
    host = console.host()
    ours = market(console, host, vendor="Vendor A", product="Notes", company="Buyer A")
    theirs = market(console, host, vendor="Vendor B", product="Sheets", company="Buyer B", email_prefix="b-")
    our_subscription = order(console, ours)
    their_subscription = order(console, theirs)
    console.user("dev@vendor-a.example", Role.DEVELOPER, ours.vendor_id)
    log_in(page, "dev@vendor-a.example", path="/console/subscriptions")
    _settled(console)

    page.goto("/console/subscriptions")
    expect(page.get_by_role("link", name="New subscription")).to_have_count(0)
    assert [_cells(r)[1] for r in page.locator("tbody tr").all()] == ["Notes"]
    page.goto(f"/console/subscriptions/{our_subscription}")
    expect(page.locator("#subscription-status")).to_have_text("ACTIVE")
    expect(page.locator("form[action$='/change'], form[action$='/cancel'], form[action$='/assign']")).to_have_count(0)
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    before = _dump(console)

    new_page = page.request.get("/console/subscriptions/new")
    change = page.request.post(f"/console/subscriptions/{our_subscription}/change",
                               form={"csrf_token": csrf, "editionCode": "PRO", "pricingDuration": "MONTHLY"})
    cancel = page.request.post(f"/console/subscriptions/{their_subscription}/cancel", form={"csrf_token": csrf})

    assert (new_page.status, change.status, cancel.status) == (403, 403, 403)
    assert "Only marketplace administrators can do this." in change.text()
    assert _dump(console) == before
    assert page.request.get(f"/console/subscriptions/{their_subscription}").status == 404
    assert page.request.get(f"/console/subscriptions/{their_subscription}/live").status == 404
