"""What an Assertion says, from the SAML configuration in force, who signs in and their login
session: NameID and attributes from the configured placeholders, the audience, the validity
window (``notBeforeMinutes`` before now to ``notAfterMinutes`` after), the session's start and
end. Pure."""

import base64
from collections.abc import Mapping
from typing import Any

from marketlink.crypto import Keyring
from marketlink.domain.saml_idps import Party
from marketlink.domain.placeholders import fill
from marketlink.domain.web_sessions import WebSession
from marketlink.sso.saml.responses import Statement

MINUTE_MS = 60_000


def statement_for(fields: Mapping[str, Any], party: Party, session: WebSession, now_ms: int,
                  keyring: Keyring) -> Statement:
    return Statement(
        audience=fields["serviceProviderEntityId"],
        name_id=fill(fields["nameId"], party.values).strip(),
        name_id_format=fields["nameIdFormat"],
        attributes=[(a["name"], fill(a["value"], party.values)) for a in fields["assertionAttributes"]],
        not_before_ms=now_ms - fields["notBeforeMinutes"] * MINUTE_MS,
        not_on_or_after_ms=now_ms + fields["notAfterMinutes"] * MINUTE_MS,
        authn_instant_ms=session.created_on,
        # Names the login session to the SP without revealing its id (itself a keyed hash).
        session_index="_" + keyring.keyed_hash("saml-session:" + session.id)[:32],
        session_not_on_or_after_ms=session.expires_on,
    )


def relay_state_for(fields: Mapping[str, Any], party: Party) -> str | None:
    """The configured relayState of an IdP-initiated login, placeholders filled in."""
    template = fields.get("relayState")
    return fill(template, party.values) if template else None


def encoded_response(fields: Mapping[str, Any], xml: bytes) -> str:
    """The form value: base64 of the Response (``encodeResponse``, the default and what the
    HTTP-POST binding requires), else the XML text itself for SPs that asked for it."""
    return base64.b64encode(xml).decode() if fields["encodeResponse"] else xml.decode()
