"""Ping tests in the console: run them per version, watch each URL turn green (PASSED) or red
(FAILED with its HTTP status and error) without reloading; only the vendor's developers and
admins get there."""

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from marketlink.domain.actors import Role
from marketlink.domain.integrations import visible_version
from marketlink.domain.ping_tests import last_test
from tests.browser.conftest import ConsoleServer, log_in
from tests.browser.test_console_publishing import (
    ADMIN,
    csrf_token,
    developer_of_new_vendor,
    integration,
    publish,
    rows_of,
    tables_without_sessions,
)


def ping_rows(console: ConsoleServer, version_id: str) -> tuple[str, list[tuple]] | None:
    """The stored last run of a version: (status, [(type, url, success, status, code, message)])."""

    async def read(db, _services):
        async with db.read() as conn:
            version = await visible_version(conn, ADMIN, version_id)
            test = await last_test(conn, version)
        if test is None:
            return None
        return test.status, [(r.event_type, r.url, r.success, r.http_status, r.error_code, r.message)
                             for r in test.results]

    return console.call(read)


def test_a_ping_test_turns_green_live_and_a_failing_url_red_with_its_status(
    page: Page, console: ConsoleServer, screenshot: Callable[[Page, str], None]
) -> None:
    vendor = developer_of_new_vendor(console, "dev@vendor.example")
    good, bad = console.host(delay_s=1.5), console.host(status=500, body="down")
    working = integration(console, vendor, createUrl=good.url + "/create",
                          cancelUrl=bad.url + "/cancel")
    log_in(page, "dev@vendor.example", path=f"/console/integrations/{working}/ping-tests")
    section = page.locator("#ping-WORKING")
    expect(section.get_by_role("checkbox")).to_have_count(2)
    expect(section.get_by_label("SUBSCRIPTION_ORDER")).to_be_checked()
    expect(section.get_by_label("SUBSCRIPTION_CANCEL")).to_be_checked()
    expect(page.locator("#ping-PUBLISHED")).to_contain_text("Not published yet.")
    assert rows_of(section.locator("table")) == [
        ["SUBSCRIPTION_ORDER", good.url + "/create", "NOT RUN", "", "", ""],
        ["SUBSCRIPTION_CANCEL", bad.url + "/cancel", "NOT RUN", "", "", ""],
    ]

    section.get_by_role("button", name="Run ping tests").click()

    expect(page).to_have_url(re.compile(rf"/console/integrations/{working}/ping-tests#ping-WORKING$"))
    page.evaluate("window.notReloaded = true")
    order = section.locator("tr[data-event-type=SUBSCRIPTION_ORDER]")
    expect(order.locator(".badge")).to_have_text("WAITING")
    expect(section.locator(".ping-status")).to_contain_text("Last run: RUNNING")
    expect(order.locator(".badge.pass")).to_have_text("PASSED")
    expect(section.locator(".ping-status")).to_contain_text("Last run: FAILED")
    assert page.evaluate("window.notReloaded") is True
    rows = rows_of(section.locator("table"))
    assert [row[:4] + row[5:] for row in rows] == [
        ["SUBSCRIPTION_ORDER", good.url + "/create", "PASSED", "200", ""],
        ["SUBSCRIPTION_CANCEL", bad.url + "/cancel", "FAILED", "500", "TRANSPORT_ERROR: HTTP 500"],
    ]
    assert all(re.fullmatch(r"\d+ ms", row[4]) for row in rows)
    expect(section.locator("tr[data-event-type=SUBSCRIPTION_CANCEL] .badge.fail")).to_have_text("FAILED")
    assert section.locator("[data-final]").count() == 1
    screenshot(page, "console-ping-tests")
    assert ping_rows(console, working) == ("FAILED", [
        ("SUBSCRIPTION_ORDER", good.url + "/create", True, 200, None, None),
        ("SUBSCRIPTION_CANCEL", bad.url + "/cancel", False, 500, "TRANSPORT_ERROR", "HTTP 500"),
    ])
    assert [r["method"] for r in good.received] == ["GET"]
    assert good.received[0]["path_qs"].startswith("/create?eventUrl=")


