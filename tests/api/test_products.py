"""createProduct, updateProduct, product(id) and products(first, after), per caller."""

from tests.helpers import START_MS, dump_tables

PRODUCT_FIELDS = ("id version vendorId name usageType editions { code name } createdOn lastModified "
                  "integration { id }")

CREATE = f"""
mutation Create($input: CreateProductInput!) {{
  createProduct(input: $input) {{
    product {{ {PRODUCT_FIELDS} }}
    userErrors {{ __typename message path code }}
  }}
}}
"""

UPDATE = f"""
mutation Update($input: UpdateProductInput!) {{
  updateProduct(input: $input) {{
    product {{ {PRODUCT_FIELDS} }}
    userErrors {{ __typename message path code }}
  }}
}}
"""

PRODUCT = f"query Product($id: ID!) {{ product(id: $id) {{ {PRODUCT_FIELDS} }} }}"

PRODUCTS = """
query Products($first: Int!, $after: String) {
  products(first: $first, after: $after) {
    nodes { id name }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}
"""

VALID = {"name": "Docs", "usageType": "MULTI_USER",
         "editions": [{"code": "FREE", "name": "Free"}, {"code": "pro.v2", "name": "Pro"}]}


async def create_product(world, token, **fields) -> dict:
    data = await world.api.data(CREATE, {"input": VALID | fields}, token)
    assert data["createProduct"]["userErrors"] == []
    return data["createProduct"]["product"]


def create_error(message, path, code):
    return {"__typename": "CreateProductError", "message": message, "path": path, "code": code}


def update_error(message, path, code):
    return {"__typename": "UpdateProductError", "message": message, "path": path, "code": code}


# createProduct


async def test_developer_creates_product_for_own_vendor(world):
    data = await world.api.data(CREATE, {"input": VALID}, world.dev_a)

    payload = data["createProduct"]
    assert payload["userErrors"] == []
    assert {k: v for k, v in payload["product"].items() if k != "id"} == {
        "version": "WORKING", "vendorId": world.vendor_a, "name": "Docs", "usageType": "MULTI_USER",
        "editions": [{"code": "FREE", "name": "Free"}, {"code": "pro.v2", "name": "Pro"}],
        "createdOn": START_MS, "lastModified": START_MS, "integration": None,
    }


async def test_created_product_reads_back_the_same(world):
    created = await create_product(world, world.dev_a)

    data = await world.api.data(PRODUCT, {"id": created["id"]}, world.dev_a)

    assert data["product"] == created


async def test_product_defaults_to_single_user_without_editions(world):
    data = await world.api.data(CREATE, {"input": {"name": "Bare"}}, world.dev_a)

    product = data["createProduct"]["product"]
    assert (product["usageType"], product["editions"]) == ("SINGLE_USER", [])


async def test_anonymous_caller_cannot_create_and_nothing_written(world):
    before = await dump_tables(world.db)

    response = await world.api.post(CREATE, {"input": VALID})

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert await dump_tables(world.db) == before


async def test_developer_cannot_create_for_another_vendor(world):
    before = await dump_tables(world.db)

    data = await world.api.data(CREATE, {"input": VALID | {"vendorId": world.vendor_b}}, world.dev_a)

    assert data["createProduct"] == {"product": None, "userErrors": [
        create_error("Vendor not found.", ["input", "vendorId"], "NOT_FOUND")]}
    assert await dump_tables(world.db) == before


async def test_admin_must_name_the_vendor(world):
    before = await dump_tables(world.db)

    data = await world.api.data(CREATE, {"input": VALID}, world.admin)

    assert data["createProduct"] == {"product": None, "userErrors": [
        create_error("vendorId is required for administrators.", ["input", "vendorId"], "REQUIRED")]}
    assert await dump_tables(world.db) == before


