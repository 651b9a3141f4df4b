"""The product host's side of the protocol: POST /oauth2/token with its inbound client, then
GET /api/integration/v1/events/<token> as XML or JSON (or signed with OAuth 1.0a)."""

import base64
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from marketlink.delivery.oauth1 import authorization_header
from tests.api.test_commerce import CREATE_SUBSCRIPTION, buyer, order_input

SETUP = """mutation($integration: CreateProductIntegrationInput!, $product: CreateProductInput!) {
  createProductIntegration(input: $integration) { productIntegration { id } userErrors { code } }
  createProduct(input: $product) { product { id } } }"""
CLIENT = """mutation($id: ID!) { generateProductIntegrationInboundClient(input: {id: $id}) {
  productIntegrationInboundClient { clientId clientSecret } } }"""
PUBLISH_AND_LINK = """mutation($p: ID!, $i: ID!) {
  publishProductIntegration(input: {integrationId: $i}) { productIntegration { id } }
  linkProductIntegration(input: {productId: $p, integrationId: $i}) { product { id } } }"""
EVENT_URL = """query($s: ID!) { events(subscriptionId: $s) { nodes { url document } } }"""
OAUTH1 = {"type": "OAUTH1", "consumerKey": "vendor-key", "consumerSecret": "vendor-s3cret"}


async def ordered_event(world, credentials=None) -> tuple[dict, dict, dict]:
    """An order's event (url, document), the inbound client of its integration, and ids."""
    integration = {"name": "Host", "createUrl": "https://host.example/create",
                   "cancelUrl": "https://host.example/cancel"}
    if credentials:
        integration["outboundCredentials"] = credentials
    data = await world.api.data(SETUP, {"integration": integration, "product": {
        "name": "App", "editions": [{"code": "BASIC", "name": "Basic"}]}}, world.dev_a)
    integration_id = data["createProductIntegration"]["productIntegration"]["id"]
    product_id = data["createProduct"]["product"]["id"]
    client = (await world.api.data(CLIENT, {"id": integration_id}, world.dev_a))[
        "generateProductIntegrationInboundClient"]["productIntegrationInboundClient"]
    await world.api.data(PUBLISH_AND_LINK, {"p": product_id, "i": integration_id}, world.dev_a)
    company_id, user_id = await buyer(world)
    order = await world.api.data(CREATE_SUBSCRIPTION, {"input": order_input(product_id, company_id, user_id)},
                                 world.admin)
    subscription_id = order["createSubscription"]["subscription"]["id"]
    [event] = (await world.api.data(EVENT_URL, {"s": subscription_id}, world.admin))["events"]["nodes"]
    return event, client, {"integration": integration_id, "product": product_id}


def basic(client_id: str, secret: str) -> dict:
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


async def access_token(world, client) -> str:
    response = await world.api.client.post(
        "/oauth2/token", data={"grant_type": "client_credentials", "scope": "ROLE_APPLICATION"},
        headers=basic(client["clientId"], client["clientSecret"]))
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def path_of(url: str) -> str:
    return urlsplit(url).path


async def test_token_endpoint_issues_an_expiring_bearer_token(world):
    _, client, _ = await ordered_event(world)

    response = await world.api.client.post(
        "/oauth2/token", data={"grant_type": "client_credentials", "scope": "ROLE_APPLICATION"},
        headers=basic(client["clientId"], client["clientSecret"]))

    body = response.json()
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert body["access_token"].startswith("mla_")
    assert {k: v for k, v in body.items() if k != "access_token"} == {
        "token_type": "Bearer", "expires_in": 3600, "scope": "ROLE_APPLICATION"}


async def test_token_endpoint_errors_follow_rfc_6749(world):
    _, client, _ = await ordered_event(world)
    cases = [
        (basic(client["clientId"], "wrong"), {"grant_type": "client_credentials"}, 401, "invalid_client"),
        ({}, {"grant_type": "client_credentials", "client_id": client["clientId"],
              "client_secret": client["clientSecret"]}, 200, None),
        (basic(client["clientId"], client["clientSecret"]),
         {"grant_type": "client_credentials", "client_id": client["clientId"]}, 401, "invalid_client"),
        ({}, {"grant_type": "client_credentials"}, 400, "invalid_request"),
        (basic(client["clientId"], client["clientSecret"]), {"grant_type": "password"}, 400,
         "unsupported_grant_type"),
        (basic(client["clientId"], client["clientSecret"]),
         {"grant_type": "client_credentials", "scope": "ROLE_ADMIN"}, 400, "invalid_scope"),
    ]
    results = []
    for headers, form, _, _ in cases:
        response = await world.api.client.post("/oauth2/token", data=form, headers=headers)
        results.append((response.status_code, response.json().get("error")))

    assert results == [(status, error) for _, _, status, error in cases]


