"""Product links in the console: link the vendor's products, unlink them; a second link makes
the integration read-only (the pages say why, offer no buttons, refuse the POSTs with 409)."""

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from marketlink.domain.actors import Role
from marketlink.domain.products import visible_product
from tests.browser.conftest import ConsoleServer, log_in
from tests.browser.test_console_publishing import (
    ADMIN,
    csrf_token,
    developer_of_new_vendor,
    integration,
    link,
    product,
    rows_of,
    tables_without_sessions,
)

READ_ONLY = ("This integration is linked to 2 or more products, so the console shows it read-only: "
             "publish it and change its product links through the GraphQL API.")


def linked_integration(console: ConsoleServer, product_id: str) -> str | None:
    async def read(db, _services):
        async with db.read() as conn:
            return (await visible_product(conn, ADMIN, product_id)).integration_id

    return console.call(read)


def option_texts(page: Page) -> list[str]:
    return page.locator("#productId option").evaluate_all("options => options.map(o => o.text)")


def test_linking_two_products_makes_the_integration_read_only(
    page: Page, console: ConsoleServer, screenshot: Callable[[Page, str], None]
) -> None:
    vendor = developer_of_new_vendor(console, "dev@vendor.example")
    working = integration(console, vendor, createUrl="https://app.example/create",
                          cancelUrl="https://app.example/cancel")
    one, two = product(console, vendor, "Product One"), product(console, vendor, "Product Two")
    elsewhere = product(console, vendor, "Product Three")
    link(console, elsewhere, integration(console, vendor, name="Other"))
    product(console, developer_of_new_vendor(console, "other@vendor.example"), "Not Mine")
    log_in(page, "dev@vendor.example", path=f"/console/integrations/{working}/products")

    expect(page.get_by_text("No product is linked to this integration yet.")).to_be_visible()
    # Creation order, to the millisecond: products made within one millisecond tie, and the
    # tie falls to their random ids, so the options are compared as a sorted list.
    assert sorted(option_texts(page)) == [
        "Product One",
        "Product Three (linked to another integration: linking moves it here)", "Product Two"]
    page.get_by_label("Product", exact=True).select_option(label="Product One")
    page.get_by_role("button", name="Link product", exact=True).click()

    expect(page).to_have_url(re.compile(rf"/console/integrations/{working}/products$"))
    assert rows_of(page.locator("#linked-products")) == [["Product One", one, "", "Unlink"]]
    expect(page.get_by_text("Linking a second product makes this integration read-only")).to_be_visible()
    screenshot(page, "console-products")
    page.get_by_label("Product", exact=True).select_option(label="Product Two")
    page.get_by_role("button", name="Link product", exact=True).click()

    expect(page.locator("#read-only-reason")).to_have_text(READ_ONLY)
    assert rows_of(page.locator("#linked-products")) == [["Product One", one, ""],
                                                        ["Product Two", two, ""]]
    expect(page.get_by_role("button", name=re.compile("Link|Unlink"))).to_have_count(0)
    assert [linked_integration(console, p) for p in (one, two)] == [working, working]
    screenshot(page, "console-products-read-only")
    page.goto(f"/console/integrations/{working}/publish")
    expect(page.locator("#read-only-reason")).to_have_text(READ_ONLY)
    expect(page.get_by_role("button", name=re.compile("Publish"))).to_have_count(0)


def test_unlinking_a_product(page: Page, console: ConsoleServer) -> None:
    vendor = developer_of_new_vendor(console, "dev@vendor.example")
    working = integration(console, vendor)
    one = product(console, vendor, "Product One")
    link(console, one, working)
    log_in(page, "dev@vendor.example", path=f"/console/integrations/{working}/products")

    page.get_by_role("button", name="Unlink Product One").click()

    expect(page.get_by_text("No product is linked to this integration yet.")).to_be_visible()
    assert option_texts(page) == ["Product One"]
    assert linked_integration(console, one) is None


