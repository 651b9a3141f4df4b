"""The web pages' routes, composed by ``app.create_app``."""

from starlette.routing import BaseRoute, Route

from marketlink.domain.logins import Logins
from marketlink.sso.oidc.logout import BackChannelLogout
from marketlink.web.console.routes import console_routes
from marketlink.web.home import home, launch
from marketlink.web.login import LoginPages


def web_routes(logins: Logins, sign_outs: BackChannelLogout) -> list[BaseRoute]:
    login = LoginPages(logins, sign_outs)
    return [
        Route("/", home, methods=["GET"]),
        Route("/apps/{subscription_id}/launch", launch, methods=["GET"]),
        Route("/login", login.show, methods=["GET"]),
        Route("/login", login.submit, methods=["POST"]),
        Route("/logout", login.log_out, methods=["POST"]),
        *console_routes(),
    ]
