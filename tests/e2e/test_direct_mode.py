"""DIRECT delivery: the worker POSTs the event document with Standard Webhooks headers; the
host checks the signature with its secret (verified here independently of our signer)."""

import base64
import hashlib
import hmac
import json

from aiohttp import web

from tests.e2e.test_delivery import GQL, Call, order_through, system  # noqa: F401 (fixture)
from tests.e2e.test_delivery import Host

ROTATE = """mutation($id: ID!, $grace: Int) { rotateProductIntegrationWebhookSecret(input: {id: $id,
  previousValidForSeconds: $grace}) { webhookSecret { secret createdOn } userErrors { message } } }"""
DIRECT = """mutation($id: ID!) { updateProductIntegration(input: {id: $id, deliveryMode: DIRECT}) {
  productIntegration { deliveryMode } } }"""


def verifies(secret: str, headers, body: bytes) -> list[bool]:
    """Each v1 signature of the header, checked against ``secret`` (Standard Webhooks)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return [part.split(",", 1)[1] == expected for part in headers["webhook-signature"].split(" ")]


class DirectHost(Host):
    async def notification(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.notifications.append({"method": request.method, "headers": dict(request.headers),
                                   "body": body})
        status, answer = self.answers.pop(0)
        return web.json_response(answer, status=status)


async def direct_order(system, host, rotations):  # noqa: F811
    """Set the integration to DIRECT (before publishing) and rotate its secret as asked."""
    app, _, start_host, worker = system
    web_app = web.Application()
    web_app.router.add_post("/create", host.notification)
    host.url = await start_host.app(web_app)
    host.marketlink = start_host.marketlink
    secrets: list[str] = []

    async def before_publish(call: Call, integration_id: str, developer: str) -> None:
        await call(DIRECT, {"id": integration_id}, developer)
        for grace in rotations:
            data = await call(ROTATE, {"id": integration_id, "grace": grace}, developer)
            secrets.append(data["rotateProductIntegrationWebhookSecret"]["webhookSecret"]["secret"])

    subscription_id, call = await order_through(app, host, before_publish=before_publish)
    await worker.run_until_idle()
    return subscription_id, call, secrets


async def test_the_document_is_posted_signed_and_its_answer_applied(system):  # noqa: F811
    host = DirectHost(answers=[(200, {"success": True, "accountIdentifier": "direct-1"})])
    subscription_id, call, [secret] = await direct_order(system, host, [None])

    state = await call.state(subscription_id)
    [sent] = host.notifications

    assert sent["method"] == "POST" and sent["headers"]["Content-Type"] == "application/json"
    assert json.loads(sent["body"]) == state["events"][0]["document"]
    assert verifies(secret, sent["headers"], sent["body"]) == [True]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert (state["status"], state["accountIdentifier"]) == ("ACTIVE", "direct-1")


async def test_during_a_rotation_both_secrets_sign(system):  # noqa: F811
    host = DirectHost(answers=[(200, {"success": True, "accountIdentifier": "direct-2"})])
    _, _, [old, new] = await direct_order(system, host, [None, 3600])

    [sent] = host.notifications

    assert verifies(new, sent["headers"], sent["body"]) == [True, False]
    assert verifies(old, sent["headers"], sent["body"]) == [False, True]
