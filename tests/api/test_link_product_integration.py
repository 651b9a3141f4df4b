"""linkProductIntegration and unlinkProductIntegration, per caller, and what links change."""

from tests.helpers import START_MS, dump_tables

CREATE_INTEGRATION = """
mutation Create($input: CreateProductIntegrationInput!) {
  createProductIntegration(input: $input) { productIntegration { id } userErrors { code } }
}
"""

CREATE_PRODUCT = """
mutation Create($input: CreateProductInput!) {
  createProduct(input: $input) { product { id } userErrors { code } }
}
"""

PUBLISH = """
mutation Publish($input: PublishProductIntegrationInput!) {
  publishProductIntegration(input: $input) { productIntegration { id } userErrors { code } }
}
"""

PRODUCT_FIELDS = "id version vendorId lastModified integration { id version }"

LINK = f"""
mutation Link($input: LinkProductIntegrationInput!) {{
  linkProductIntegration(input: $input) {{
    product {{ {PRODUCT_FIELDS} }}
    userErrors {{ __typename message path code }}
  }}
}}
"""

UNLINK = f"""
mutation Unlink($input: UnlinkProductIntegrationInput!) {{
  unlinkProductIntegration(input: $input) {{
    product {{ {PRODUCT_FIELDS} }}
    userErrors {{ __typename message path code }}
  }}
}}
"""

PRODUCT = f"query Product($id: ID!) {{ product(id: $id) {{ {PRODUCT_FIELDS} }} }}"

INTEGRATION = """
query Integration($id: ID!) {
  productIntegration(id: $id) { id readOnlyInConsole linkedProducts { id } }
}
"""

NO_ID = "00000000-0000-4000-8000-000000000000"


async def new_integration(world, token) -> str:
    variables = {"input": {"name": "Integration", "createUrl": "https://host.example/create",
                           "cancelUrl": "https://host.example/cancel"}}
    data = await world.api.data(CREATE_INTEGRATION, variables, token)
    assert data["createProductIntegration"]["userErrors"] == []
    return data["createProductIntegration"]["productIntegration"]["id"]


async def new_product(world, token, name="Product") -> str:
    data = await world.api.data(CREATE_PRODUCT, {"input": {"name": name}}, token)
    assert data["createProduct"]["userErrors"] == []
    return data["createProduct"]["product"]["id"]


async def new_products(world, token, count) -> list[str]:
    """Products created a millisecond apart, so their listing order is their creation order."""
    ids = []
    for i in range(count):
        ids.append(await new_product(world, token, f"P{i}"))
        world.clock.advance(1)
    return ids


async def link(world, product_id, integration_id, token) -> dict:
    variables = {"input": {"productId": product_id, "integrationId": integration_id}}
    return (await world.api.data(LINK, variables, token))["linkProductIntegration"]


async def unlink(world, product_id, token) -> dict:
    variables = {"input": {"productId": product_id}}
    return (await world.api.data(UNLINK, variables, token))["unlinkProductIntegration"]


async def integration_links(world, integration_id, token) -> dict:
    return (await world.api.data(INTEGRATION, {"id": integration_id}, token))["productIntegration"]


def link_error(message, field, code):
    return {"__typename": "LinkProductIntegrationError", "message": message,
            "path": ["input", field], "code": code}


def unlink_error(message, code):
    return {"__typename": "UnlinkProductIntegrationError", "message": message,
            "path": ["input", "productId"], "code": code}


# linkProductIntegration, per caller


async def test_developer_links_own_product_to_own_integration(world):
    integration = await new_integration(world, world.dev_a)
    product = await new_product(world, world.dev_a)
    world.clock.advance(4_000)

    payload = await link(world, product, integration, world.dev_a)

    assert payload == {"userErrors": [], "product": {
        "id": product, "version": "WORKING", "vendorId": world.vendor_a,
        "lastModified": START_MS + 4_000, "integration": {"id": integration, "version": "WORKING"}}}


async def test_link_is_stored(world):
    integration = await new_integration(world, world.dev_a)
    product = await new_product(world, world.dev_a)

    await link(world, product, integration, world.dev_a)

    data = await world.api.data(PRODUCT, {"id": product}, world.dev_a)
    assert data["product"]["integration"] == {"id": integration, "version": "WORKING"}
    assert await integration_links(world, integration, world.dev_a) == {
        "id": integration, "readOnlyInConsole": False, "linkedProducts": [{"id": product}]}