def test_a_read_only_integration_refuses_link_and_unlink_with_409(page: Page, console: ConsoleServer) -> None:
    vendor = developer_of_new_vendor(console, "dev@vendor.example")
    working = integration(console, vendor)
    one, two = product(console, vendor, "Product One"), product(console, vendor, "Product Two")
    three = product(console, vendor, "Product Three")
    link(console, one, working)
    link(console, two, working)
    log_in(page, "dev@vendor.example", path=f"/console/integrations/{working}/products")
    token = csrf_token(page)
    before = tables_without_sessions(console)
    url = f"/console/integrations/{working}/products"

    linked = page.request.post(url, form={"csrf_token": token, "productId": three})
    unlinked = page.request.post(f"{url}/{one}/unlink", form={"csrf_token": token})

    assert (linked.status, unlinked.status) == (409, 409)
    assert READ_ONLY in linked.text() and READ_ONLY in unlinked.text()
    assert tables_without_sessions(console) == before


def test_refused_links_write_nothing(page: Page, console: ConsoleServer) -> None:
    vendor = developer_of_new_vendor(console, "dev@vendor.example")
    working = integration(console, vendor)
    mine = product(console, vendor, "Product One")
    theirs = product(console, developer_of_new_vendor(console, "other@vendor.example"), "Not Mine")
    log_in(page, "dev@vendor.example", path=f"/console/integrations/{working}/products")
    token = csrf_token(page)
    before = tables_without_sessions(console)
    url = f"/console/integrations/{working}/products"

    another_vendors = page.request.post(url, form={"csrf_token": token, "productId": theirs})
    unknown = page.request.post(url, form={"csrf_token": token, "productId": "nope\x00"})
    not_linked = page.request.post(f"{url}/{mine}/unlink", form={"csrf_token": token})

    assert (another_vendors.status, unknown.status, not_linked.status) == (400, 400, 404)
    assert "Product not found." in another_vendors.text()
    assert "Text must not contain control characters." in unknown.text()
    assert tables_without_sessions(console) == before


def test_an_admin_cannot_link_another_vendors_product(page: Page, console: ConsoleServer) -> None:
    vendor = developer_of_new_vendor(console, "dev@vendor.example")
    working = integration(console, vendor)
    theirs = product(console, developer_of_new_vendor(console, "other@vendor.example"), "Not Mine")
    console.user("admin@marketplace.example", Role.ADMIN)
    log_in(page, "admin@marketplace.example", path=f"/console/integrations/{working}/products")
    before = tables_without_sessions(console)

    answer = page.request.post(f"/console/integrations/{working}/products",
                               form={"csrf_token": csrf_token(page), "productId": theirs})

    assert answer.status == 400
    assert "The product and the integration belong to different vendors." in answer.text()
    assert option_texts(page) == []
    assert tables_without_sessions(console) == before


def test_another_vendors_developer_gets_404_and_a_post_needs_its_token(page: Page, console: ConsoleServer) -> None:
    vendor = developer_of_new_vendor(console, "dev@vendor.example")
    working = integration(console, vendor)
    one, two = product(console, vendor, "Product One"), product(console, vendor, "Product Two")
    link(console, one, working)
    developer_of_new_vendor(console, "other@vendor.example")
    log_in(page, "other@vendor.example")
    token = csrf_token(page)
    before = tables_without_sessions(console)
    url = f"/console/integrations/{working}/products"

    assert page.request.get(url).status == 404
    assert page.request.post(url, form={"csrf_token": token, "productId": two}).status == 404
    assert page.request.post(f"{url}/{one}/unlink", form={"csrf_token": token}).status == 404
    page.context.clear_cookies()
    log_in(page, "dev@vendor.example", path=url)
    assert page.request.post(url, form={"productId": two}).status == 403
    assert page.request.post(f"{url}/{one}/unlink", form={}).status == 403
    assert tables_without_sessions(console) == before
