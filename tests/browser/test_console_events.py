"""The event log in a browser: events arrive and settle live, an event's page shows its
document and attempts, an administrator retries a failed event and resolves a pending one; a
DEVELOPER sees only its vendor's events and may not change them."""

import json
import re
import time

from playwright.sync_api import Page, expect

from marketlink.domain.actors import Role
from marketlink.storage.tables import event_attempts, events, subscriptions
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


def _the_event(console: ConsoleServer) -> dict:
    [event] = _rows(console, events)
    return event


def _dump(console: ConsoleServer) -> dict:
    return console.call(lambda db, _services: dump_tables(db))


def _cells(row) -> list[str]:  # type: ignore[no-untyped-def]
    return [text.strip() for text in row.locator("td").all_inner_texts()]


def _csrf(page: Page) -> str:
    return page.locator("input[name=csrf_token]").first.get_attribute("value") or ""


def _wait_settled(console: ConsoleServer, event_id: str) -> None:
    deadline = time.monotonic() + 15
    while _rows(console, events, id=event_id)[0]["status"] != "FAILED":
        assert time.monotonic() < deadline, "the event did not fail"
        time.sleep(0.2)


def _wait_status(console: ConsoleServer, status: str) -> None:
    deadline = time.monotonic() + 15
    while _the_event(console)["status"] != status:
        assert time.monotonic() < deadline, f"the event did not become {status}"
        time.sleep(0.1)


