"""The HTTP edge of /graphql (SPEC §2 "Limits"): body size, malformed requests, query limits,
GET, introspection and bearer authentication. Every refusal is a GraphQL-shaped JSON body."""

import base64
import json

import pytest

from tests.helpers import dump_tables, make_world

VIEWER = "{ viewer { role vendorId } }"
JSON = {"content-type": "application/json"}
# max_body_bytes has a floor of 1024; the others are as small as a readable test allows.
LIMITS = {"max_body_bytes": 1024, "max_query_depth": 3, "max_aliases": 2, "max_tokens": 100}


@pytest.fixture
async def limited(db):
    """A world whose request limits are small enough to reach in a test."""
    world, client = await make_world(db, **LIMITS)
    async with client:
        yield world


def auth(token: str, scheme: str = "Bearer") -> dict[str, str]:
    return {"Authorization": f"{scheme} {token}"}


def padded_body(query: str, size: int) -> bytes:
    """A valid JSON request body of exactly ``size`` bytes (padded with spaces)."""
    body = json.dumps({"query": query}).encode()
    return body + b" " * (size - len(body))


async def chunks(body: bytes, size: int = 256):
    """The body as an async iterator: httpx sends it chunked, without Content-Length."""
    for start in range(0, len(body), size):
        yield body[start:start + size]


TOO_LARGE = {"errors": [{"message": "The request body is larger than 1024 bytes.",
                         "extensions": {"code": "REQUEST_TOO_LARGE"}}]}
UNAUTHENTICATED = {"errors": [{
    "message": "Authentication required: send Authorization: Bearer <API token>.",
    "extensions": {"code": "UNAUTHENTICATED"}}]}
UNKNOWN_TOKEN = {"errors": [{"message": "The API token is unknown or revoked.",
                             "extensions": {"code": "UNAUTHENTICATED"}}]}


# --- request body size -----------------------------------------------------------------------

async def test_body_over_limit_with_content_length_is_413(limited):
    body = padded_body(VIEWER, 1025)

    response = await limited.api.client.post("/graphql", content=body, headers=JSON | auth(limited.admin))

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    assert response.json() == TOO_LARGE


async def test_chunked_body_over_limit_is_413(limited):
    body = padded_body(VIEWER, 1025)

    response = await limited.api.client.post("/graphql", content=chunks(body),
                                             headers=JSON | auth(limited.admin))

    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json() == TOO_LARGE


async def test_body_of_exactly_the_limit_is_served(limited):
    body = padded_body(VIEWER, 1024)

    response = await limited.api.client.post("/graphql", content=body, headers=JSON | auth(limited.admin))

    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"role": "ADMIN", "vendorId": None}}}


async def test_chunked_body_of_exactly_the_limit_is_served(limited):
    body = padded_body(VIEWER, 1024)

    response = await limited.api.client.post("/graphql", content=chunks(body),
                                             headers=JSON | auth(limited.admin))

    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"role": "ADMIN", "vendorId": None}}}


async def test_oversized_body_is_refused_before_authentication(limited):
    response = await limited.api.client.post("/graphql", content=padded_body(VIEWER, 5000), headers=JSON)

    assert response.status_code == 413
    assert response.json() == TOO_LARGE


async def test_oversized_mutation_writes_nothing(limited):
    before = await dump_tables(limited.db)
    query = 'mutation { createProduct(input: {name: "%s"}) { userErrors { code } } }' % ("x" * 2000)

    response = await limited.api.post(query, token=limited.admin)

    assert response.status_code == 413
    assert await dump_tables(limited.db) == before


# --- malformed requests ----------------------------------------------------------------------

async def test_malformed_json_is_400_with_a_graphql_error(world):
    response = await world.api.client.post("/graphql", content=b'{"query": "{ viewer', headers=JSON | auth(world.admin))

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"errors": [{"message": "Unable to parse request body as JSON",
                                           "extensions": {"code": "BAD_REQUEST"}}]}


async def test_graphql_syntax_error_is_200_for_json_clients_without_data(world):
    response = await world.api.post("{ viewer {", token=world.admin)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"errors": [{
        "message": "Syntax Error: Expected Name, found <EOF>.",
        "locations": [{"line": 1, "column": 11}]}]}


async def test_unknown_field_is_a_validation_error_without_data(world):
    response = await world.api.post("{ viewer { role } secrets }", token=world.admin)

    assert response.status_code == 200
    assert response.json() == {"errors": [{
        "message": "Cannot query field 'secrets' on type 'Query'.",
        "locations": [{"line": 1, "column": 19}]}]}


@pytest.mark.parametrize("body", [b"null", b"5", b'"{ viewer { role } }"', b"true"])
async def test_json_body_that_is_not_an_object_is_400(world, body):
    response = await world.api.client.post("/graphql", content=body, headers=JSON | auth(world.admin))

    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "The request body must be a JSON object",
                                           "extensions": {"code": "BAD_REQUEST"}}]}


