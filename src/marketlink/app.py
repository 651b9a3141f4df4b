"""The ASGI application: routes, middleware and what they share, composed in one place."""

from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from marketlink.api.auth import BearerAuth, BodySizeLimit
from marketlink.api.schema import build_schema
from marketlink.api.view import GraphQLView
from marketlink.clock import Clock, SystemClock
from marketlink.config import Settings
from marketlink.crypto import Keyring
from marketlink.delivery.oauth1 import NonceCache
from marketlink.demo_host import demo_host_endpoint
from marketlink.delivery.running import start_worker
from marketlink.domain.logins import Logins
from marketlink.domain.services import Services
from marketlink.protocol.events_endpoint import EventEndpoints
from marketlink.protocol.oidc_client_endpoint import oidc_client_endpoint
from marketlink.protocol.token_endpoint import token_endpoint
from marketlink.sso.oidc.endpoints import GRANT_TYPES as OIDC_GRANT_TYPES
from marketlink.sso.oidc.endpoints import OidcProvider
from marketlink.sso.oidc.logout import BackChannelLogout
from marketlink.sso.saml.endpoints import SamlEndpoints
from marketlink.storage.database import Database
from marketlink.web.request_ids import RequestIds
from marketlink.web.health import healthz, metrics_page, readyz
from marketlink.web.routes import web_routes


def create_app(settings: Settings, *, clock: Clock | None = None,
               db: Database | None = None) -> Starlette:
    keyring = Keyring(settings.secret_key_bytes(), settings.encryption_key_bytes())
    services = Services(settings, keyring, clock or SystemClock())
    database = db or Database(settings.database_url, pool_size=settings.db_pool_size)
    graphql = GraphQLView(build_schema(settings), database, services)
    api = BearerAuth(graphql, database, services)

    @asynccontextmanager
    async def lifespan(_: Starlette):  # type: ignore[no-untyped-def]
        worker = await start_worker(database, services) if settings.run_worker else None
        yield
        if worker is not None:
            await worker.stop()
        await sign_outs.close()
        if db is None:
            await database.dispose()

    event_endpoints = EventEndpoints(database, services, NonceCache())
    oidc = OidcProvider(database, services)
    sign_outs = BackChannelLogout(database, services, oidc.keys)
    other_grants = dict.fromkeys(OIDC_GRANT_TYPES, oidc.token)
    # An ASGI app as a Route endpoint is called as it is, for GET and POST alike.
    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz(database), methods=["GET"]),
        Route("/graphql", api, methods=["GET", "POST"]),
        Route("/oauth2/token", token_endpoint(database, services, other_grants), methods=["POST"]),
        *oidc.routes(),
        Route("/api/integration/v1/oidc-clients/{id}", oidc_client_endpoint(database, services),
              methods=["GET"]),
        Route("/api/integration/v1/events/{token}", event_endpoints.get, methods=["GET"]),
        Route("/api/integration/v1/events/{token}/result", event_endpoints.post_result,
              methods=["POST"]),
        *web_routes(Logins(database, services), sign_outs),
        *SamlEndpoints(database, services).routes(),
    ]
    if settings.metrics_enabled:
        routes.append(Route("/metrics", metrics_page(database, services), methods=["GET"]))
    if settings.demo_host:
        routes.append(Route("/demo/product-host/events", demo_host_endpoint(settings)))
    # Every body is bounded before anything reads it (GraphQL, the token endpoint, ...).
    app = Starlette(routes=routes, lifespan=lifespan,
                    middleware=[Middleware(RequestIds),
                                Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)])
    app.state.services, app.state.db = services, database
    return app