def test_an_order_appears_in_the_event_log_and_succeeds_live(page: Page, console: ConsoleServer, screenshot) -> None:
    host = console.host(delay_s=1.5)
    world = market(console, host)
    console.user("admin@marketplace.example", Role.ADMIN)
    log_in(page, "admin@marketplace.example", path="/console/events")

    order(console, world)
    page.goto("/console/events")
    row = page.locator("#event-list tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(2)).not_to_have_text("SUCCEEDED")  # on its way when the page loaded
    expect(row.locator("td").nth(2)).to_have_text("SUCCEEDED", timeout=10_000)  # no reload

    assert _cells(row)[1:] == ["SUBSCRIPTION_ORDER", "SUCCEEDED", "Notes", "Notes host", "1", ""]
    screenshot(page, "console-event-log")
    row.get_by_role("link", name="SUBSCRIPTION_ORDER").click()
    event = _the_event(console)
    expect(page).to_have_url(re.compile(rf"/console/events/{event['id']}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("SUBSCRIPTION_ORDER event")
    assert json.loads(page.locator("pre").inner_text()) == event["document"]
    [attempt] = page.locator("#attempts tbody tr").all()
    cells = _cells(attempt)
    assert (cells[0], cells[3], cells[4], cells[5]) == ("1", "200", "SUCCEEDED", "")
    assert re.fullmatch(r"\d+ ms", cells[2])
    assert cells[6] == '{"success": true, "accountIdentifier": "acct-1"}'
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)
    screenshot(page, "console-event")


def test_an_admin_retries_a_failed_event_and_it_succeeds(page: Page, console: ConsoleServer) -> None:
    host = console.host(status=500, body='{"error": "down"}')
    world = market(console, host)
    subscription_id = order(console, world)
    console.user("admin@marketplace.example", Role.ADMIN)
    log_in(page, "admin@marketplace.example")
    event_id = _the_event(console)["id"]

    page.goto(f"/console/events/{event_id}")
    expect(page.locator("#event-status")).to_have_text("FAILED", timeout=15_000)  # after 3 attempts, live
    host.status, host.body = 200, '{"success": true, "accountIdentifier": "acct-9"}'
    page.get_by_role("button", name="Retry").click()

    expect(page).to_have_url(re.compile(rf"/console/events/{event_id}$"))
    expect(page.locator("#event-status")).to_have_text("SUCCEEDED", timeout=10_000)
    outcomes = [(_cells(r)[0], _cells(r)[3], _cells(r)[4]) for r in page.locator("#attempts tbody tr").all()]
    assert outcomes == [("1", "500", "TRANSPORT_ERROR"), ("2", "500", "TRANSPORT_ERROR"),
                        ("3", "500", "TRANSPORT_ERROR"), ("4", "200", "SUCCEEDED")]
    event = _the_event(console)
    assert (event["status"], event["attempts"], event["result_success"]) == ("SUCCEEDED", 4, True)
    [subscription] = _rows(console, subscriptions, id=subscription_id)
    assert (subscription["status"], subscription["account_identifier"]) == ("ACTIVE", "acct-9")


def test_a_retry_without_the_anti_forgery_token_is_refused(page: Page, console: ConsoleServer) -> None:
    host = console.host(status=500)
    world = market(console, host)
    order(console, world)
    console.user("admin@marketplace.example", Role.ADMIN)
    log_in(page, "admin@marketplace.example")
    event_id = _the_event(console)["id"]
    page.goto(f"/console/events/{event_id}")
    expect(page.locator("#event-status")).to_have_text("FAILED", timeout=15_000)
    before = _dump(console)

    answer = page.request.post(f"/console/events/{event_id}/retry", form={"csrf_token": "forged"})
    missing = page.request.post(f"/console/events/{event_id}/retry", form={})

    assert (answer.status, missing.status) == (403, 403)
    assert _dump(console) == before


def test_an_admin_resolves_a_pending_event_by_hand(page: Page, console: ConsoleServer) -> None:
    host = console.host(status=202, body="")
    world = market(console, host)
    subscription_id = order(console, world)
    console.user("admin@marketplace.example", Role.ADMIN)
    log_in(page, "admin@marketplace.example")
    event_id = _the_event(console)["id"]
    page.goto(f"/console/events/{event_id}")
    expect(page.locator("#event-status")).to_have_text("PENDING", timeout=10_000)
    page.reload()  # the resolve form is offered once the page loads with the event PENDING
    before = _dump(console)

    page.get_by_role("button", name="Resolve").click()  # no outcome chosen

    expect(page.locator("#resolve-outcome-error")).to_have_text("Choose whether the event succeeded or failed.")
    expect(page.get_by_role("group", name="Outcome")).to_have_attribute("aria-describedby", "resolve-outcome-error")
    assert _dump(console) == before
    page.get_by_label("Succeeded").check()
    page.get_by_label("Account identifier").fill("acct-by-hand")
    page.get_by_role("button", name="Resolve").click()

    expect(page).to_have_url(re.compile(rf"/console/events/{event_id}$"))
    expect(page.locator("#event-status")).to_have_text("SUCCEEDED")
    expect(page.get_by_role("button", name="Resolve")).to_have_count(0)
    [subscription] = _rows(console, subscriptions, id=subscription_id)
    assert (subscription["status"], subscription["account_identifier"]) == ("ACTIVE", "acct-by-hand")


def test_a_developer_sees_its_vendors_events_only_and_cannot_change_them(page: Page, console: ConsoleServer) -> None:
    host = console.host(status=500)
    ours = market(console, host, vendor="Vendor A", product="Notes", company="Buyer A")
    theirs = market(console, host, vendor="Vendor B", product="Sheets", company="Buyer B", email_prefix="b-")
    order(console, ours)
    order(console, theirs)
    console.user("dev@vendor-a.example", Role.DEVELOPER, ours.vendor_id)
    log_in(page, "dev@vendor-a.example", path="/console/events")
    [our_event] = _rows(console, events, vendor_id=ours.vendor_id)
    [their_event] = _rows(console, events, vendor_id=theirs.vendor_id)

    page.goto(f"/console/events/{our_event['id']}")
    expect(page.locator("#event-status")).to_have_text("FAILED", timeout=15_000)
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)
    page.goto("/console/events")
    assert [_cells(r)[3] for r in page.locator("#event-list tbody tr").all()] == ["Notes"]
    csrf = _csrf(page)
    _wait_settled(console, their_event["id"])
    before = _dump(console)
    own_retry = page.request.post(f"/console/events/{our_event['id']}/retry", form={"csrf_token": csrf})
    own_resolve = page.request.post(f"/console/events/{our_event['id']}/resolve",
                                    form={"csrf_token": csrf, "outcome": "success"})
    their_retry = page.request.post(f"/console/events/{their_event['id']}/retry", form={"csrf_token": csrf})

    assert (own_retry.status, own_resolve.status, their_retry.status) == (403, 403, 403)
    assert "Only marketplace administrators can do this." in own_retry.text()
    assert _dump(console) == before
    assert page.request.get(f"/console/events/{their_event['id']}").status == 404
    assert page.request.get(f"/console/events/{their_event['id']}/live").status == 404
    assert page.request.get(f"/console/integrations/{theirs.integration_id}/activity").status == 404
    assert page.request.get(f"/console/events?product={theirs.product_id}").status == 200
    page.goto(f"/console/events?product={theirs.product_id}")
    expect(page.locator("#event-list")).to_have_text("No events match.")


def test_filters_narrow_the_log_and_a_wrong_one_is_explained(page: Page, console: ConsoleServer) -> None:
    host = console.host()
    world = market(console, host)
    order(console, world)
    console.user("admin@marketplace.example", Role.ADMIN)
    log_in(page, "admin@marketplace.example", path="/console/events")
    _wait_status(console, "SUCCEEDED")

    page.goto("/console/events")
    page.get_by_label("Type").select_option("SUBSCRIPTION_CANCEL")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#event-list")).to_have_text("No events match.")
    page.get_by_label("Type").select_option("SUBSCRIPTION_ORDER")
    page.get_by_label("Status").select_option("SUCCEEDED")
    page.get_by_label("Integration").select_option(label="Notes host")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#event-list tbody tr")).to_have_count(1)
    expect(page.get_by_role("img", name=re.compile("^Delivery attempts of Notes host"))).to_be_visible()
    answer = page.request.get("/console/events?status=LOST&from=yesterday")
    assert answer.status == 400
    page.goto("/console/events?status=LOST&from=yesterday")
    expect(page.locator("#f-status-error")).to_have_text(
        "status must be one of QUEUED, DELIVERING, PENDING, SUCCEEDED, FAILED.")
    expect(page.locator("#f-from-error")).to_have_text("From is a date and time such as 2025-11-24T16:00 (UTC).")
    expect(page.get_by_label("Created from (UTC)")).to_have_attribute("aria-describedby", "f-from-error")


def test_the_activity_page_charts_an_integrations_attempts(page: Page, console: ConsoleServer, screenshot) -> None:
    host = console.host()
    world = market(console, host)
    order(console, world)
    console.user("dev@vendor-a.example", Role.DEVELOPER, world.vendor_id)
    log_in(page, "dev@vendor-a.example")
    _wait_status(console, "SUCCEEDED")
    [attempt] = _rows(console, event_attempts)

    page.goto(f"/console/integrations/{world.integration_id}/activity")

    expect(page.get_by_role("heading", level=1)).to_have_text("Activity of Notes host")
    chart = page.get_by_role("img", name=re.compile("^Delivery attempts of Notes host, last 24 hours"))
    expect(chart.locator("rect title")).to_have_count(1)  # one bar: this hour's success
    expect(chart.locator("rect title")).to_have_text(re.compile(r"^\d\d:00 SUCCEEDED: 1$"))
    last_hour = page.locator("table tbody tr").last
    assert _cells(last_hour) == ["1", "0", "0", "0", f"{attempt['duration_ms']} ms", f"{attempt['duration_ms']} ms"]
    assert page.locator("table tbody tr").count() == 24
    screenshot(page, "console-integration-activity")
