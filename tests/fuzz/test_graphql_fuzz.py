"""Fuzzing the GraphQL API (issue 6): schemathesis, in GraphQL mode, sends queries and mutations
for every root field to MarketLink served by uvicorn on a loopback port, once as the demo
vendor's developer and once as an administrator, on SQLite and on PostgreSQL.

Every answer must be:
- never a 5xx, and never a masked resolver failure ("Internal server error.");
- GraphQL over HTTP: a JSON object with ``data`` and/or ``errors``, in the media type asked for
  (the developer asks for ``application/graphql-response+json``, where a request error is a 400;
  the admin for ``application/json``, where everything is a 200), see docs/adr/0005;
- free of internal text: tracebacks, exception class names, driver names, SQL;
- what schemathesis's ``response_schema_conformance`` and ``negative_data_rejection`` accept.
  (Its ``not_a_server_error`` is not used as is: for GraphQL it counts any error with a
  ``path`` as a server failure, and that is how this API reports a query argument out of range,
  ``QueryInputError``. The masked-error check above is what finds a failing resolver.)

And the database must not change after a query, nor after a mutation the server rejected
(top-level ``errors``, or ``userErrors`` in its payload, which every mutation here is made to
select): every table is dumped after every request and compared with the dump before it.

CI runs a few examples per operation with a fixed seed (about 40 s on both databases);
``MARKETLINK_FUZZ_LONG=1`` runs many more, by hand (an hour or so):

    MARKETLINK_FUZZ_LONG=1 .venv/bin/python -m pytest -q tests/fuzz/test_graphql_fuzz.py

``MARKETLINK_FUZZ_SEED`` picks the seed (the long run draws one otherwise). The summary at the
end of the run gives the seed, and per backend and actor the requests sent, the mutations the
server carried out and the operations covered. No hypothesis database is written.
"""

import json
import os
import random
import re
from dataclasses import replace
from typing import Any

import graphql
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis import Case, GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import negative_data_rejection, response_schema_conformance

from marketlink.api.schema import build_schema
from marketlink.api.view import GRAPHQL_RESPONSE
from tests.fuzz.conftest import CARRIED_OUT, COVERED, NOTES, REQUESTS, GraphQLServer

LONG = os.environ.get("MARKETLINK_FUZZ_LONG") == "1"
EXAMPLES = {GenerationMode.POSITIVE: 200, GenerationMode.NEGATIVE: 50} if LONG else \
    {GenerationMode.POSITIVE: 4, GenerationMode.NEGATIVE: 1}
SEED = int(os.environ.get("MARKETLINK_FUZZ_SEED") or (random.randrange(2**32) if LONG else 0))
ACCEPT = {"developer": GRAPHQL_RESPONSE, "admin": "application/json"}
TOP_LEVEL_KEYS = {"data", "errors", "extensions"}
MASKED = "Internal server error."
INTERNAL_TEXT = re.compile(
    r'Traceback|File "|\b(sqlalchemy|asyncpg|aiosqlite|sqlite3|psycopg2?|strawberry)\b'
    r"|\b(Key|Type|Value|Attribute|Index|Lookup|Assertion|Runtime|Integrity|Operational|Programming"
    r"|Data|Database|UnboundLocal|ZeroDivision|Recursion|NotImplemented|Overflow|Unicode\w*)Error\b"
    r"|\bException\b|NoneType|object has no attribute|invalid literal for|unhashable type"
    r"|positional argument|unexpected keyword argument"
    r"|\b(SELECT\s.+\sFROM|INSERT INTO|DELETE FROM|UPDATE\s\S+\sSET)\b")

