"""Who signs in, and what each scope tells the relying party about them (id_token and userinfo).

- ``openid``: ``sub``, the user's id (stable; the same user has the same ``sub`` everywhere);
- ``profile``: ``name``, ``given_name``, ``family_name``, ``locale``, and the company:
  ``company_id``, ``company_name``;
- ``email``: ``email`` and ``email_verified`` (false: MarketLink does not verify addresses);
- ``roles``: ``roles``, ``["USER"]`` for an assigned user, plus ``"ADMIN"`` for the user who
  bought the subscription.
"""

from dataclasses import dataclass

from authlib.oauth2.rfc6749 import scope_to_list
from authlib.oidc.core import UserInfo
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.storage import oidc as store

CLAIMS_SUPPORTED = ("sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "name",
                    "given_name", "family_name", "locale", "email", "email_verified", "company_id",
                    "company_name", "roles", "sid")


@dataclass(frozen=True)
class Subject:
    """A user who may sign in to a relying party now, and the subscription that allows it."""

    id: str  # the user's
    email: str
    first_name: str
    last_name: str
    locale: str
    company_id: str
    company_name: str
    subscription_id: str
    creator_id: str  # who bought the subscription


async def subject_for(conn: AsyncConnection, user_id: str, integration_id: str,
                      subscription_id: str | None) -> Subject | None:
    """The user as a subject of this integration's relying parties, if an ACTIVE assignment
    to an ACTIVE subscription (``subscription_id`` when given) allows it; else None."""
    row = await store.sign_in_subject(conn, user_id, integration_id, subscription_id)
    return Subject(**{("id" if k == "user_id" else k): v for k, v in row.items()}) if row else None


def user_claims(subject: Subject, scope: str) -> UserInfo:
    scopes = set(scope_to_list(scope) or ())
    claims = UserInfo(sub=subject.id)
    if "profile" in scopes:
        claims.update(name=f"{subject.first_name} {subject.last_name}".strip(),
                      given_name=subject.first_name, family_name=subject.last_name,
                      locale=subject.locale, company_id=subject.company_id,
                      company_name=subject.company_name)
    if "email" in scopes:
        claims.update(email=subject.email, email_verified=False)
    if "roles" in scopes:
        claims["roles"] = ["USER"] + (["ADMIN"] if subject.creator_id == subject.id else [])
    return claims
