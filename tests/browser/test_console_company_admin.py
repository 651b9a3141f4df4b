"""The company administrator's console in a browser: it lands on its company's subscriptions,
orders a product for its company (no company step) and watches it turn ACTIVE as the product
host answers, assigns a colleague; another company's subscription is 404, the vendor side of
the console (integrations, event log) is 403 for the role, and a forged POST on another
company's subscription writes nothing."""

import re

from playwright.sync_api import Page, expect

from marketlink.domain.actors import Role
from marketlink.storage.tables import assignments, events, subscriptions
from tests.browser.conftest import ConsoleServer, log_in
from tests.browser.events_world import Market, market, order
from tests.browser.test_console_subscriptions import _cells, _dump, _rows, _settled

BOSS = "boss@buyer.example"


def _two_companies(console: ConsoleServer) -> tuple[Market, Market, str, str]:
    """Buyer Ltd (whose administrator logs in) and Buyer B, each with an ACTIVE subscription of
    its vendor's product; the company administrator's id and Buyer B's subscription."""
    host = console.host()
    ours = market(console, host)
    theirs = market(console, host, vendor="Vendor B", product="Sheets", company="Buyer B", email_prefix="b-")
    their_subscription = order(console, theirs)
    boss = console.user(BOSS, Role.COMPANY_ADMIN, company_id=ours.company_id)
    _settled(console)
    return ours, theirs, boss, their_subscription


def test_a_company_admin_orders_for_its_company_and_assigns_a_colleague(
        page: Page, console: ConsoleServer, screenshot) -> None:
    ours, _theirs, boss, _their_subscription = _two_companies(console)

    log_in(page, BOSS)
    expect(page).to_have_url(re.compile(r"/console/subscriptions$"))
    assert page.get_by_role("navigation", name="Console").get_by_role("link").all_inner_texts() == ["Subscriptions"]
    expect(page.locator("header .who")).to_contain_text(f"{BOSS} (COMPANY_ADMIN)")
    expect(page.get_by_text("No subscriptions.")).to_be_visible()  # Buyer B's is not listed

    page.get_by_role("link", name="New subscription").click()
    expect(page.locator("#new-company")).to_have_count(0)
    expect(page.get_by_role("heading", name="Order for Buyer Ltd")).to_be_visible()
    assert page.get_by_label("Bought by").locator("option").all_inner_texts() == [
        "ada@buyer.example", "bob@buyer.example", BOSS]
    expect(page.get_by_label("Bought by")).to_have_value(boss)
    page.get_by_label("Product and edition").select_option(label="Notes: Pro (PRO)")
    page.get_by_label("Items").fill("USER 4")
    page.get_by_role("button", name="Order").click()

    [mine] = _rows(console, subscriptions, company_id=ours.company_id)
    expect(page).to_have_url(re.compile(rf"/console/subscriptions/{mine['id']}$"))
    assert (mine["product_id"], mine["creator_id"], mine["edition_code"], mine["items"]) == (
        ours.product_id, boss, "PRO", [{"unit": "USER", "quantity": 4}])
    expect(page.locator("#subscription-status")).to_have_text("ACTIVE", timeout=10_000)  # live
    expect(page.locator("#subscription-events tbody tr td").nth(2)).to_have_text("SUCCEEDED")
    expect(page.locator("#subscription-live a[href^='/console/events']")).to_have_count(0)

    page.get_by_label("User of the company").select_option(label="bob@buyer.example")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator("#assignments tbody tr td").nth(1)).to_have_text("ACTIVE", timeout=10_000)
    expect(page.locator("#subscription-events tbody tr").first.locator("td").nth(1)).to_have_text("USER_ASSIGNMENT")
    _settled(console)
    assert [(a["user_id"], a["status"]) for a in _rows(console, assignments, subscription_id=mine["id"])] == [
        (ours.colleague_id, "ACTIVE")]
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Subscriptions").click()
    assert [_cells(r)[1:] for r in page.locator("tbody tr").all()] == [
        ["Notes", "Buyer Ltd", "PRO MONTHLY", "ACTIVE", "acct-1"]]
    page.get_by_role("link", name=re.compile(r"^\d{4}-")).click()
    screenshot(page, "console-company-admin")


def test_another_company_and_the_vendor_side_are_out_of_reach(page: Page, console: ConsoleServer) -> None:
    ours, theirs, _boss, their_subscription = _two_companies(console)
    [their_event] = _rows(console, events, subscription_id=their_subscription)
    log_in(page, BOSS, path="/console/subscriptions")

    assert page.request.get(f"/console/subscriptions/{their_subscription}").status == 404
    assert page.request.get(f"/console/subscriptions/{their_subscription}/live").status == 404
    for path in ("/console/integrations", f"/console/integrations/{theirs.integration_id}",
                 "/console/events", f"/console/events/{their_event['id']}", "/console/integrations/new"):
        answer = page.request.get(path)
        assert (path, answer.status) == (path, 403)
        assert "<h1>Not for your role</h1>" in answer.text()
    page.goto("/console/events")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not for your role")
    expect(page.get_by_role("main").get_by_role("link")).to_have_text("Go to Subscriptions")


def test_a_forged_post_on_another_companys_subscription_writes_nothing(page: Page, console: ConsoleServer) -> None:
    ours, theirs, _boss, their_subscription = _two_companies(console)
    log_in(page, BOSS, path="/console/subscriptions/new")
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    before = _dump(console)

    answers = {name: page.request.post(f"/console/subscriptions/{their_subscription}/{name}", form=form | {
        "csrf_token": csrf}).status for name, form in {
        "change": {"editionCode": "PRO", "pricingDuration": "MONTHLY", "items": "USER 1"},
        "cancel": {}, "assign": {"userId": theirs.buyer_id}, "unassign": {"userId": theirs.buyer_id}}.items()}
    order_for_them = page.request.post("/console/subscriptions/new", form={
        "csrf_token": csrf, "companyId": theirs.company_id, "creatorId": theirs.buyer_id,
        "offer": f"{ours.product_id} BASIC", "pricingDuration": "MONTHLY"})
    their_buyer = page.request.post("/console/subscriptions/new", form={
        "csrf_token": csrf, "companyId": ours.company_id, "creatorId": theirs.buyer_id,
        "offer": f"{ours.product_id} BASIC", "pricingDuration": "MONTHLY"})
    integration_post = page.request.post(f"/console/integrations/{theirs.integration_id}/edit",
                                         form={"csrf_token": csrf, "name": "Mine now"})

    assert answers == {"change": 404, "cancel": 404, "assign": 404, "unassign": 404}
    assert (order_for_them.status, their_buyer.status, integration_post.status) == (400, 400, 403)
    assert "Company not found." in order_for_them.text()
    assert "creatorId must be a user of the buying company." in their_buyer.text()
    assert _dump(console) == before