# Schemathesis dictionaries (positive cases only). An argument below takes, four times in five,
# one of the values of its kind (``*`` is any type or field): a seeded id of that kind, or one of
# ``FIXED_VALUES``; so mutations reach real objects and get past their checks. Any other String
# is, half of the time, one of ``PLAUSIBLE_TEXT`` (event URLs, a private address, a name).
BINDINGS = {
    "integrations": ["*.*.integrationId", "*.*.input.integrationId", "*.*.input.integrationConfigurationId",
                     "Query.productIntegration.id"] + [f"Mutation.{name}.input.id" for name in (
                         "updateProductIntegration", "generateProductIntegrationInboundClient",
                         "revokeProductIntegrationInboundClient", "rotateProductIntegrationWebhookSecret",
                         "triggerProductIntegrationPingTest")],
    "products": ["*.*.productId", "*.*.input.productId", "Query.product.id", "Mutation.updateProduct.input.id"],
    "companies": ["*.*.companyId", "*.*.input.companyId", "Query.company.id"],
    "users": ["*.*.input.userId", "*.*.input.creatorId", "Query.user.id", "Mutation.updateUser.input.id"],
    "subscriptions": ["*.*.subscriptionId", "*.*.input.subscriptionId", "Query.subscription.id"] + [
        f"Mutation.{name}.input.id" for name in ("changeSubscription", "cancelSubscription", "suspendSubscription",
                                                 "reactivateSubscription", "closeSubscription",
                                                 "notifyUpcomingInvoice")],
    "events": ["Query.event.id", "Mutation.retryEvent.input.id", "Mutation.resolveEvent.input.id"],
    "vendors": ["*.*.input.vendorId"],
    "inbound-clients": ["*.*.input.clientId"],
    "edition-codes": ["*.*.input.editionCode", "*.*.input.editions[*].code"],
    "units": ["*.*.input.items[*].unit"],
    "countries": ["*.*.input.country"],
    "languages": ["*.*.input.language", "*.*.input.locale"],
    "emails": ["*.*.input.email"],
}
FIXED_VALUES = {"edition-codes": ["BASIC", "PRO"], "units": ["USER"], "countries": ["GB", "US"],
                "languages": ["en", "en-US"], "emails": ["ada@demo-buyer.example", "new@buyer.example"]}
PLAUSIBLE_TEXT = ["https://host.example/create?url={eventUrl}", "https://host.example/token",
                  "http://127.0.0.1:9/private", "Fuzz", ""]


def fuzz_config(ids: dict[str, list[str]]) -> SchemathesisConfig:
    """The dictionaries above, with the server's seeded ids."""
    values = ids | FIXED_VALUES | {"text": PLAUSIBLE_TEXT}
    return SchemathesisConfig.from_dict({
        "dictionaries": {kind: {"values": entries} for kind, entries in values.items()},
        "parameters": {key: {"dictionary": kind, "probability": 0.8}
                       for kind, keys in BINDINGS.items() for key in keys},
        "generation": {"dictionaries": {"string": {"dictionary": "text", "probability": 0.5}}},
    })


class Fuzzer:
    """Sends cases as one actor and judges each answer; keeps the database dump to compare."""

    def __init__(self, server: GraphQLServer, actor: str) -> None:
        self.server = server
        self.key = f"{server.backend}/{actor}"
        self.accept = ACCEPT[actor]
        self.headers = {"Authorization": f"Bearer {server.seeded.tokens[actor]}", "Accept": self.accept}
        self.session = requests.Session()
        self.dump = server.tables()
        COVERED.setdefault(self.key, set())

    def send(self, case: Case) -> None:
        mutation = case.operation.label.startswith("Mutation.")
        if mutation:
            case.body = with_user_errors(case.body)
        response = case.call(base_url=self.server.base_url, session=self.session,
                             headers=self.headers, timeout=30)
        REQUESTS[self.key] += 1
        COVERED[self.key].add(case.operation.label)
        assert answer_problems(response.status_code, response.headers.get("content-type", [""])[0],
                               response.text, self.accept) == [], case.body
        case.validate_response(response, checks=[response_schema_conformance, negative_data_rejection])
        before, self.dump = self.dump, self.server.tables()
        if not mutation or rejected(response.json()):
            assert changed_rows(before, self.dump) == {}, case.body
        else:
            CARRIED_OUT[self.key] += 1


