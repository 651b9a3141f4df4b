"""Access and refresh tokens: opaque random strings (256 bits), stored as keyed hashes, so they
can be revoked (a replayed code or refresh token revokes its whole chain) and a copy of the
table holds no usable token. Refreshing rotates: the old pair is revoked, a new pair issued."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import TokenMixin
from authlib.oauth2.rfc6750 import BearerTokenGenerator

from marketlink.crypto import random_secret
from marketlink.domain.ids import new_id
from marketlink.domain.services import Services

ACCESS_PREFIX = "mloa_"
REFRESH_PREFIX = "mlor_"
MAX_TOKEN_LENGTH = 100


@dataclass(frozen=True)
class IssuedToken(TokenMixin):
    id: str
    oidc_client_id: str
    user_id: str
    subscription_id: str
    code_id: str
    scope: str
    auth_time: int
    access_expires_on: int
    refresh_expires_on: int | None
    revoked_on: int | None
    sid: str | None  # the login session of the code the chain started from
    now_ms: int  # when it was read: Authlib's checks take no time argument
    subject: Any = None  # the claims.Subject, when the user may still sign in
    client: Any = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any], now_ms: int) -> "IssuedToken":
        fields = {name: row[name] for name in cls.__dataclass_fields__
                  if name not in ("now_ms", "subject", "client")}
        return cls(**fields, now_ms=now_ms)

    def check_client(self, client: Any) -> bool:
        return client.row_id == self.oidc_client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return max(0, (self.access_expires_on - self.now_ms) // 1000)

    def is_expired(self) -> bool:
        return self.access_expires_on <= self.now_ms

    def is_revoked(self) -> bool:
        return self.revoked_on is not None

    def refresh_is_live(self) -> bool:
        return (self.revoked_on is None and self.refresh_expires_on is not None
                and self.refresh_expires_on > self.now_ms)

    def get_user(self) -> Any:
        return self.subject

    def get_client(self) -> Any:
        return self.client


def bearer_tokens(services: Services) -> BearerTokenGenerator:
    """Authlib's token generator with our random opaque values and lifetime."""
    return BearerTokenGenerator(lambda **_: random_secret(ACCESS_PREFIX),
                                lambda **_: random_secret(REFRESH_PREFIX),
                                services.settings.oidc_access_token_lifetime_s)


def token_row(services: Services, token: Mapping[str, Any], *, oidc_client_id: str, user_id: str,
              subscription_id: str, code_id: str, auth_time: int,
              sid: str | None) -> dict[str, Any]:
    """The row of a token response Authlib made (``access_token``, maybe ``refresh_token``)."""
    now, settings, keyring = services.clock.now_ms(), services.settings, services.keyring
    refresh = token.get("refresh_token")
    access_expires = now + int(token["expires_in"]) * 1000
    refresh_expires = now + settings.oidc_refresh_token_lifetime_s * 1000 if refresh else None
    return {"id": new_id(), "oidc_client_id": oidc_client_id, "user_id": user_id,
            "subscription_id": subscription_id, "code_id": code_id,
            "access_token_hash": keyring.keyed_hash(token["access_token"]),
            "refresh_token_hash": keyring.keyed_hash(refresh) if refresh else None,
            "scope": token.get("scope", ""), "auth_time": auth_time, "issued_on": now,
            "access_expires_on": access_expires, "refresh_expires_on": refresh_expires,
            "expires_on": max(access_expires, refresh_expires or 0), "revoked_on": None,
            "sid": sid}
