"""Who gets into the console: a DEVELOPER and an ADMIN do, a buyer's user is refused, an
anonymous visitor is sent to log in and comes back."""

import re

from playwright.sync_api import Page, expect

from marketlink.domain.actors import Role
from tests.browser.conftest import ConsoleServer, log_in


def test_an_admin_logs_in_from_the_console_and_lands_on_integrations(page: Page, console: ConsoleServer) -> None:
    console.user("admin@marketplace.example", Role.ADMIN)

    log_in(page, "admin@marketplace.example")

    expect(page).to_have_url(re.compile(r"/console/integrations$"))
    expect(page.get_by_role("navigation", name="Console")).to_be_visible()
    expect(page.locator("header .who")).to_contain_text("admin@marketplace.example (ADMIN)")


def test_a_user_without_a_console_role_is_refused(page: Page, console: ConsoleServer) -> None:
    console.user("buyer@buyer.example", None)

    log_in(page, "buyer@buyer.example")

    expect(page.get_by_role("heading", level=1)).to_have_text("No console access")
    answer = page.request.get("/console/integrations")
    assert answer.status == 403


def test_the_console_script_is_served_and_no_inline_script_is_allowed(page: Page, console: ConsoleServer) -> None:
    answer = page.request.get("/console/static/console.js")

    assert answer.status == 200
    assert "refreshLater" in answer.text()
    console.user("dev@vendor.example", Role.ADMIN)
    log_in(page, "dev@vendor.example")
    policy = page.request.get("/console/integrations").headers["content-security-policy"]
    assert "script-src 'self';" in policy
