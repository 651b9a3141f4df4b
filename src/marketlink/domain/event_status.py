"""SUBSCRIPTION_STATUS (SPEC §3 event table): tells the product host that an event it left
PENDING (it answered 202) was resolved without it: the pending timeout ran out, or an
administrator resolved it by hand. The event goes to the integration's ``eventStatusUrl`` in
the subscription's order of events, like any other; an integration without that URL records
it as not sent.

Its document has the fixtures' shape (there is no fixture of this type): ``payload.account``
with the subscription's status after the resolution, ``payload.notice`` saying what happened
(``type`` PENDING_TIMEOUT or RESOLVED_BY_MARKETPLACE, ``message`` naming the event and its
result), ``payload.user`` copied from the resolved event when it had one (user assignments),
and a link ``{rel: "event", href}`` to the resolved event, which the host may fetch as usual.
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.delivery.url_templates import event_url
from marketlink.domain import event_documents as docs
from marketlink.domain.services import Services
from marketlink.domain.subscriptions import queue_subscription_event
from marketlink.storage import commerce as store

TIMED_OUT = "PENDING_TIMEOUT"
RESOLVED_BY_MARKETPLACE = "RESOLVED_BY_MARKETPLACE"
EVENT_TYPE = "SUBSCRIPTION_STATUS"


def notice_message(event: Mapping[str, Any], result: Mapping[str, Any]) -> str:
    """What became of the event, for people reading the host's logs (pure)."""
    outcome = "SUCCEEDED" if result["result_success"] else f"FAILED ({result['result_error_code']})"
    text = f"The {event['type']} event {event['id']} was resolved as {outcome}"
    return f"{text}: {result['result_message']}" if result.get("result_message") else f"{text}."


async def queue_status_event(
    conn: AsyncConnection, services: Services, event: Mapping[str, Any], result: Mapping[str, Any],
    how: str,
) -> bool:
    """Queue the SUBSCRIPTION_STATUS of ``event`` (as it was while PENDING), now resolved as
    ``result`` says; False (nothing queued) for events of no subscription, test events, and
    status events themselves (no status of a status)."""
    if not event["subscription_id"] or event["flag"] == "STATELESS" or event["type"] == EVENT_TYPE:
        return False
    row = await store.by_id(conn, store.subscriptions, event["subscription_id"])
    payload: dict[str, Any] = {"account": docs.account(row["account_identifier"], row["status"]),
                               "notice": {"type": how, "message": notice_message(event, result)}}
    if user := (event["document"].get("payload") or {}).get("user"):
        payload["user"] = user
    links = [{"rel": "event", "href": event_url(services.settings.base_url, event["token"])}]
    await queue_subscription_event(conn, services, row, EVENT_TYPE, payload, with_creator=False,
                                   assignment_id=None, links=links)
    return True
