"""What one provider request needs from the database, loaded before Authlib runs, and what it
asked to write, applied after (docs/adr/0012).

Authlib's grants are synchronous and call back for data (``query_client``, ``query_authorization_code``,
...) and for writes (``save_authorization_code``, ``save_token``, ...). Every such call is known
from the request's parameters, so a request reads everything in one short read transaction
(:func:`for_authorization`, :func:`for_token`, :func:`for_userinfo`), Authlib answers from
:class:`Loaded`, and its writes collect in :class:`Writes`. :func:`apply` then writes them in one
transaction, with the single-use checks made there, conditionally: a code or refresh token
spent concurrently since it was read makes :func:`apply` return False and write no token.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from authlib.oauth2.rfc6749.util import extract_basic_authorization
from joserfc.jwk import RSAKey
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain.services import Services
from marketlink.domain.web_sessions import SignedIn
from marketlink.sso.oidc.claims import Subject, subject_for
from marketlink.sso.oidc.clients import RelyingParty, load_relying_party
from marketlink.sso.oidc.codes import MAX_NONCE_LENGTH, IssuedCode
from marketlink.sso.oidc.tokens import MAX_TOKEN_LENGTH, IssuedToken
from marketlink.storage import oidc as store
from marketlink.storage.oidc import CODE_RETENTION_MS


@dataclass
class Loaded:
    now_ms: int
    client: RelyingParty | None = None
    subject: Subject | None = None  # who the code or token is for (or who is signing in)
    code: IssuedCode | None = None
    token: IssuedToken | None = None  # the refresh token presented, or the access token
    nonce_used: bool = False
    auth_time: int = 0  # when the signed-in user logged in (ms)
    sid: str | None = None  # the signed-in user's OpenID session id
    signing_key_row: Mapping[str, Any] | None = None  # read with the code it will sign for
    signing_key: RSAKey | None = None


@dataclass
class Writes:
    codes: list[dict[str, Any]] = field(default_factory=list)
    tokens: list[dict[str, Any]] = field(default_factory=list)
    use_code: str | None = None  # the code exchanged: must still be unused
    rotate_token: tuple[str, str] | None = None  # (token id, its code id): must still be live
    revoke_chains: set[str] = field(default_factory=set)  # codes whose tokens all go

    def __bool__(self) -> bool:
        return bool(self.codes or self.tokens or self.use_code or self.rotate_token
                    or self.revoke_chains)


async def for_authorization(conn: AsyncConnection, services: Services, params: Mapping[str, str],
                            signed: SignedIn | None) -> Loaded:
    loaded = Loaded(services.clock.now_ms())
    loaded.client = await load_relying_party(conn, services.keyring, params.get("client_id"))
    if loaded.client is None:
        return loaded
    nonce = params.get("nonce")
    if nonce and len(nonce) <= MAX_NONCE_LENGTH:
        loaded.nonce_used = await store.nonce_was_used(conn, loaded.client.row_id, nonce)
    if signed is not None:
        loaded.auth_time, loaded.sid = signed.session.created_on, signed.session.sid
        loaded.subject = await subject_for(conn, signed.user.id, loaded.client.integration_id,
                                           loaded.client.subscription_id)
    return loaded


def client_id_of(headers: Mapping[str, str], form: Mapping[str, str]) -> str | None:
    """The client a token request authenticates as (HTTP Basic, else the form)."""
    basic_id, _ = extract_basic_authorization(headers)
    return basic_id or form.get("client_id")


def basic_credentials_readable(headers: Mapping[str, str]) -> bool:
    """False when HTTP Basic credentials are not UTF-8 text (Authlib would raise on them)."""
    try:
        extract_basic_authorization(headers)
    except ValueError:
        return False
    return True


async def for_token(conn: AsyncConnection, services: Services, headers: Mapping[str, str],
                    form: Mapping[str, str]) -> Loaded:
    loaded = Loaded(services.clock.now_ms())
    loaded.client = await load_relying_party(conn, services.keyring, client_id_of(headers, form))
    if loaded.client is None:
        return loaded
    if form.get("grant_type") == "authorization_code" and form.get("code"):
        row = await store.code_by_hash(conn, services.keyring.keyed_hash(form["code"]))
        loaded.code = IssuedCode.from_row(row) if row else None
        if loaded.code is not None and loaded.code.oidc_client_id == loaded.client.row_id:
            loaded.subject = await subject_for(conn, loaded.code.user_id, loaded.client.integration_id,
                                               loaded.code.subscription_id)
            if "openid" in loaded.code.scope.split():
                loaded.signing_key_row = await store.current_signing_key(conn)
    elif form.get("grant_type") == "refresh_token" and form.get("refresh_token"):
        loaded.token = await _token(conn, services, loaded, form["refresh_token"], refresh=True)
    return loaded


async def for_userinfo(conn: AsyncConnection, services: Services, access_token: str | None) -> Loaded:
    loaded = Loaded(services.clock.now_ms())
    if access_token:
        loaded.token = await _token(conn, services, loaded, access_token, refresh=False)
    return loaded


async def _token(conn: AsyncConnection, services: Services, loaded: Loaded, value: str, *,
                 refresh: bool) -> IssuedToken | None:
    """The token (with its client and, while the user may still sign in, its subject)."""
    if len(value) > MAX_TOKEN_LENGTH:
        return None
    find = store.token_by_refresh_hash if refresh else store.token_by_access_hash
    row = await find(conn, services.keyring.keyed_hash(value))
    if row is None or (loaded.client and loaded.client.row_id != row["oidc_client_id"]):
        return None
    client = loaded.client or await load_relying_party(conn, services.keyring, None,
                                                       row_id=row["oidc_client_id"])
    subject = await subject_for(conn, row["user_id"], client.integration_id, row["subscription_id"])
    loaded.subject = subject
    token = IssuedToken.from_row(row, loaded.now_ms)
    return IssuedToken(**{**token.__dict__, "subject": subject, "client": client})


async def apply(conn: AsyncConnection, writes: Writes, now_ms: int) -> bool:
    """Write what the request asked for. False (and no token written) when the code or the
    refresh token was spent by another request since it was read: the caller answers
    ``invalid_grant``, and the tokens already issued from that code are revoked (a replay)."""
    for code_id in writes.revoke_chains:
        await store.revoke_chain(conn, code_id, now_ms)
    if writes.use_code and not await store.use_code(conn, writes.use_code, now_ms):
        await store.revoke_chain(conn, writes.use_code, now_ms)
        return False
    if writes.rotate_token and not await store.revoke_token(conn, writes.rotate_token[0], now_ms):
        await store.revoke_chain(conn, writes.rotate_token[1], now_ms)
        return False
    for row in writes.codes:
        await store.insert_code(conn, row)
    for row in writes.tokens:
        await store.insert_token(conn, row)
    if writes.codes:
        await store.delete_codes_expired_before(conn, now_ms - CODE_RETENTION_MS)
    if writes.tokens:
        await store.delete_tokens_expired_before(conn, now_ms)
    return True