def test_unchecked_event_types_are_not_run_and_a_plain_reload_shows_the_state(
    page: Page, console: ConsoleServer
) -> None:
    vendor = developer_of_new_vendor(console, "dev@vendor.example")
    host = console.host()
    working = integration(console, vendor, createUrl=host.url + "/create",
                          cancelUrl=host.url + "/cancel")
    log_in(page, "dev@vendor.example", path=f"/console/integrations/{working}/ping-tests")
    section = page.locator("#ping-WORKING")

    section.get_by_label("SUBSCRIPTION_CANCEL").uncheck()
    section.get_by_role("button", name="Run ping tests").click()

    expect(section.locator(".ping-status")).to_contain_text("Last run: PASSED")
    page.reload()
    assert [row[:4] for row in rows_of(page.locator("#ping-WORKING table"))] == [
        ["SUBSCRIPTION_ORDER", host.url + "/create", "PASSED", "200"],
        ["SUBSCRIPTION_CANCEL", host.url + "/cancel", "NOT RUN", ""],
    ]
    assert ping_rows(console, working) == ("PASSED", [
        ("SUBSCRIPTION_ORDER", host.url + "/create", True, 200, None, None)])
    fragment = page.request.get(f"/console/integrations/{working}/ping-tests/WORKING/results")
    assert fragment.status == 200
    assert re.match(r'<div class="ping-results" data-version="WORKING" data-refresh-url="'
                    rf'/console/integrations/{working}/ping-tests/WORKING/results" '
                    r'data-refresh-ms="500" data-final>', fragment.text())


def test_no_event_type_chosen_is_refused_and_nothing_is_written(page: Page, console: ConsoleServer) -> None:
    vendor = developer_of_new_vendor(console, "dev@vendor.example")
    working = integration(console, vendor, createUrl=console.host().url + "/create")
    log_in(page, "dev@vendor.example", path=f"/console/integrations/{working}/ping-tests")
    before = tables_without_sessions(console)

    page.locator("#ping-WORKING").get_by_label("SUBSCRIPTION_ORDER").uncheck()
    page.locator("#ping-WORKING").get_by_role("button", name="Run ping tests").click()

    expect(page.locator("#ping-WORKING [role=alert]")).to_have_text("Choose at least one event type.")
    answer = page.request.post(f"/console/integrations/{working}/ping-tests",
                               form={"csrf_token": csrf_token(page), "version": "WORKING"})
    assert answer.status == 400
    assert tables_without_sessions(console) == before


def test_the_latest_published_snapshot_is_tested_on_its_own(page: Page, console: ConsoleServer) -> None:
    vendor = developer_of_new_vendor(console, "dev@vendor.example")
    host = console.host()
    working = integration(console, vendor, createUrl=host.url + "/create",
                          cancelUrl=host.url + "/cancel")
    snapshot = publish(console, working)
    log_in(page, "dev@vendor.example", path=f"/console/integrations/{working}/ping-tests")
    published = page.locator("#ping-PUBLISHED")
    expect(published.get_by_role("heading")).to_have_text("Latest PUBLISHED snapshot (revision 1)")

    published.get_by_role("button", name="Run ping tests").click()

    expect(published.locator(".ping-status")).to_contain_text("Last run: PASSED")
    expect(page.locator("#ping-WORKING .ping-status")).to_have_text("Not run yet.")
    assert ping_rows(console, snapshot) == ("PASSED", [
        ("SUBSCRIPTION_ORDER", host.url + "/create", True, 200, None, None),
        ("SUBSCRIPTION_CANCEL", host.url + "/cancel", True, 200, None, None),
    ])
    assert ping_rows(console, working) is None


def test_another_vendors_developer_gets_404_everywhere_and_a_post_needs_its_token(
    page: Page, console: ConsoleServer
) -> None:
    vendor = developer_of_new_vendor(console, "dev@vendor.example")
    working = integration(console, vendor, createUrl=console.host().url + "/create")
    snapshot = publish(console, integration(console, vendor, createUrl="https://a.example/c",
                                            cancelUrl="https://a.example/x"))
    developer_of_new_vendor(console, "other@vendor.example")
    console.user("admin@marketplace.example", Role.ADMIN)
    log_in(page, "other@vendor.example")
    token = csrf_token(page)
    before = tables_without_sessions(console)
    base = f"/console/integrations/{working}/ping-tests"

    assert page.request.get(base).status == 404
    assert page.request.get(base + "/WORKING/results").status == 404
    assert page.request.post(base, form={"csrf_token": token, "version": "WORKING",
                                         "eventType.SUBSCRIPTION_ORDER": "on"}).status == 404
    assert page.request.get(f"/console/integrations/{snapshot}/ping-tests").status == 404
    assert page.request.get("/console/integrations/no-such-id/ping-tests").status == 404
    page.context.clear_cookies()
    log_in(page, "admin@marketplace.example")
    assert page.request.get(base).status == 200
    assert page.request.get(base + "/PUBLISHED/results").status == 200
    assert page.request.get(base + "/LATEST/results").status == 404
    assert page.request.post(base, form={"version": "WORKING",
                                         "eventType.SUBSCRIPTION_ORDER": "on"}).status == 403
    assert tables_without_sessions(console) == before
