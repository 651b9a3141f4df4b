"""Test helpers: an API client on the real ASGI app, a small world of callers, and a dump of
every table to prove that a refused mutation wrote nothing."""

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select

from marketlink.app import create_app
from marketlink.clock import FrozenClock
from marketlink.config import Settings
from marketlink.domain.actors import Role
from marketlink.domain.services import Services
from marketlink.domain.vendors import create_token, create_vendor
from marketlink.storage.database import Database
from marketlink.storage.tables import metadata

TEST_SECRET_KEY = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXk"  # 33 bytes, tests only
START_MS = 1_764_000_000_000


def settings_for(db_url: str, **overrides: Any) -> Settings:
    return Settings(database_url=db_url, secret_key=TEST_SECRET_KEY, **overrides)


class Api:
    """GraphQL calls through the real ASGI app."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def post(self, query: str, variables: dict | None = None, token: str | None = None,
                   **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = {"query": query, **({"variables": variables} if variables is not None else {})}
        return await self.client.post("/graphql", json=body, headers=headers, **kwargs)

    async def data(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        """The ``data`` of a call that must succeed without top-level errors."""
        response = await self.post(query, variables, token)
        body = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body, body["errors"]
        return body["data"]


@dataclass
class World:
    """Two vendors, a developer token for each, and an admin token."""

    api: Api
    db: Database
    clock: FrozenClock
    settings: Settings
    vendor_a: str
    vendor_b: str
    admin: str
    dev_a: str
    dev_b: str
    services: Services


async def make_world(db: Database, **settings_overrides: Any) -> tuple[World, httpx.AsyncClient]:
    settings = settings_for(db.url, **settings_overrides)
    clock = FrozenClock(START_MS)
    app = create_app(settings, clock=clock, db=db)
    services = app.state.services
    async with db.write() as conn:
        vendor_a = await create_vendor(conn, services, "Vendor A")
        vendor_b = await create_vendor(conn, services, "Vendor B")
        admin = await create_token(conn, services, Role.ADMIN, None, "admin")
        dev_a = await create_token(conn, services, Role.DEVELOPER, vendor_a, "dev a")
        dev_b = await create_token(conn, services, Role.DEVELOPER, vendor_b, "dev b")
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://marketlink.test")
    world = World(Api(client), db, clock, settings, vendor_a, vendor_b, admin, dev_a, dev_b, services)
    return world, client


async def dump_tables(db: Database) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: equal before and after means nothing was written."""
    dump = {}
    async with db.read() as conn:
        for table in metadata.sorted_tables:
            rows = (await conn.execute(select(table))).all()
            dump[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return dump