async def test_host_fetches_the_event_as_xml_by_default_and_as_json_on_request(world):
    event, client, _ = await ordered_event(world)
    token = await access_token(world, client)
    auth = {"Authorization": f"Bearer {token}"}

    as_json = await world.api.client.get(path_of(event["url"]), headers=auth | {
        "Accept": "application/json; charset=utf-8"})
    as_xml = await world.api.client.get(path_of(event["url"]), headers=auth)

    assert as_json.status_code == 200 and as_json.headers["content-type"] == "application/json"
    assert as_json.json() == event["document"]
    assert as_xml.status_code == 200 and as_xml.headers["content-type"] == "application/xml"
    root = ET.fromstring(as_xml.content)
    assert root.tag == "event"
    assert root.findtext("type") == "SUBSCRIPTION_ORDER"
    assert root.findtext("payload/order/editionCode") == "BASIC"
    assert [(i.findtext("unit"), i.findtext("quantity")) for i in root.findall("payload/order/item")] == [
        ("USER", "5")]
    assert root.find("payload/account") is None  # nulls are omitted


async def test_another_integrations_client_gets_not_found(world):
    event, _, _ = await ordered_event(world)
    other = (await world.api.data(SETUP, {"integration": {"name": "Other"}, "product": {"name": "P"}},
                                  world.dev_b))["createProductIntegration"]["productIntegration"]["id"]
    other_client = (await world.api.data(CLIENT, {"id": other}, world.dev_b))[
        "generateProductIntegrationInboundClient"]["productIntegrationInboundClient"]
    token = await access_token(world, other_client)

    response = await world.api.client.get(path_of(event["url"]), headers={"Authorization": f"Bearer {token}"})

    assert (response.status_code, response.json()) == (404, {"error": "not_found", "message": "No such event."})


async def test_missing_expired_or_revoked_credentials_are_unauthorized(world):
    event, client, ids = await ordered_event(world)
    token = await access_token(world, client)
    url = path_of(event["url"])

    anonymous = await world.api.client.get(url)
    world.clock.advance(3_600_000)
    expired = await world.api.client.get(url, headers={"Authorization": f"Bearer {token}"})
    world.clock.advance(-3_600_000)
    await world.api.data("""mutation($id: ID!, $c: String!) { revokeProductIntegrationInboundClient(
        input: {id: $id, clientId: $c}) { inboundClient { revokedOn } } }""",
                         {"id": ids["integration"], "c": client["clientId"]}, world.dev_a)
    revoked = await world.api.client.get(url, headers={"Authorization": f"Bearer {token}"})

    assert [r.status_code for r in (anonymous, expired, revoked)] == [401, 401, 401]
    assert anonymous.headers["www-authenticate"] == 'Bearer realm="marketlink", OAuth realm="marketlink"'
    assert expired.json() == {"error": "unauthorized",
                              "message": "The access token is unknown, expired or revoked."}


async def test_oauth1_integration_fetches_with_a_signed_request_once(world):
    event, _, _ = await ordered_event(world, OAUTH1)
    header = authorization_header("GET", event["url"], "vendor-key", "vendor-s3cret",
                                  timestamp=world.clock.now_ms() // 1000, nonce="n0nce-1")

    first = await world.api.client.get(path_of(event["url"]), headers={
        "Authorization": header, "Accept": "application/json"})
    replayed = await world.api.client.get(path_of(event["url"]), headers={"Authorization": header})
    forged = await world.api.client.get(path_of(event["url"]), headers={"Authorization": authorization_header(
        "GET", event["url"], "vendor-key", "not-the-secret", timestamp=world.clock.now_ms() // 1000,
        nonce="n0nce-2")})

    assert (first.status_code, first.json()) == (200, event["document"])
    assert (replayed.status_code, forged.status_code) == (401, 401)
