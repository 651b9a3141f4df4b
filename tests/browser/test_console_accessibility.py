"""The console without a mouse: a developer logs in and creates an integration with the
keyboard only (Tab, typing, Enter), the skip link leads to the content, and every form control
of the main pages has a label that names it (what a screen reader announces)."""

import re
from typing import Any

from playwright.sync_api import Page, expect

from marketlink.domain.actors import Role
from marketlink.domain.vendors import create_vendor
from tests.browser.conftest import PASSWORD, ConsoleServer, log_in

UNLABELLED = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button')].filter(el =>
    !(el.labels && el.labels.length && [...el.labels].some(l => l.innerText.trim()))
    && !(el.getAttribute('aria-label') || '').trim()
    && !(el.tagName === 'BUTTON' && el.innerText.trim())
  ).map(el => el.outerHTML.slice(0, 120))"""


def developer(console: ConsoleServer) -> str:
    async def make(db: Any, services: Any) -> str:
        async with db.write() as conn:
            return await create_vendor(conn, services, "Keys Inc")
    vendor_id = console.call(make)
    console.user("keys@vendor.example", Role.DEVELOPER, vendor_id)
    return vendor_id


def tab_to(page: Page, name: str, limit: int = 40) -> None:
    """Press Tab until the focused element's accessible text is ``name``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => (document.activeElement.innerText || "
                                "document.activeElement.value || '').trim()")
        if focused == name:
            return
    raise AssertionError(f"{name!r} is not reachable with Tab")


def tab_to_field(page: Page, element_id: str, limit: int = 40) -> None:
    """Press Tab until the form control with this id has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} is not reachable with Tab")


def test_a_developer_logs_in_and_creates_an_integration_with_the_keyboard_only(
        page: Page, console: ConsoleServer) -> None:
    developer(console)
    page.goto("/console")

    expect(page.get_by_label("Email")).to_be_focused()  # on arrival, before any key is pressed
    page.keyboard.type("keys@vendor.example")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/console/integrations$"))
    tab_to(page, "New integration")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/console/integrations/new$"))
    tab_to_field(page, "f-name")
    page.keyboard.type("Keyboard CRM")
    tab_to_field(page, "f-createUrl")
    page.keyboard.type("https://crm.example/create?e={eventUrl}")
    tab_to(page, "Create integration")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Keyboard CRM")
    expect(page.get_by_role("row", name=re.compile("^Create URL createUrl")).get_by_role("code")).to_have_text(
        "https://crm.example/create?e={eventUrl}")


def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(page: Page, console: ConsoleServer) -> None:
    developer(console)
    log_in(page, "keys@vendor.example")

    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.innerText")
    page.keyboard.press("Enter")

    assert focused == "Skip to content"
    assert page.evaluate("() => document.activeElement.id") == "main"


def test_every_form_control_of_the_main_pages_is_labelled(page: Page, console: ConsoleServer) -> None:
    developer(console)
    console.user("admin@keys.example", Role.ADMIN)
    log_in(page, "admin@keys.example")
    paths = ["/console/integrations", "/console/integrations/new", "/console/events",
             "/console/subscriptions", "/console/subscriptions/new"]

    unlabelled = {}
    for path in paths:
        assert page.goto(path).status == 200
        unlabelled[path] = page.evaluate(UNLABELLED)

    assert unlabelled == {path: [] for path in paths}
