"""Relying parties as Authlib sees them (``ClientMixin``): a client row read together with the
latest PUBLISHED snapshot of its integration, whose OpenID Connect configuration decides the
redirect URLs (matched exactly), the grant types and the scopes.

Every client is confidential (it has a secret, checked against its keyed hash) and
authenticates with ``client_secret_basic`` or ``client_secret_post``.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from authlib.oauth2.rfc6749 import ClientMixin, scope_to_list
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.crypto import Keyring
from marketlink.domain.models import SsoConfiguration
from marketlink.domain.sso import OPENID_CONNECT, validation_errors
from marketlink.storage import oidc as store

AUTH_METHODS = ("client_secret_basic", "client_secret_post")
USER_SCOPES = ("profile", "email")
ROLE_SCOPES = ("roles",)
ALL_SCOPES = ("openid",) + USER_SCOPES + ROLE_SCOPES
GRANT_TYPES = {"AUTHORIZATION_CODE": "authorization_code", "REFRESH_TOKEN": "refresh_token"}


@dataclass(frozen=True, eq=False)
class RelyingParty(ClientMixin):
    row_id: str
    client_id: str
    secret_hash: str
    integration_id: str
    subscription_id: str | None  # PER_SUBSCRIPTION clients serve that subscription only
    redirect_urls: tuple[str, ...]
    grant_types: frozenset[str]
    scopes: tuple[str, ...]
    problems: tuple[str, ...]  # why the configuration cannot be used (then nothing is allowed)
    keyring: Keyring = field(repr=False)
    logout_url: str | None = None
    client_metadata: Mapping[str, Any] = field(default_factory=dict)  # Authlib reads it

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # OpenID Connect requires redirect_uri in every request

    def get_allowed_scope(self, scope: str | None) -> str:
        """The requested scopes this client may have, in request order; ``openid`` when none
        was asked for. Others are left out rather than refused (RFC 6749 §3.3)."""
        requested = scope_to_list(scope) or ["openid"]
        return " ".join(s for s in dict.fromkeys(requested) if s in self.scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_urls

    def check_client_secret(self, client_secret: str) -> bool:
        return self.keyring.matches(client_secret, self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


def allowed_scopes(fields: Mapping[str, Any]) -> tuple[str, ...]:
    """``openid`` always; ``profile email`` with ``allowUserScopes``; ``roles`` with
    ``allowRoleScopes``."""
    return (("openid",) + (USER_SCOPES if fields.get("allowUserScopes") else ())
            + (ROLE_SCOPES if fields.get("allowRoleScopes") else ()))


def relying_party(row: Mapping[str, Any], snapshot: Mapping[str, Any] | None,
                  keyring: Keyring) -> RelyingParty:
    if snapshot is None or snapshot["sso_type"] != OPENID_CONNECT:
        fields: Mapping[str, Any] = {}
        problems = ("The app no longer signs in with OpenID Connect.",)
    else:
        fields = snapshot["sso_config"]
        problems = tuple(p.message for p in validation_errors(SsoConfiguration(OPENID_CONNECT, fields)))
    return RelyingParty(
        row_id=row["id"], client_id=row["client_id"], secret_hash=row["secret_hash"],
        integration_id=row["integration_id"], subscription_id=row["subscription_id"],
        redirect_urls=tuple(fields.get("redirectUrls") or ()),
        grant_types=frozenset(GRANT_TYPES[g] for g in fields.get("grantTypes") or ()),
        scopes=allowed_scopes(fields), problems=problems, keyring=keyring,
        logout_url=fields.get("logoutUrl"))


async def load_relying_party(conn: AsyncConnection, keyring: Keyring, client_id: str | None,
                             *, row_id: str | None = None) -> RelyingParty | None:
    """The client with this ``client_id`` (or row id) and its integration's live configuration."""
    if row_id is None and (not client_id or len(client_id) > 64):
        return None
    row = await store.client_with_configuration(conn, client_id=client_id, row_id=row_id)
    return relying_party(row, row if row["sso_type"] else None, keyring) if row else None