async def test_admin_creates_for_any_vendor(world):
    data = await world.api.data(CREATE, {"input": VALID | {"vendorId": world.vendor_b}}, world.admin)

    assert data["createProduct"]["userErrors"] == []
    assert data["createProduct"]["product"]["vendorId"] == world.vendor_b


async def test_name_is_required(world):
    before = await dump_tables(world.db)

    data = await world.api.data(CREATE, {"input": {"usageType": "SINGLE_USER"}}, world.dev_a)

    assert data["createProduct"] == {"product": None, "userErrors": [
        create_error("name is required.", ["input", "name"], "REQUIRED")]}
    assert await dump_tables(world.db) == before


async def test_name_longer_than_200_is_refused(world):
    before = await dump_tables(world.db)

    data = await world.api.data(CREATE, {"input": {"name": "x" * 201}}, world.dev_a)

    assert data["createProduct"]["userErrors"] == [
        create_error("name must be at most 200 characters.", ["input", "name"], "TOO_LONG")]
    assert await dump_tables(world.db) == before


# editions


async def test_duplicate_edition_codes_are_refused(world):
    before = await dump_tables(world.db)
    editions = [{"code": "GOLD", "name": "Gold"}, {"code": "SILVER", "name": "Silver"},
                {"code": " GOLD ", "name": "Gold again"}]

    data = await world.api.data(CREATE, {"input": VALID | {"editions": editions}}, world.dev_a)

    assert data["createProduct"] == {"product": None, "userErrors": [
        create_error("Edition code GOLD is used twice.", ["input", "editions", "2", "code"],
                     "DUPLICATE")]}
    assert await dump_tables(world.db) == before


async def test_bad_edition_code_and_blank_name_are_refused(world):
    before = await dump_tables(world.db)
    editions = [{"code": "OK", "name": "Fine"}, {"code": "has space", "name": "  "}]

    data = await world.api.data(CREATE, {"input": VALID | {"editions": editions}}, world.dev_a)

    assert data["createProduct"]["userErrors"] == [
        create_error("code is 1 to 64 letters, digits, '_', '.' or '-'.",
                     ["input", "editions", "1", "code"], "INVALID"),
        create_error("name is 1 to 200 characters.", ["input", "editions", "1", "name"], "REQUIRED"),
    ]
    assert await dump_tables(world.db) == before


async def test_edition_code_longer_than_64_is_refused(world):
    editions = [{"code": "A" * 65, "name": "Long"}]

    data = await world.api.data(CREATE, {"input": VALID | {"editions": editions}}, world.dev_a)

    assert data["createProduct"]["userErrors"] == [
        create_error("code is 1 to 64 letters, digits, '_', '.' or '-'.",
                     ["input", "editions", "0", "code"], "INVALID")]


async def test_fifty_editions_are_accepted(world):
    editions = [{"code": f"E{i}", "name": f"Edition {i}"} for i in range(50)]

    data = await world.api.data(CREATE, {"input": VALID | {"editions": editions}}, world.dev_a)

    assert data["createProduct"]["userErrors"] == []
    assert data["createProduct"]["product"]["editions"] == editions


async def test_more_than_fifty_editions_are_refused(world):
    before = await dump_tables(world.db)
    editions = [{"code": f"E{i}", "name": f"Edition {i}"} for i in range(51)]

    data = await world.api.data(CREATE, {"input": VALID | {"editions": editions}}, world.dev_a)

    assert data["createProduct"] == {"product": None, "userErrors": [
        create_error("A product has at most 50 editions.", ["input", "editions"], "TOO_MANY")]}
    assert await dump_tables(world.db) == before


# updateProduct


async def test_developer_updates_own_product(world):
    created = await create_product(world, world.dev_a)
    world.clock.advance(5_000)

    data = await world.api.data(UPDATE, {"input": {
        "id": created["id"], "name": "Docs 2", "usageType": "SINGLE_USER",
        "editions": [{"code": "ONLY", "name": "Only"}]}}, world.dev_a)

    assert data["updateProduct"] == {"userErrors": [], "product": created | {
        "name": "Docs 2", "usageType": "SINGLE_USER", "editions": [{"code": "ONLY", "name": "Only"}],
        "lastModified": START_MS + 5_000}}


