"""``GET /healthz``: the process answers (liveness). ``GET /readyz``: it can serve, i.e. the
database answers within ``READY_TIMEOUT_S`` and its schema is the one this code expects
(readiness: a load balancer stops sending requests while it is 503). ``GET /metrics``:
Prometheus (``marketlink/metrics.py``)."""

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from marketlink.domain.services import Services
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


def metrics_page(db: Database, services: Services):  # type: ignore[no-untyped-def]
    """``GET /metrics``: this process's Prometheus metrics and the queue read now."""

    async def page(_: Request) -> Response:
        async with db.read() as conn:
            body, media_type = await services.metrics.page(conn, services.clock.now_ms())
        return Response(body, media_type=media_type, headers=NO_STORE)

    return page
