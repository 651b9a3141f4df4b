"""Authorization codes (RFC 6749 §4.1.2): single use, ``oidc_code_lifetime_s`` (60 s), bound to
the client, the redirect URI, the PKCE challenge and the nonce of their request. Only the
code's keyed hash is stored."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authlib.oidc.core import AuthorizationCodeMixin

from marketlink.domain.ids import new_id
from marketlink.domain.services import Services

MAX_NONCE_LENGTH = 255


@dataclass(frozen=True)
class IssuedCode(AuthorizationCodeMixin):
    id: str
    oidc_client_id: str
    user_id: str
    subscription_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int  # ms
    expires_on: int
    used_on: int | None
    sid: str | None  # the login session it was issued in

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "IssuedCode":
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time // 1000


def code_row(services: Services, code: str, *, oidc_client_id: str, user_id: str,
             subscription_id: str, redirect_uri: str, scope: str, data: Mapping[str, Any],
             auth_time: int, sid: str | None) -> dict[str, Any]:
    """The row of a new code; ``data`` is the authorization request's parameters."""
    now = services.clock.now_ms()
    challenge = data.get("code_challenge") or None
    return {"id": new_id(), "code_hash": services.keyring.keyed_hash(code),
            "oidc_client_id": oidc_client_id, "user_id": user_id, "subscription_id": subscription_id,
            "redirect_uri": redirect_uri, "scope": scope, "nonce": data.get("nonce") or None,
            "code_challenge": challenge,
            "code_challenge_method": (data.get("code_challenge_method") or None) if challenge else None,
            "auth_time": auth_time, "created_on": now,
            "expires_on": now + services.settings.oidc_code_lifetime_s * 1000, "used_on": None,
            "sid": sid}
