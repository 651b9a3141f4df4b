"""The seed's six mutations, copied character for character from
shared/seed/create-integration-configuration.txt, run in order against a server started with
``make run``. Only ids change: each is replaced by the id an earlier answer gave."""

import json
import re
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import PG_URL
from tests.e2e.server import ROOT, RunningServer

# The seed lives in the steering repository's shared/ folder, beside this checkout; a copy is
# kept here so that a clone on its own still runs this test (test_seed_copy_is_current checks
# the copy whenever shared/ is there).
SHARED_SEED = ROOT.parent / "shared" / "seed" / "create-integration-configuration.txt"
SEED_COPY = Path(__file__).parent / "seed" / "create-integration-configuration.txt"
SEED = SHARED_SEED if SHARED_SEED.exists() else SEED_COPY
SEED_INTEGRATION_ID = "5f157a26-0238-4f3f-9c31-1f3e65b4713e"
SEED_PRODUCT_ID = "06ea7f9d-4a1b-4a00-810f-089ac43972e2"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_seed_copy_is_current():
    if SHARED_SEED.exists():
        assert SEED_COPY.read_bytes() == SHARED_SEED.read_bytes()
    else:
        assert SEED is SEED_COPY and SEED_COPY.stat().st_size > 0


def seed_steps() -> list[tuple[str, str]]:
    """(mutation text, response text) for each of the seed's steps, in order."""
    lines = SEED.read_text().splitlines()
    steps, index = [], 0
    while index < len(lines):
        if lines[index] == "Mutation":
            start = index + 1
            middle = lines.index("Response", start)
            end = next((i for i in range(middle + 1, len(lines)) if lines[i] in ("Mutation",)
                        or re.match(r"^\d\. ", lines[i]) or lines[i].startswith("Was this page")),
                       len(lines))
            steps.append(("\n".join(lines[start:middle]), "\n".join(lines[middle + 1:end])))
            index = end
        else:
            index += 1
    return steps


def expected_strings(response: str) -> dict[str, str]:
    """``"key": "value"`` pairs the seed's response shows, except ids, secrets and dates."""
    pairs = re.findall(r'"(\w+)":\s*"([^"]*)"', response)
    return {k: v for k, v in pairs if not UUID.match(v) and k not in {"clientId", "clientSecret"}}


def find_key(tree: object, key: str) -> list[object]:
    if isinstance(tree, dict):
        return ([tree[key]] if key in tree else []) + [v for x in tree.values() for v in find_key(x, key)]
    if isinstance(tree, list):
        return [v for x in tree for v in find_key(x, key)]
    return []


def seed_keys(response: str) -> set[str]:
    return set(re.findall(r'"(\w+)":', response)) - {"data"}


@pytest.fixture(params=["sqlite"] + (["postgresql"] if PG_URL else []))
def server(request: pytest.FixtureRequest, tmp_path: Path):
    database_url, drop = f"sqlite:///{tmp_path / 'marketlink.db'}", None
    if request.param == "postgresql":
        database_url, drop = _fresh_pg_database()
    running = RunningServer(tmp_path, database_url)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        if drop:
            drop()


def _fresh_pg_database():
    import asyncio

    name = f"mlseed_{uuid.uuid4().hex[:10]}"
    admin_url = PG_URL.replace("postgresql://", "postgresql+asyncpg://", 1)

    async def run(statement: str) -> None:
        engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(statement))
        await engine.dispose()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    return url, lambda: asyncio.run(run(f'DROP DATABASE "{name}" WITH (FORCE)'))


def test_seed_mutations_run_verbatim(server: RunningServer):
    steps = seed_steps()
    assert len(steps) == 6
    welcome = server.log.read_text()
    admin = re.search(r"^\s+(mlk_\S+)$", welcome, re.M).group(1)
    vendor = server.cli("vendor", "create", "Seed Vendor")
    developer = server.cli("token", "create", "--role", "DEVELOPER", "--vendor", vendor)
    client = httpx.Client(base_url=server.base_url, timeout=10)

    def call(query: str, token: str) -> dict:
        response = client.post("/graphql", json={"query": query},
                               headers={"Authorization": f"Bearer {token}"})
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        return body["data"]

    answers = []
    created_id = product_id = None
    for number, (mutation, response) in enumerate(steps, start=1):
        if number == 2:
            mutation = mutation.replace("34827", json.dumps(created_id))
        if number == 6:
            product = call('mutation { createProduct(input: {name: "Seed Product", editions: '
                           '[{code: "BASIC", name: "Basic"}]}) { product { id } } }', developer)
            product_id = product["createProduct"]["product"]["id"]
            mutation = mutation.replace(SEED_PRODUCT_ID, product_id)
        if created_id:
            mutation = mutation.replace(SEED_INTEGRATION_ID, created_id)
        data = call(mutation, developer)
        answers.append(data)
        for key in seed_keys(response):
            assert find_key(data, key) != [], f"step {number}: {key} missing in {data}"
        for key, value in expected_strings(response).items():
            assert value in [str(v) if not isinstance(v, list) else v for v in find_key(data, key)] \
                or [value] in find_key(data, key), f"step {number}: {key}={value} not in {data}"
        if number == 1:
            created_id = data["createProductIntegration"]["productIntegration"]["id"]
            assert UUID.match(created_id)

    inbound = answers[2]["generateProductIntegrationInboundClient"]["productIntegrationInboundClient"]
    assert len(inbound["clientSecret"]) >= 43 and isinstance(inbound["createdOn"], int)
    assert answers[3]["triggerProductIntegrationPingTest"]["productIntegration"] == {
        "id": created_id, "version": "WORKING", "type": "FULL_INTEGRATION"}
    snapshot = answers[4]["publishProductIntegration"]["productIntegration"]
    assert snapshot["version"] == "PUBLISHED" and snapshot["id"] != created_id
    assert answers[5]["linkProductIntegration"]["product"] == {"id": product_id, "version": "WORKING"}
    # The admin token printed by `make run` sees the result, secrets masked.
    check = call('{ productIntegration(id: "%s") { name readOnlyInConsole linkedProducts { id } '
                 'outboundCredentials { clientSecret } inboundClients { clientId } '
                 'validationErrors { path code } lastTest { status results { eventType url success } } '
                 'publishedVersions { id } } }' % created_id, admin)
    assert check["productIntegration"] == {
        "name": "Documentation Test Integration", "readOnlyInConsole": False,
        "linkedProducts": [{"id": product_id}],
        "outboundCredentials": {"clientSecret": "********"},
        "inboundClients": [{"clientId": inbound["clientId"]}],
        "validationErrors": [
            {"path": ["ssoConfiguration", "redirectUrls", "0"], "code": "INVALID_URL"},
            {"path": ["ssoConfiguration", "initiateLoginUrl"], "code": "INVALID_URL"},
            {"path": ["ssoConfiguration", "logoutUrl"], "code": "INVALID_URL"},
        ],
        "lastTest": {"status": "RUNNING", "results": [
            {"eventType": "SUBSCRIPTION_ORDER", "url": "https://example.com/notifications", "success": None}]},
        "publishedVersions": [{"id": snapshot["id"]}],
    }