async def test_admin_links_any_vendors_product(world):
    integration = await new_integration(world, world.dev_b)
    product = await new_product(world, world.dev_b)

    payload = await link(world, product, integration, world.admin)

    assert payload["userErrors"] == []
    assert payload["product"]["integration"] == {"id": integration, "version": "WORKING"}


async def test_anonymous_caller_cannot_link_and_nothing_written(world):
    integration = await new_integration(world, world.dev_a)
    product = await new_product(world, world.dev_a)
    before = await dump_tables(world.db)

    response = await world.api.post(LINK, {"input": {"productId": product, "integrationId": integration}})

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert await dump_tables(world.db) == before


async def test_other_vendors_developer_gets_not_found_for_both(world):
    integration = await new_integration(world, world.dev_a)
    product = await new_product(world, world.dev_a)
    before = await dump_tables(world.db)

    payload = await link(world, product, integration, world.dev_b)

    assert payload == {"product": None, "userErrors": [
        link_error("Product not found.", "productId", "NOT_FOUND"),
        link_error("Integration not found.", "integrationId", "NOT_FOUND"),
    ]}
    assert await dump_tables(world.db) == before


async def test_developer_cannot_link_own_product_to_other_vendors_integration(world):
    integration_b = await new_integration(world, world.dev_b)
    product_a = await new_product(world, world.dev_a)
    before = await dump_tables(world.db)

    payload = await link(world, product_a, integration_b, world.dev_a)

    assert payload == {"product": None, "userErrors": [
        link_error("Integration not found.", "integrationId", "NOT_FOUND")]}
    assert await dump_tables(world.db) == before


async def test_developer_cannot_link_other_vendors_product_to_own_integration(world):
    integration_a = await new_integration(world, world.dev_a)
    product_b = await new_product(world, world.dev_b)
    before = await dump_tables(world.db)

    payload = await link(world, product_b, integration_a, world.dev_a)

    assert payload == {"product": None, "userErrors": [
        link_error("Product not found.", "productId", "NOT_FOUND")]}
    assert await dump_tables(world.db) == before


async def test_admin_cannot_link_across_vendors(world):
    integration_b = await new_integration(world, world.dev_b)
    product_a = await new_product(world, world.dev_a)
    before = await dump_tables(world.db)

    payload = await link(world, product_a, integration_b, world.admin)

    assert payload == {"product": None, "userErrors": [
        link_error("The product and the integration belong to different vendors.", "integrationId",
                   "NOT_ALLOWED")]}
    assert await dump_tables(world.db) == before


async def test_unknown_ids_are_not_found(world):
    before = await dump_tables(world.db)

    payload = await link(world, NO_ID, "not-a-uuid", world.admin)

    assert payload["userErrors"] == [
        link_error("Product not found.", "productId", "NOT_FOUND"),
        link_error("Integration not found.", "integrationId", "NOT_FOUND"),
    ]
    assert await dump_tables(world.db) == before


# what linking does


async def test_linking_via_a_snapshot_id_links_the_integration(world):
    integration = await new_integration(world, world.dev_a)
    published = await world.api.data(PUBLISH, {"input": {"integrationId": integration}}, world.dev_a)
    snapshot = published["publishProductIntegration"]["productIntegration"]["id"]
    product = await new_product(world, world.dev_a)

    payload = await link(world, product, snapshot, world.dev_a)

    assert payload["userErrors"] == []
    assert payload["product"]["integration"] == {"id": integration, "version": "WORKING"}


async def test_linking_again_replaces_the_earlier_link(world):
    first = await new_integration(world, world.dev_a)
    second = await new_integration(world, world.dev_a)
    product = await new_product(world, world.dev_a)
    await link(world, product, first, world.dev_a)

    payload = await link(world, product, second, world.dev_a)

    assert payload["product"]["integration"] == {"id": second, "version": "WORKING"}
    assert (await integration_links(world, first, world.dev_a))["linkedProducts"] == []


