"""``GET /healthz``: the process answers (liveness). ``GET /readyz``: it can serve, i.e. the
database answers within ``READY_TIMEOUT_S`` and its schema is the one this code expects
(readiness: a load balancer stops sending requests while it is 503)."""

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse

from marketlink.storage.database import Database
from marketlink.storage.migrate import current_revision, head_revision

READY_TIMEOUT_S = 2.0
NO_STORE = {"Cache-Control": "no-store"}


async def healthz(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


def readyz(db: Database):  # type: ignore[no-untyped-def]
    head = head_revision()

    async def ready(_: Request) -> JSONResponse:
        try:
            current = await asyncio.wait_for(current_revision(db), READY_TIMEOUT_S)
        except Exception:  # noqa: BLE001 - any failure to reach the database means "not ready"
            return JSONResponse({"status": "unavailable", "database": "unreachable"},
                                status_code=503, headers=NO_STORE)
        if current != head:
            return JSONResponse({"status": "unavailable", "database": "schema is not current",
                                 "schema": current, "expected": head},
                                status_code=503, headers=NO_STORE)
        return JSONResponse({"status": "ok", "schema": current}, headers=NO_STORE)

    return ready
