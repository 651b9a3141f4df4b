"""The GraphQL HTTP endpoint: Strawberry's ASGI view with our context, and the media types and
status codes of the GraphQL over HTTP specification (docs/adr/0005):

- a client that accepts ``application/graphql-response+json`` gets that media type, and a
  request error (the document does not parse or validate, variables do not coerce) is a 400
  whose body has ``errors`` and no ``data``;
- any other client (``application/json``, ``*/*``, no Accept) gets ``application/json`` and the
  same body with status 200, as the specification asks for legacy clients.
"""

import re
from typing import Any

from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from cross_web import HTTPException
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from marketlink.api.context import Context
from marketlink.domain.services import Services
from marketlink.storage.database import Database

GRAPHQL_RESPONSE = "application/graphql-response+json"


class GraphQLView(GraphQL):
    def __init__(self, schema: Any, db: Database, services: Services) -> None:
        super().__init__(schema, graphql_ide=None, multipart_uploads_enabled=False)
        self.db, self.services = db, services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """As Strawberry's, but a refused request gets a GraphQL-shaped JSON error body, and
        the answer's media type is the one the client asked for."""
        request = Request(scope, receive)
        try:
            response = await self.run(request)
        except HTTPException as exc:
            response = JSONResponse({"errors": [{"message": exc.reason,
                                                 "extensions": {"code": "BAD_REQUEST"}}]},
                                    status_code=exc.status_code)
        if wants_graphql_response(request.headers.get("accept", "")):
            response.headers["content-type"] = GRAPHQL_RESPONSE + "; charset=utf-8"
        await response(scope, receive, send)

    def parse_json(self, data: str | bytes) -> Any:
        """As Strawberry's, but a body that is JSON and not an object (``null``, ``5``) is a 400:
        Strawberry would call ``.get`` on it and fail with a 500. (Only bodies come as bytes;
        GET's ``variables`` come as text and keep Strawberry's own check.)"""
        parsed = super().parse_json(data)
        if isinstance(data, bytes) and not isinstance(parsed, (dict, list)):
            raise HTTPException(400, "The request body must be a JSON object")
        return parsed

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        return Context(actor=request.scope["state"]["actor"], db=self.db, services=self.services)

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        result = await super().execute_single(*args, **kwargs)
        if _rejected_before_execution(result) and \
                wants_graphql_response(kwargs["request"].headers.get("accept", "")):
            kwargs["sub_response"].status_code = 400
        return result

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        """A request error has no ``data`` entry at all (nothing was executed); no message
        repeats an input value GraphQL refused (see ``without_refused_value``)."""
        body = await super().process_result(request, result)
        if _rejected_before_execution(result):
            body.pop("data", None)
        for error in body.get("errors") or []:
            error["message"] = without_refused_value(error["message"])
        return body


_REFUSED_VALUE = re.compile(r"[,;]? [Ff]ound: ")


def without_refused_value(message: str) -> str:
    """GraphQL's coercion messages end with the whole value they refused ("Expected value of
    type 'OutboundCredentialsInput' to include required field 'type', found: {'clientSecret':
    ...}."): secrets included. The answer says what is wrong without repeating the value."""
    found = _REFUSED_VALUE.search(message)
    if found is None:
        return message
    kept = message[:found.start()]
    return kept if kept.endswith("?") else kept + "."


def wants_graphql_response(accept: str) -> bool:
    """Whether the Accept header lists ``application/graphql-response+json`` (parameters and
    letter case aside)."""
    return any(part.split(";", 1)[0].strip().lower() == GRAPHQL_RESPONSE
               for part in accept.split(","))


def _rejected_before_execution(result: ExecutionResult) -> bool:
    """Syntax and validation errors (no ``data``, errors without a field path): the request
    itself is wrong, which is a 400, not a 200 with errors."""
    errors: list[GraphQLError] = result.errors or []
    return result.data is None and bool(errors) and all(e.path is None for e in errors)
