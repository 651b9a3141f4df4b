"""Ping tests for real (SPEC §4): stateless test events go through the same delivery path;
a URL passes when it answers 200 or 202, and lastTest fills in as answers arrive."""

from aiohttp import web

from marketlink.domain.actors import Role
from marketlink.domain.vendors import create_token, create_vendor
from tests.e2e.test_delivery import Call, system  # noqa: F401 (fixture)
from tests.helpers import START_MS

CREATE = """mutation($input: CreateProductIntegrationInput!) { createProductIntegration(input: $input) {
  productIntegration { id } } }"""
TRIGGER = """mutation($id: ID!) { triggerProductIntegrationPingTest(input: {id: $id, version: WORKING}) {
  productIntegration { lastTest { status } } userErrors { message } } }"""
LAST_TEST = """query($id: ID!) { productIntegration(id: $id) { lastTest { status completedOn
  results { eventType success httpStatus errorCode message } } } }"""


async def ping_host(start_host_app, answers: dict[str, int]) -> tuple[str, list[dict]]:
    seen: list[dict] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append({"path": request.path, "event_url": request.query.get("eventUrl")})
        status = answers[request.path]
        return web.json_response({"success": True}, status=status) if status != 202 else web.Response(status=202)

    web_app = web.Application()
    for path in answers:
        web_app.router.add_get(path, answer)
    return await start_host_app(web_app), seen


async def developer(app) -> str:
    services = app.state.services
    async with app.state.db.write() as conn:
        vendor = await create_vendor(conn, services, "Vendor")
        return await create_token(conn, services, Role.DEVELOPER, vendor, "dev")


async def run_ping(system, answers):  # noqa: F811
    app, clock, start_host, worker = system
    base, seen = await ping_host(start_host.app, answers)
    token = await developer(app)
    call = Call(start_host.marketlink)
    urls = {"createUrl": "/create", "cancelUrl": "/cancel", "notifyUrl": "/notify"}
    integration = (await call(CREATE, {"input": {"name": "Pinged", **{
        field: base + path + "?eventUrl={eventUrl}" for field, path in urls.items() if path in answers}}},
        token))["createProductIntegration"]["productIntegration"]["id"]
    clock.advance(50)
    started = await call(TRIGGER, {"id": integration}, token)
    await worker.run_until_idle()
    return started, (await call(LAST_TEST, {"id": integration}, token))["productIntegration"]["lastTest"], seen


async def test_each_url_is_pinged_and_its_answer_recorded(system):  # noqa: F811
    started, last, seen = await run_ping(system, {"/create": 200, "/cancel": 500, "/notify": 202})

    assert started["triggerProductIntegrationPingTest"] == {
        "productIntegration": {"lastTest": {"status": "RUNNING"}}, "userErrors": []}
    assert sorted(s["path"] for s in seen) == ["/cancel", "/create", "/notify"]
    assert last == {"status": "FAILED", "completedOn": START_MS + 50, "results": [
        {"eventType": "SUBSCRIPTION_ORDER", "success": True, "httpStatus": 200, "errorCode": None,
         "message": None},
        {"eventType": "SUBSCRIPTION_CANCEL", "success": False, "httpStatus": 500,
         "errorCode": "TRANSPORT_ERROR", "message": "HTTP 500"},
        {"eventType": "SUBSCRIPTION_NOTICE", "success": True, "httpStatus": 202, "errorCode": None,
         "message": None},
    ]}


async def test_a_run_where_every_url_answers_passes(system):  # noqa: F811
    _, last, seen = await run_ping(system, {"/create": 200, "/cancel": 200})

    assert last["status"] == "PASSED"
    assert [r["success"] for r in last["results"]] == [True, True]
    assert all(s["event_url"].startswith("http://127.0.0.1:") for s in seen)