async def test_body_that_is_not_json_content_is_400(world):
    response = await world.api.client.post("/graphql", content=b"query=" + VIEWER.encode(),
                                           headers={"content-type": "text/plain"} | auth(world.admin))

    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "Unsupported content type",
                                           "extensions": {"code": "BAD_REQUEST"}}]}


async def test_batched_request_is_400(world):
    response = await world.api.client.post("/graphql", json=[{"query": VIEWER}, {"query": VIEWER}],
                                           headers=auth(world.admin))

    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "Batching is not enabled",
                                           "extensions": {"code": "BAD_REQUEST"}}]}


# --- GraphQL over HTTP: application/graphql-response+json -------------------------------------

GRAPHQL_RESPONSE = {"accept": "application/graphql-response+json"}


@pytest.mark.parametrize("query, message", [
    ("{ viewer {", "Syntax Error: Expected Name, found <EOF>."),
    ("{ viewer { role } secrets }", "Cannot query field 'secrets' on type 'Query'."),
])
async def test_a_request_error_is_400_without_data_for_graphql_response_clients(world, query, message):
    response = await world.api.client.post("/graphql", json={"query": query},
                                           headers=GRAPHQL_RESPONSE | auth(world.admin))

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/graphql-response+json; charset=utf-8"
    assert [e["message"] for e in response.json()["errors"]] == [message]
    assert "data" not in response.json()


async def test_variables_that_do_not_coerce_are_400_for_graphql_response_clients(world):
    query = "query($id: ID!) { product(id: $id) { id } }"
    response = await world.api.client.post("/graphql", json={"query": query, "variables": {"id": None}},
                                           headers=GRAPHQL_RESPONSE | auth(world.admin))

    assert response.status_code == 400
    assert response.json() == {"errors": [{
        "message": "Variable '$id' has invalid value: Expected value of non-null type 'ID!' not to be None.",
        "locations": [{"line": 1, "column": 7}]}]}


async def test_a_valid_request_is_200_in_the_media_type_asked_for(world):
    response = await world.api.client.post("/graphql", json={"query": VIEWER},
                                           headers={"accept": "application/json;q=0.9, "
                                                    "Application/GraphQL-Response+JSON"} | auth(world.admin))

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/graphql-response+json; charset=utf-8"
    assert response.json() == {"data": {"viewer": {"role": "ADMIN", "vendorId": None}}}


# --- query limits ----------------------------------------------------------------------------

DEPTH_3 = "query Deep { product(id: \"1\") { integration { linkedProducts { id } } } }"
DEPTH_4 = "query Deep { product(id: \"1\") { integration { linkedProducts { integration { id } } } } }"


async def test_query_at_max_depth_is_served(limited):
    response = await limited.api.post(DEPTH_3, token=limited.admin)

    assert response.status_code == 200
    assert response.json() == {"data": {"product": None}}


async def test_query_deeper_than_max_depth_is_refused(limited):
    response = await limited.api.post(DEPTH_4, token=limited.admin)

    assert response.status_code == 200
    assert "data" not in response.json()
    assert [e["message"] for e in response.json()["errors"]] == [
        "'Deep' exceeds maximum operation depth of 3"]


async def test_aliases_up_to_the_limit_are_served(limited):
    response = await limited.api.post("{ a: viewer { role } b: viewer { role } }", token=limited.admin)

    assert response.status_code == 200
    assert response.json() == {"data": {"a": {"role": "ADMIN"}, "b": {"role": "ADMIN"}}}


async def test_more_aliases_than_allowed_are_refused(limited):
    query = "{ a: viewer { role } b: viewer { role } c: viewer { role } }"

    response = await limited.api.post(query, token=limited.admin)

    assert response.status_code == 200
    assert response.json() == {"errors": [{"message": "3 aliases found. Allowed: 2"}]}


async def test_more_tokens_than_allowed_are_refused(limited):
    query = "{ " + " ".join(["viewer { role }"] * 30) + " }"  # 2 + 30 * 4 = 122 tokens

    response = await limited.api.post(query, token=limited.admin)

    assert response.status_code == 200
    assert response.json() == {"errors": [{
        "message": "Syntax Error: Document contains more than 100 tokens. Parsing aborted.",
        "locations": [{"line": 1, "column": 401}]}]}


async def test_tokens_up_to_the_limit_are_served(limited):
    query = "{ " + " ".join(["viewer { role }"] * 24) + " }"  # 2 + 24 * 4 = 98 tokens

    response = await limited.api.post(query, token=limited.admin)

    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"role": "ADMIN"}}}


