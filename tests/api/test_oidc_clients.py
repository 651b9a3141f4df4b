"""OpenID Connect clients: created as ``clientCreationMethod`` says when a product is ordered,
linked from the order event, fetched (and fetched again) by the host with its inbound
credentials; the secret kept as a keyed hash and encrypted, never in clear."""

import re

import pytest
from sqlalchemy import select

from marketlink.storage.tables import oidc_clients
from tests.api.oidc_support import (
    REDIRECT,
    bought,
    client_of,
    fetch_client,
    oidc_app,
    order_links,
    person,
)
from tests.api.test_protocol import access_token
from tests.helpers import START_MS, dump_tables

BASE = "http://127.0.0.1:8000"
LINK = re.compile(re.escape(BASE) + r"/api/integration/v1/oidc-clients/([0-9a-f-]{36})")


async def client_rows(db) -> list[dict]:
    async with db.read() as conn:
        query = select(oidc_clients).order_by(oidc_clients.c.created_on, oidc_clients.c.id)
        return [dict(r) for r in (await conn.execute(query)).mappings()]


async def test_each_order_gets_its_own_client_per_subscription(world):
    app = await oidc_app(world)
    ada = await person(world, "ada@one.example")
    bob = await person(world, "bob@two.example", first="Bob")

    first = await bought(world, app, ada, active=False)
    second = await bought(world, app, bob, active=False)

    [first_link], [second_link] = await order_links(world, first), await order_links(world, second)
    assert first_link["rel"] == second_link["rel"] == "oidcClient"
    rows = {r["subscription_id"]: r for r in await client_rows(world.db)}
    assert [LINK.fullmatch(link["href"]).group(1) for link in (first_link, second_link)] == [
        rows[first]["id"], rows[second]["id"]]
    assert [(r["integration_id"], r["creation_method"], r["scope_key"]) for r in rows.values()] == [
        (app.integration, "PER_SUBSCRIPTION", s) for s in rows]
    rows = list(rows.values())
    assert rows[0]["client_id"] != rows[1]["client_id"]
    assert all(re.fullmatch(r"[A-Za-z0-9]{32}", r["client_id"]) and r["created_on"] == START_MS
               for r in rows)


@pytest.mark.parametrize("method", ["PER_MARKETPLACE", "PER_ENVIRONMENT"])
async def test_shared_clients_are_made_by_the_first_order_and_linked_from_every_order(world, method):
    app = await oidc_app(world, clientCreationMethod=method)
    ada = await person(world, "ada@one.example")
    bob = await person(world, "bob@two.example", first="Bob")

    first = await bought(world, app, ada, active=False)
    second = await bought(world, app, bob, active=False)

    [row] = await client_rows(world.db)
    assert (row["subscription_id"], row["creation_method"], row["scope_key"]) == (None, method, method)
    assert await order_links(world, first) == await order_links(world, second) == [
        {"rel": "oidcClient", "href": f"{BASE}/api/integration/v1/oidc-clients/{row['id']}"}]


async def test_orders_of_products_without_openid_connect_have_no_client(world):
    app = await oidc_app(world, sso=None)
    ada = await person(world, "ada@one.example")

    subscription = await bought(world, app, ada, active=False)

    assert await order_links(world, subscription) == []
    assert await client_rows(world.db) == []


async def test_the_host_fetches_its_client_with_its_inbound_credentials(world):
    app = await oidc_app(world)
    subscription = await bought(world, app, await person(world, "ada@one.example"))
    [link] = await order_links(world, subscription)

    response = await fetch_client(world, app, link["href"])

    [row] = await client_rows(world.db)
    body = response.json()
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert body == {"clientId": row["client_id"], "clientSecret": body["clientSecret"],
                    "redirectUrls": [REDIRECT, "https://rp.example/other"], "issuer": BASE}
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", body["clientSecret"])
    assert row["secret_hash"] == world.services.keyring.keyed_hash(body["clientSecret"])
    assert world.services.keyring.decrypt(row["secret_encrypted"]) == body["clientSecret"]


async def test_a_host_can_fetch_its_client_again(world):
    app = await oidc_app(world)
    subscription = await bought(world, app, await person(world, "ada@one.example"))

    first = await client_of(world, app, subscription)
    again = await client_of(world, app, subscription)

    assert first == again


async def test_the_secret_is_stored_only_hashed_and_encrypted(world):
    app = await oidc_app(world)
    subscription = await bought(world, app, await person(world, "ada@one.example"))
    secret = (await client_of(world, app, subscription))["clientSecret"]

    dump = repr(await dump_tables(world.db))

    assert secret not in dump


async def test_another_integrations_host_and_unknown_ids_get_not_found(world):
    app = await oidc_app(world)
    other = await oidc_app(world, "Other")
    subscription = await bought(world, app, await person(world, "ada@one.example"))
    [link] = await order_links(world, subscription)
    token = await access_token(world, app.inbound)

    stranger = await fetch_client(world, app, link["href"], inbound=other.inbound)
    unknown = await world.api.client.get("/api/integration/v1/oidc-clients/00000000-0000-4000-8000-000000000000",
                                         headers={"Authorization": f"Bearer {token}"})
    not_an_id = await world.api.client.get("/api/integration/v1/oidc-clients/x",
                                           headers={"Authorization": f"Bearer {token}"})

    assert [r.status_code for r in (stranger, unknown, not_an_id)] == [404, 404, 404]
    assert stranger.json() == {"error": "not_found", "message": "No such client."}


async def test_fetching_without_valid_inbound_credentials_is_unauthorized(world):
    app = await oidc_app(world)
    subscription = await bought(world, app, await person(world, "ada@one.example"))
    [link] = await order_links(world, subscription)
    path = LINK.fullmatch(link["href"]).group(0).removeprefix(BASE)

    anonymous = await world.api.client.get(path)
    forged = await world.api.client.get(path, headers={"Authorization": "Bearer mla_forged.x"})
    world.clock.advance(3_600_000)
    token_then = await access_token(world, app.inbound)
    world.clock.advance(3_600_000)
    expired = await world.api.client.get(path, headers={"Authorization": f"Bearer {token_then}"})

    assert [r.status_code for r in (anonymous, forged, expired)] == [401, 401, 401]
    assert anonymous.headers["www-authenticate"] == 'Bearer realm="marketlink"'


async def test_the_redirect_urls_are_the_latest_published_ones(world):
    app = await oidc_app(world)
    subscription = await bought(world, app, await person(world, "ada@one.example"))
    await world.api.data("""mutation($input: UpdateProductIntegrationOpenIdConnectConfigurationInput!) {
      updateProductIntegrationOpenIdConnectConfiguration(input: $input) { userErrors { message } } }""",
                         {"input": {"integrationConfigurationId": app.integration,
                                    "redirectUrls": ["https://rp.example/new"]}}, world.dev_a)
    unpublished = (await client_of(world, app, subscription))["redirectUrls"]
    await world.api.data("""mutation($i: ID!) { publishProductIntegration(input: {integrationId: $i}) {
      productIntegration { id } } }""", {"i": app.integration}, world.dev_a)

    published = (await client_of(world, app, subscription))["redirectUrls"]

    assert (unpublished, published) == ([REDIRECT, "https://rp.example/other"], ["https://rp.example/new"])