def with_user_errors(document: str) -> str:
    """The mutation with its payload's ``userErrors`` selected (as ``fuzzUserErrors``), so the
    test always sees whether the server refused it."""
    parsed = graphql.parse(document)
    definitions = tuple(replace(d, selection_set=_selecting_user_errors(d.selection_set))
                        if isinstance(d, graphql.OperationDefinitionNode) else d
                        for d in parsed.definitions)
    return graphql.print_ast(replace(parsed, definitions=definitions))


def _selecting_user_errors(roots: graphql.SelectionSetNode) -> graphql.SelectionSetNode:
    added = graphql.parse("{ fuzzUserErrors: userErrors { code path message } }")
    user_errors = added.definitions[0].selection_set.selections[0]  # type: ignore[attr-defined]
    fields = tuple(replace(root, selection_set=replace(
        root.selection_set, selections=(*root.selection_set.selections, user_errors)))
        if isinstance(root, graphql.FieldNode) and root.selection_set is not None else root
        for root in roots.selections)
    return replace(roots, selections=fields)


def rejected(body: dict) -> bool:
    """Whether the server refused a mutation: no payload (a request error, or the resolver
    failed), or ``userErrors`` in it. An error in a field of a payload that came back (say a
    nested ``first: 0``) is an error in the answer, after the mutation was carried out."""
    payloads = list((body.get("data") or {}).values())
    return not payloads or any(p is None or p.get("fuzzUserErrors") for p in payloads)


def answer_problems(status: int, content_type: str, text: str, accept: str) -> list[str]:
    """What is wrong with an answer as GraphQL over HTTP (docs/adr/0005); [] when nothing."""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if not isinstance(body, dict) or not body.keys() <= TOP_LEVEL_KEYS or \
            ("data" not in body and not body.get("errors")):
        return [f"status {status}, not a GraphQL response: {text[:500]}"]
    problems = []
    expected = 400 if "data" not in body and accept == GRAPHQL_RESPONSE else 200
    if status != expected:
        problems.append(f"status {status}, expected {expected}")
    if content_type.split(";")[0] != accept:
        problems.append(f"content type {content_type}")
    messages = [e.get("message") if isinstance(e, dict) else e for e in body.get("errors", [])]
    if not all(isinstance(m, str) for m in messages):
        problems.append(f"errors without a message: {body['errors']}")
    if MASKED in messages:
        problems.append(f"a resolver failed: {body['errors']}")
    if found := INTERNAL_TEXT.search(text):
        problems.append(f"internal text {found.group(0)!r} in {text[:500]}")
    return problems


