"""The web pages' routes, composed by ``app.create_app``."""

from starlette.routing import Route

from marketlink.domain.logins import Logins
from marketlink.web.home import home, launch
from marketlink.web.login import LoginPages


def web_routes(logins: Logins) -> list[Route]:
    login = LoginPages(logins)
    return [
        Route("/", home, methods=["GET"]),
        Route("/apps/{subscription_id}/launch", launch, methods=["GET"]),
        Route("/login", login.show, methods=["GET"]),
        Route("/login", login.submit, methods=["POST"]),
        Route("/logout", login.log_out, methods=["POST"]),
    ]
