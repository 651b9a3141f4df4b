"""The token endpoint limits failed client authentications per client id and per address
(docs: protocol/token_endpoint.py), like logins: past the limit, 429 whatever the secret."""

import asyncio

import pytest

from tests.api.test_protocol import CLIENT, PUBLISH_AND_LINK, SETUP, basic  # noqa: F401
from tests.helpers import make_world

FORM = {"grant_type": "client_credentials", "scope": "ROLE_APPLICATION"}


@pytest.fixture
async def strict(db):
    world, client = await make_world(db, token_max_failures_per_client=3, token_max_failures_per_ip=5)
    async with client:
        yield world


async def inbound_client(world) -> dict:
    data = await world.api.data(SETUP, {"integration": {
        "name": "Host", "createUrl": "https://host.example/create", "cancelUrl": "https://host.example/cancel"},
        "product": {"name": "App", "editions": [{"code": "BASIC", "name": "Basic"}]}}, world.dev_a)
    integration = data["createProductIntegration"]["productIntegration"]["id"]
    return (await world.api.data(CLIENT, {"id": integration}, world.dev_a))[
        "generateProductIntegrationInboundClient"]["productIntegrationInboundClient"]


async def token(world, client_id: str, secret: str):
    return await world.api.client.post("/oauth2/token", data=FORM, headers=basic(client_id, secret))


async def test_a_client_with_too_many_failures_is_refused_until_the_window_passes(strict):
    client, other = await inbound_client(strict), await inbound_client(strict)

    failures = [(await token(strict, client["clientId"], "wrong")).status_code for _ in range(3)]
    refused = await token(strict, client["clientId"], client["clientSecret"])
    other_ok = await token(strict, other["clientId"], other["clientSecret"])
    strict.clock.advance(900_001)
    later = await token(strict, client["clientId"], client["clientSecret"])

    assert failures == [401, 401, 401]
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "900")
    assert refused.json() == {"error": "invalid_request", "error_description":
                              "Too many failed client authentications; try again in 900 seconds."}
    assert other_ok.status_code == 200
    assert later.status_code == 200


async def test_an_address_with_too_many_failures_is_refused_for_every_client(strict):
    client = await inbound_client(strict)

    failures = [(await token(strict, f"guess-{n}", "wrong")).status_code for n in range(5)]
    refused = await token(strict, client["clientId"], client["clientSecret"])

    assert failures == [401] * 5
    assert refused.status_code == 429


async def test_a_burst_of_concurrent_requests_of_one_client_is_not_refused(strict):
    client = await inbound_client(strict)

    answers = await asyncio.gather(*[token(strict, client["clientId"], client["clientSecret"])
                                     for _ in range(30)])

    assert [a.status_code for a in answers] == [200] * 30


async def test_successes_do_not_count(strict):
    client = await inbound_client(strict)

    answers = [(await token(strict, client["clientId"], client["clientSecret"])).status_code
               for _ in range(10)]

    assert answers == [200] * 10


async def test_concurrent_guesses_cannot_overrun_the_limit(strict):
    """Guesses sent at once: no more are checked than the limit allows (3 per client), the
    rest wait for a running check and are then refused, so a burst cannot try 30 secrets."""
    client = await inbound_client(strict)

    answers = await asyncio.gather(*[token(strict, client["clientId"], f"wrong-{n}") for n in range(30)])
    after = await token(strict, client["clientId"], client["clientSecret"])

    assert sorted(a.status_code for a in answers) == [401] * 3 + [429] * 27
    assert after.status_code == 429
