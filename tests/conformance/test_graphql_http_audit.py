"""GraphQL over HTTP conformance: the official audit suite of the npm package ``graphql-http``
(``auditServer``: 61 audits of MUST and SHOULD rules) against MarketLink served by uvicorn on a
loopback port, on SQLite and PostgreSQL. Every audit must be "ok": no error, no warning.

Needs Node.js and npm (``npm ci`` here installs the pinned suite on first run); without them the
test is skipped and says so."""

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest

from marketlink.domain.actors import Role
from marketlink.domain.vendors import create_token
from tests.e2e.test_delivery import running_system

HERE = Path(__file__).parent
NODE, NPM = shutil.which("node"), shutil.which("npm")
pytestmark = pytest.mark.skipif(not (NODE and NPM), reason="GraphQL over HTTP audit skipped: "
                                "Node.js and npm are not installed")


def installed_suite() -> None:
    if not (HERE / "node_modules" / "graphql-http").exists():
        subprocess.run([NPM, "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True,
                       capture_output=True, timeout=300)


async def test_every_graphql_over_http_audit_passes(db):
    await asyncio.to_thread(installed_suite)
    async with running_system(db) as (app, _, start_host, _):
        async with app.state.db.write() as conn:
            token = await create_token(conn, app.state.services, Role.ADMIN, None, "audit")
        done = await asyncio.create_subprocess_exec(
            NODE, str(HERE / "graphql_http_audit.mjs"), start_host.marketlink + "/graphql", token,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        output, _ = await asyncio.wait_for(done.communicate(), 120)

    lines = output.decode().splitlines()
    assert [line for line in lines if not line.startswith("ok ")] == ["61 audits, 61 ok, 0 not ok"]
    assert done.returncode == 0