def changed_rows(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> dict[str, dict]:
    """Per table whose rows differ: the rows that went and the rows that came."""
    changes = {}
    for table in sorted(before.keys() | after.keys()):
        old, new = before.get(table, []), after.get(table, [])
        if old != new:  # rows hold JSON values (lists, dicts): not hashable, so no sets
            changes[table] = {"removed": [row for row in old if row not in new],
                              "added": [row for row in new if row not in old]}
    return changes


def fuzz_operation(fuzzer: Fuzzer, operation: Any, mode: GenerationMode) -> str | None:
    """Run ``EXAMPLES[mode]`` cases of one operation; the failure (after shrinking), if any."""

    @settings(max_examples=EXAMPLES[mode], database=None, deadline=None,
              phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    @seed(SEED)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Case) -> None:
        fuzzer.send(case)

    try:
        run()
    except Exception as exc:  # noqa: BLE001 - every operation runs; failures are listed at the end
        return f"{operation.label} ({mode.value}, {fuzzer.key}): {exc}"
    return None


@pytest.mark.parametrize("actor", ["developer", "admin"])
def test_no_input_breaks_the_api_or_writes_after_a_refusal(graphql_server: GraphQLServer, actor: str) -> None:
    """Given the seeded server, when every root field is fuzzed as ``actor``, then no answer
    fails a check, nothing is written after a refusal, and every operation was sent."""
    schema = schemathesis.graphql.from_url(
        graphql_server.base_url + "/graphql",
        headers={"Authorization": f"Bearer {graphql_server.seeded.tokens[actor]}"},
        config=fuzz_config(graphql_server.seeded.ids))
    operations = [result.ok() for result in schema.get_all_operations()]
    fuzzer = Fuzzer(graphql_server, actor)

    failures = [failure for operation in operations for mode in EXAMPLES
                if (failure := fuzz_operation(fuzzer, operation, mode)) is not None]

    NOTES[:] = [f"seed {SEED}, {EXAMPLES[GenerationMode.POSITIVE]} positive and "
                f"{EXAMPLES[GenerationMode.NEGATIVE]} negative examples at most per operation"]
    assert failures == [], "\n\n".join(failures)
    assert COVERED[fuzzer.key] == root_fields(graphql_server)


def root_fields(server: GraphQLServer) -> set[str]:
    """Every query and mutation of the schema the server serves, as schemathesis labels them."""
    schema = build_schema(server.settings)._schema
    return {f"{root.name}.{name}" for root in (schema.query_type, schema.mutation_type)
            for name in root.fields}


def test_the_write_check_sees_a_write_and_a_refusal(graphql_server: GraphQLServer) -> None:
    """The comparison the fuzz run relies on: a mutation that succeeds changes the dump (one
    company row more), one that is refused (a developer may not create companies) does not,
    and ``rejected`` tells them apart."""
    create = with_user_errors('mutation { createCompany(input: {name: "Fuzz Buyer", country: "GB"}) '
                              "{ company { name } } }")

    def send(actor: str) -> tuple[dict, dict]:
        before = graphql_server.tables()
        answer = requests.post(graphql_server.base_url + "/graphql", json={"query": create}, timeout=30,
                               headers={"Authorization": f"Bearer {graphql_server.seeded.tokens[actor]}"})
        return answer.json(), changed_rows(before, graphql_server.tables())

    refused, refused_changes = send("developer")
    made, made_changes = send("admin")

    assert refused == {"data": {"createCompany": {"company": None, "fuzzUserErrors": [
        {"code": "NOT_ALLOWED", "path": ["input"],
         "message": "Only marketplace administrators can do this."}]}}}
    assert (rejected(refused), refused_changes) == (True, {})
    assert made == {"data": {"createCompany": {"company": {"name": "Fuzz Buyer"}, "fuzzUserErrors": []}}}
    assert rejected(made) is False
    assert list(made_changes) == ["companies"]
    assert made_changes["companies"]["removed"] == []
    assert [row[1:3] for row in made_changes["companies"]["added"]] == [("Fuzz Buyer", "GB")]


def test_the_answer_check_sees_a_failure() -> None:
    """The checks the fuzz run relies on find a 500, a masked resolver failure, leaked
    internals and a wrong status or media type, and pass a well-formed answer."""
    masked = '{"data": null, "errors": [{"message": "Internal server error.", "path": ["viewer"]}]}'
    leaked = '{"errors": [{"message": "(sqlite3.IntegrityError) UNIQUE constraint failed"}]}'

    assert answer_problems(200, "application/json", '{"data": {"viewer": null}}', "application/json") == []
    assert answer_problems(500, "text/plain", "Internal Server Error", "application/json") == [
        "status 500, not a GraphQL response: Internal Server Error"]
    assert answer_problems(200, "application/json", masked, "application/json") == [
        "a resolver failed: [{'message': 'Internal server error.', 'path': ['viewer']}]"]
    assert answer_problems(400, "application/graphql-response+json", leaked, GRAPHQL_RESPONSE) == [
        f"internal text 'sqlite3' in {leaked}"]
    assert answer_problems(200, "application/json", leaked, GRAPHQL_RESPONSE) == [
        "status 200, expected 400", "content type application/json", f"internal text 'sqlite3' in {leaked}"]