async def test_update_keeps_fields_left_out(world):
    created = await create_product(world, world.dev_a)
    world.clock.advance(1_000)

    await world.api.data(UPDATE, {"input": {"id": created["id"], "name": "Renamed"}}, world.dev_a)

    data = await world.api.data(PRODUCT, {"id": created["id"]}, world.dev_a)
    assert data["product"] == created | {"name": "Renamed", "lastModified": START_MS + 1_000}


async def test_admin_updates_any_vendors_product(world):
    created = await create_product(world, world.dev_b)
    world.clock.advance(2_000)

    data = await world.api.data(UPDATE, {"input": {"id": created["id"], "name": "By admin"}}, world.admin)

    assert data["updateProduct"] == {"userErrors": [], "product": created | {
        "name": "By admin", "lastModified": START_MS + 2_000}}


async def test_anonymous_caller_cannot_update_and_nothing_written(world):
    created = await create_product(world, world.dev_a)
    before = await dump_tables(world.db)

    response = await world.api.post(UPDATE, {"input": {"id": created["id"], "name": "X"}})

    assert response.status_code == 401
    assert await dump_tables(world.db) == before


async def test_other_vendors_developer_cannot_update(world):
    created = await create_product(world, world.dev_a)
    before = await dump_tables(world.db)

    data = await world.api.data(UPDATE, {"input": {"id": created["id"], "name": "Stolen"}}, world.dev_b)

    assert data["updateProduct"] == {"product": None, "userErrors": [
        update_error("Product not found.", ["input", "id"], "NOT_FOUND")]}
    assert await dump_tables(world.db) == before


async def test_update_of_unknown_or_malformed_id_is_not_found(world):
    before = await dump_tables(world.db)

    for product_id in ("00000000-0000-4000-8000-000000000000", "not-a-uuid"):
        data = await world.api.data(UPDATE, {"input": {"id": product_id, "name": "X"}}, world.admin)
        assert data["updateProduct"]["userErrors"] == [
            update_error("Product not found.", ["input", "id"], "NOT_FOUND")]
    assert await dump_tables(world.db) == before


async def test_update_with_bad_editions_writes_nothing(world):
    created = await create_product(world, world.dev_a)
    before = await dump_tables(world.db)
    editions = [{"code": "A", "name": "A"}, {"code": "A", "name": "B"}]

    data = await world.api.data(UPDATE, {"input": {"id": created["id"], "name": "New name",
                                                    "editions": editions}}, world.dev_a)

    assert data["updateProduct"] == {"product": None, "userErrors": [
        update_error("Edition code A is used twice.", ["input", "editions", "1", "code"], "DUPLICATE")]}
    assert await dump_tables(world.db) == before


async def test_update_with_too_many_editions_is_refused(world):
    created = await create_product(world, world.dev_a)
    before = await dump_tables(world.db)
    editions = [{"code": f"E{i}", "name": "E"} for i in range(51)]

    data = await world.api.data(UPDATE, {"input": {"id": created["id"], "editions": editions}}, world.dev_a)

    assert data["updateProduct"]["userErrors"] == [
        update_error("A product has at most 50 editions.", ["input", "editions"], "TOO_MANY")]
    assert await dump_tables(world.db) == before


async def test_update_cannot_blank_the_name(world):
    created = await create_product(world, world.dev_a)
    before = await dump_tables(world.db)

    data = await world.api.data(UPDATE, {"input": {"id": created["id"], "name": " "}}, world.dev_a)

    assert data["updateProduct"]["userErrors"] == [
        update_error("name is required.", ["input", "name"], "REQUIRED")]
    assert await dump_tables(world.db) == before


# product(id)


