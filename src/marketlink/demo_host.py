"""A small product host for the demo (``make run``), written as a vendor would write one:
it takes the notification, gets a token with its inbound client, fetches the event, and
answers success (with an accountIdentifier for orders, a userIdentifier for assignments).

Served in the same process under ``/demo/product-host/`` when ``MARKETLINK_DEMO_HOST`` is set;
its inbound client's credentials are in ``<data dir>/demo-host.json``, written by
``marketlink demo``. Not for production use.
"""

import json
import re
from pathlib import Path
from typing import Any

import aiohttp
from starlette.requests import Request
from starlette.responses import JSONResponse

from marketlink.config import Settings
from marketlink.delivery.url_templates import EVENTS_PATH

CREDENTIALS_FILE = "demo-host.json"
_EVENT_TOKEN = re.compile(r"[A-Za-z0-9]{1,64}")


def demo_host_endpoint(settings: Settings):  # type: ignore[no-untyped-def]
    credentials_path = Path(settings.data_dir) / CREDENTIALS_FILE
    events_prefix = settings.base_url.removesuffix("/") + EVENTS_PATH

    async def endpoint(request: Request) -> JSONResponse:
        event_url = request.query_params.get("eventUrl")
        if not _is_our_event_url(event_url, events_prefix) or not credentials_path.exists():
            return JSONResponse({"success": False, "errorCode": "CONFIGURATION_ERROR",
                                 "message": "no eventUrl, or the demo host has no credentials"})
        credentials = json.loads(credentials_path.read_text())
        event = await _fetch(settings.base_url, credentials, event_url)
        return JSONResponse(_answer(event))

    return endpoint


def _is_our_event_url(url: str | None, events_prefix: str) -> bool:
    """Anyone can call this endpoint, and the fetch carries the demo client's bearer token:
    only this service's event URLs are fetched, never a URL of the caller's choosing."""
    return url is not None and url.startswith(events_prefix) \
        and _EVENT_TOKEN.fullmatch(url[len(events_prefix):]) is not None


async def _fetch(base_url: str, credentials: dict[str, str], event_url: str) -> dict[str, Any]:
    auth = aiohttp.BasicAuth(credentials["clientId"], credentials["clientSecret"])
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.post(f"{base_url}/oauth2/token", headers={"Authorization": auth.encode()},
                                data={"grant_type": "client_credentials", "scope": "ROLE_APPLICATION"}) as answer:
            token = (await answer.json())["access_token"]
        async with session.get(event_url, headers={"Authorization": f"Bearer {token}",
                                                   "Accept": "application/json"}) as answer:
            return await answer.json()


def _answer(event: dict[str, Any]) -> dict[str, Any]:
    if event.get("flag") == "STATELESS":
        return {"success": True, "message": "ping received"}
    payload = event.get("payload") or {}
    if event.get("type") == "SUBSCRIPTION_ORDER":
        company = payload.get("company") or {}
        return {"success": True, "accountIdentifier": "demo-" + str(company.get("uuid", ""))[:8]}
    if event.get("type") == "USER_ASSIGNMENT":
        return {"success": True, "userIdentifier": (payload.get("user") or {}).get("email")}
    return {"success": True}