# --- GET -------------------------------------------------------------------------------------

async def test_query_via_get_with_a_token_works(world):
    response = await world.api.client.get("/graphql", params={"query": VIEWER}, headers=auth(world.dev_a))

    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"role": "DEVELOPER", "vendorId": world.vendor_a}}}


async def test_query_via_get_without_a_token_is_401(world):
    response = await world.api.client.get("/graphql", params={"query": VIEWER})

    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


async def test_mutation_via_get_is_refused_and_writes_nothing(world):
    before = await dump_tables(world.db)
    mutation = 'mutation { createProduct(input: {name: "Via GET"}) { product { id } } }'

    response = await world.api.client.get("/graphql", params={"query": mutation}, headers=auth(world.dev_a))

    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "mutations are not allowed when using GET",
                                           "extensions": {"code": "BAD_REQUEST"}}]}
    assert await dump_tables(world.db) == before


# --- introspection ---------------------------------------------------------------------------

INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_introspection_is_on_by_default(world):
    data = await world.api.data(INTROSPECTION, token=world.admin)

    assert data == {"__schema": {"queryType": {"name": "Query"}}}


async def test_introspection_can_be_disabled(db):
    world, client = await make_world(db, introspection=False)
    async with client:
        response = await world.api.post("{ __type(name: \"Query\") { name } }", token=world.admin)

    assert response.status_code == 200
    assert response.json() == {"errors": [{
        "message": "GraphQL introspection has been disabled, but the requested query contained "
                   "the field '__type'.",
        "locations": [{"line": 1, "column": 3}]}]}


async def test_disabled_introspection_still_serves_queries(db):
    world, client = await make_world(db, introspection=False)
    async with client:
        data = await world.api.data(VIEWER, token=world.admin)

    assert data == {"viewer": {"role": "ADMIN", "vendorId": None}}


# --- bearer authentication -------------------------------------------------------------------

@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "bEaReR"])
async def test_bearer_scheme_is_case_insensitive(world, scheme):
    response = await world.api.client.post("/graphql", json={"query": VIEWER},
                                           headers=auth(world.dev_a, scheme))

    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"role": "DEVELOPER", "vendorId": world.vendor_a}}}


async def test_unknown_token_is_401_with_a_challenge(world):
    response = await world.api.post(VIEWER, token="mlk_" + "A" * 43)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="marketlink"'
    assert response.json() == UNKNOWN_TOKEN


async def test_other_auth_scheme_counts_as_no_token(world):
    response = await world.api.client.post("/graphql", json={"query": VIEWER},
                                           headers=auth(world.admin, "Basic"))

    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


# --- nothing leaks -------------------------------------------------------------------------

def cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode()


@pytest.mark.parametrize("raw", [
    '[1e400, "00000000-0000-4000-8000-000000000000"]',
    '[99999999999999999999999, "00000000-0000-4000-8000-000000000000"]',
    '[1, "\\u0000"]',
    '[1, null]',
    '"just text"',
])
async def test_forged_cursor_is_a_query_error_not_an_internal_error(world, raw):
    response = await world.api.post("query($a: String) { products(after: $a) { totalCount } }",
                                    {"a": cursor(raw)}, world.admin)

    assert response.status_code == 200
    assert response.json()["errors"] == [{"message": "after is not a cursor returned by this API.",
                                          "locations": [{"line": 1, "column": 21}],
                                          "path": ["products"]}]


ODD_REQUESTS = [
    ("POST", {"content": b"\xff\xfe\x00garbage"}),
    ("POST", {"content": b"null"}),
    ("POST", {"content": b'{"query": 5}'}),
    ("POST", {"content": b'{"query": "{ viewer { role } }", "variables": "nope"}'}),
    ("POST", {"content": b'{"query": "query($i: ID!) { product(id: $i) { id } }", "variables": {"i": {"a": 1}}}'}),
    ("POST", {"content": b'{"query": "{ viewer { role } }", "operationName": "Missing"}'}),
    ("POST", {"content": b'{"query": "{ productIntegrations(first: 99999999999) { totalCount } }"}'}),
    ("POST", {"content": b'{"query": "{ productIntegrations(first: 0) { totalCount } }"}'}),
    ("GET", {"params": {"query": "{ viewer { role } }", "variables": "{bad"}}),
    ("GET", {"params": {}}),
]


@pytest.mark.parametrize("method,kwargs", ODD_REQUESTS)
async def test_odd_requests_never_get_a_traceback_or_a_500(world, method, kwargs):
    headers = JSON | auth(world.admin)

    response = await world.api.client.request(method, "/graphql", headers=headers, **kwargs)

    assert response.status_code < 500
    assert "Traceback" not in response.text
    assert response.headers["content-type"] == "application/json"
    assert "errors" in response.json()