async def test_read_only_in_console_from_two_linked_products(world):
    integration = await new_integration(world, world.dev_a)
    products = await new_products(world, world.dev_a, 2)
    await link(world, products[0], integration, world.dev_a)
    assert (await integration_links(world, integration, world.dev_a))["readOnlyInConsole"] is False

    await link(world, products[1], integration, world.dev_a)

    assert await integration_links(world, integration, world.dev_a) == {
        "id": integration, "readOnlyInConsole": True,
        "linkedProducts": [{"id": products[0]}, {"id": products[1]}]}


async def test_unlinking_back_to_one_product_ends_read_only(world):
    integration = await new_integration(world, world.dev_a)
    products = await new_products(world, world.dev_a, 2)
    for product in products:
        await link(world, product, integration, world.dev_a)

    await unlink(world, products[0], world.dev_a)

    assert await integration_links(world, integration, world.dev_a) == {
        "id": integration, "readOnlyInConsole": False, "linkedProducts": [{"id": products[1]}]}


async def test_snapshot_reports_links_of_its_integration(world):
    integration = await new_integration(world, world.dev_a)
    products = await new_products(world, world.dev_a, 2)
    for product in products:
        await link(world, product, integration, world.dev_a)
    published = await world.api.data(PUBLISH, {"input": {"integrationId": integration}}, world.dev_a)
    snapshot = published["publishProductIntegration"]["productIntegration"]["id"]

    assert await integration_links(world, snapshot, world.dev_a) == {
        "id": snapshot, "readOnlyInConsole": True,
        "linkedProducts": [{"id": products[0]}, {"id": products[1]}]}


async def test_other_vendors_linked_product_and_integration_read_as_null(world):
    integration = await new_integration(world, world.dev_a)
    product = await new_product(world, world.dev_a)
    await link(world, product, integration, world.dev_a)

    assert (await world.api.data(PRODUCT, {"id": product}, world.dev_b)) == {"product": None}
    assert (await world.api.data(INTEGRATION, {"id": integration}, world.dev_b)) == {
        "productIntegration": None}


# unlinkProductIntegration, per caller


async def test_developer_unlinks_own_product(world):
    integration = await new_integration(world, world.dev_a)
    product = await new_product(world, world.dev_a)
    await link(world, product, integration, world.dev_a)
    world.clock.advance(9_000)

    payload = await unlink(world, product, world.dev_a)

    assert payload == {"userErrors": [], "product": {
        "id": product, "version": "WORKING", "vendorId": world.vendor_a,
        "lastModified": START_MS + 9_000, "integration": None}}
    assert (await integration_links(world, integration, world.dev_a))["linkedProducts"] == []


async def test_admin_unlinks_any_vendors_product(world):
    integration = await new_integration(world, world.dev_b)
    product = await new_product(world, world.dev_b)
    await link(world, product, integration, world.dev_b)

    payload = await unlink(world, product, world.admin)

    assert payload["userErrors"] == []
    assert payload["product"]["integration"] is None


async def test_anonymous_caller_cannot_unlink_and_nothing_written(world):
    integration = await new_integration(world, world.dev_a)
    product = await new_product(world, world.dev_a)
    await link(world, product, integration, world.dev_a)
    before = await dump_tables(world.db)

    response = await world.api.post(UNLINK, {"input": {"productId": product}})

    assert response.status_code == 401
    assert await dump_tables(world.db) == before


async def test_other_vendors_developer_cannot_unlink(world):
    integration = await new_integration(world, world.dev_a)
    product = await new_product(world, world.dev_a)
    await link(world, product, integration, world.dev_a)
    before = await dump_tables(world.db)

    payload = await unlink(world, product, world.dev_b)

    assert payload == {"product": None, "userErrors": [unlink_error("Product not found.", "NOT_FOUND")]}
    assert await dump_tables(world.db) == before


async def test_unlinking_a_product_without_integration_is_refused(world):
    product = await new_product(world, world.dev_a)
    before = await dump_tables(world.db)

    payload = await unlink(world, product, world.dev_a)

    assert payload == {"product": None, "userErrors": [
        unlink_error("This product is not linked to an integration.", "INVALID")]}
    assert await dump_tables(world.db) == before