async def test_other_vendors_product_reads_as_null(world):
    created = await create_product(world, world.dev_a)

    data = await world.api.data(PRODUCT, {"id": created["id"]}, world.dev_b)

    assert data == {"product": None}


async def test_admin_reads_any_vendors_product(world):
    created = await create_product(world, world.dev_b)

    data = await world.api.data(PRODUCT, {"id": created["id"]}, world.admin)

    assert data["product"] == created


async def test_anonymous_caller_cannot_read_products(world):
    response = await world.api.post(PRODUCTS, {"first": 5})

    assert response.status_code == 401


# products(first, after)


async def make_products(world, token, count) -> list[str]:
    ids = []
    for i in range(count):
        ids.append((await create_product(world, token, name=f"P{i}"))["id"])
        world.clock.advance(1)
    return ids


async def test_products_pages_in_creation_order(world):
    ids = await make_products(world, world.dev_a, 3)

    first = (await world.api.data(PRODUCTS, {"first": 2}, world.dev_a))["products"]
    second = (await world.api.data(
        PRODUCTS, {"first": 2, "after": first["pageInfo"]["endCursor"]}, world.dev_a))["products"]

    assert [n["id"] for n in first["nodes"]] == ids[:2]
    assert (first["pageInfo"]["hasNextPage"], first["totalCount"]) == (True, 3)
    assert [n["id"] for n in second["nodes"]] == ids[2:]
    assert (second["pageInfo"]["hasNextPage"], second["totalCount"]) == (False, 3)


async def test_products_exact_page_has_no_next_page(world):
    ids = await make_products(world, world.dev_a, 2)

    page = (await world.api.data(PRODUCTS, {"first": 2}, world.dev_a))["products"]

    assert [n["id"] for n in page["nodes"]] == ids
    assert page["pageInfo"]["hasNextPage"] is False
    assert page["pageInfo"]["endCursor"] is not None


async def test_products_empty_list(world):
    data = await world.api.data(PRODUCTS, {"first": 5}, world.dev_a)

    assert data["products"] == {"nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None},
                                "totalCount": 0}


async def test_products_same_millisecond_are_not_skipped_or_repeated(world):
    ids = {(await create_product(world, world.dev_a, name=f"P{i}"))["id"] for i in range(3)}

    seen, after = [], None
    for _ in range(3):
        page = (await world.api.data(PRODUCTS, {"first": 1, "after": after}, world.dev_a))["products"]
        seen += [n["id"] for n in page["nodes"]]
        after = page["pageInfo"]["endCursor"]

    assert sorted(seen) == sorted(ids)
    assert page["pageInfo"]["hasNextPage"] is False


async def test_developer_lists_only_own_vendors_products(world):
    own = await make_products(world, world.dev_a, 2)
    await make_products(world, world.dev_b, 3)

    data = await world.api.data(PRODUCTS, {"first": 10}, world.dev_a)

    assert [n["id"] for n in data["products"]["nodes"]] == own
    assert data["products"]["totalCount"] == 2


async def test_admin_lists_every_vendors_products(world):
    ids = await make_products(world, world.dev_a, 2) + await make_products(world, world.dev_b, 1)

    data = await world.api.data(PRODUCTS, {"first": 10}, world.admin)

    assert [n["id"] for n in data["products"]["nodes"]] == ids
    assert data["products"]["totalCount"] == 3


async def test_products_first_out_of_range_is_a_query_error(world):
    for first in (0, 101):
        response = await world.api.post(PRODUCTS, {"first": first}, world.dev_a)

        body = response.json()
        assert body["data"] is None
        assert [e["message"] for e in body["errors"]] == ["first must be between 1 and 100."]


async def test_products_bad_cursor_is_a_query_error(world):
    response = await world.api.post(PRODUCTS, {"first": 5, "after": "not-a-cursor"}, world.dev_a)

    body = response.json()
    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == ["after is not a cursor returned by this API."]
