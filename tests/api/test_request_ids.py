"""Request ids: in the ``X-Request-Id`` answer header and in every log line of the request."""

import structlog
from structlog.testing import capture_logs

from tests.api.test_http_edge import auth

VIEWER = "{ viewer { role } }"


async def test_each_request_gets_an_id_in_its_header_and_its_log_lines(world):
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        first = await world.api.client.post("/graphql", json={"query": VIEWER}, headers=auth(world.admin))
        second = await world.api.client.post("/graphql", json={"query": "{ viewer {"},
                                             headers=auth(world.admin))

    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids) and ids[0] != ids[1]
    requests = [e for e in logs if e["event"] == "http.request"]
    assert [(e["request_id"], e["method"], e["path"], e["status"]) for e in requests] == [
        (ids[0], "POST", "/graphql", 200), (ids[1], "POST", "/graphql", 200)]
    [refused] = [e for e in logs if e["event"] == "graphql.request_error"]
    assert refused["request_id"] == ids[1]


async def test_a_plain_caller_id_is_kept_and_another_is_replaced(world):
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        kept = await world.api.client.get("/healthz", headers={"X-Request-Id": "lb-7f3a.01_x"})
        replaced = await world.api.client.get("/healthz", headers={"X-Request-Id": ("a b;" * 30).encode()})

    assert kept.headers["x-request-id"] == "lb-7f3a.01_x"
    assert len(replaced.headers["x-request-id"]) == 32
    assert [e["request_id"] for e in logs if e["event"] == "http.request"] == [
        "lb-7f3a.01_x", replaced.headers["x-request-id"]]


async def test_the_query_string_is_never_logged(world):
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        await world.api.client.get("/oauth2/authorize?code=secret-code&client_id=x")

    [line] = [e for e in logs if e["event"] == "http.request"]
    assert line["path"] == "/oauth2/authorize"
    assert "secret-code" not in repr(logs)
