"""When a login session ends, what it signed in to ends too, and each app is told: OpenID
Connect Back-Channel Logout 1.0 to the configuration's ``logoutUrl`` (docs/adr/0012).

A login session carries an OpenID session id (``sid``, in every id_token issued in it). When
the session ends by logout, or is replaced by another user's login, :meth:`session_ended`
revokes the access and refresh tokens issued in it, spends its unexchanged codes, and POSTs a
signed ``logout_token`` to the ``logoutUrl`` of every app it signed in to. The POSTs go through
the one outbound client (private addresses refused unless allowed, no redirects, bounded
time and answer), in the background: logging out never waits for an app. A relying party
that answers 2xx is done; 4xx means it refused the token (not retried); no answer or 5xx is
retried after each wait of ``oidc_logout_retry_s``, then given up and logged.
"""

import asyncio
import time
import uuid
from dataclasses import dataclass

import structlog
from joserfc import jwt
from joserfc.jwk import RSAKey

from marketlink.delivery.http_client import OutboundError, OutboundHttp
from marketlink.domain.services import Services
from marketlink.domain.web_sessions import sid_in_use
from marketlink.sso.oidc.clients import load_relying_party
from marketlink.sso.oidc.keys import ALGORITHM, SigningKeys
from marketlink.storage import oidc as store
from marketlink.storage.database import Database

log = structlog.get_logger("marketlink.sso")

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_LIFETIME_S = 120
MAX_APPS_PER_SESSION = 100  # apps told of one logout (a session signs in to a few)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass(frozen=True)
class LogoutNotice:
    """One relying party to tell: where, and the claims of its logout token."""

    logout_url: str
    client_id: str
    user_id: str
    sid: str


def logout_claims(issuer: str, notice: LogoutNotice, now_s: int) -> dict:
    """The logout token's claims (Back-Channel Logout 1.0 §2.4): no ``nonce``, an ``events``
    member naming the logout event, ``sub`` and ``sid`` as in the id_tokens of the session."""
    return {"iss": issuer, "aud": notice.client_id, "iat": now_s,
            "exp": now_s + LOGOUT_TOKEN_LIFETIME_S, "jti": uuid.uuid4().hex, "sub": notice.user_id,
            "sid": notice.sid, "events": {BACKCHANNEL_EVENT: {}}}


def logout_token(issuer: str, key: RSAKey, notice: LogoutNotice, now_s: int) -> str:
    header = {"alg": ALGORITHM, "kid": key.kid, "typ": "logout+jwt"}
    return jwt.encode(header, logout_claims(issuer, notice, now_s), key)


class BackChannelLogout:
    """One per process. :meth:`close` waits briefly for the POSTs under way, then stops."""

    def __init__(self, db: Database, services: Services, keys: SigningKeys) -> None:
        self.db, self.services, self.keys = db, services, keys
        self._http: OutboundHttp | None = None
        self._sending: set[asyncio.Task] = set()

    async def session_ended(self, sid: str) -> list[LogoutNotice]:
        """End what the login session ``sid`` signed in to; the apps being told (in the
        background). Nothing happens while another live session carries the same ``sid``
        (the same user logged in again, keeping the OpenID session)."""
        now = self.services.clock.now_ms()
        async with self.db.write() as conn:
            if await sid_in_use(conn, sid):
                return []
            signed = await store.clients_signed_in_with_sid(conn, sid, MAX_APPS_PER_SESSION)
            await store.end_sid(conn, sid, now)
            parties = [(await load_relying_party(conn, self.services.keyring, None,
                                                 row_id=row["oidc_client_id"]), row["user_id"])
                       for row in signed]
        notices = [LogoutNotice(party.logout_url, party.client_id, user_id, sid)
                   for party, user_id in parties
                   if party is not None and party.logout_url and not party.problems]
        if notices:
            key = await self.keys.signing_key()
            for notice in notices:
                token = logout_token(self.services.settings.base_url, key, notice, now // 1000)
                task = asyncio.create_task(self._deliver(notice, token))
                self._sending.add(task)
                task.add_done_callback(self._sending.discard)
        return notices

    async def _deliver(self, notice: LogoutNotice, token: str) -> None:
        waits = (0.0, *self.services.settings.oidc_logout_retry_s)
        for attempt, wait in enumerate(waits, start=1):
            await asyncio.sleep(wait)
            outcome = await self._post(notice, token)
            log.info("oidc.backchannel_logout", client_id=notice.client_id, attempt=attempt,
                     outcome=outcome)
            if outcome != "retry":
                return
        log.warning("oidc.backchannel_logout_given_up", client_id=notice.client_id,
                    attempts=len(waits))

    async def _post(self, notice: LogoutNotice, token: str) -> str:
        """'done' (2xx), 'refused' (4xx: the app rejects the token; sending again won't help)
        or 'retry' (no answer, 3xx or 5xx)."""
        http = self._http or self._open()
        try:
            answer = await http.request("POST", notice.logout_url, headers=FORM,
                                        data={"logout_token": token})
        except OutboundError:
            return "retry"
        if 200 <= answer.status < 300:
            return "done"
        return "refused" if 400 <= answer.status < 500 else "retry"

    def _open(self) -> OutboundHttp:
        self._http = OutboundHttp(self.services.settings)
        return self._http

    async def close(self, grace_s: float = 5.0) -> None:
        deadline = time.monotonic() + grace_s
        while self._sending and time.monotonic() < deadline:
            await asyncio.wait(set(self._sending), timeout=max(0.0, deadline - time.monotonic()))
        for task in set(self._sending):
            task.cancel()
        if self._http is not None:
            await self._http.close()
            self._http = None
