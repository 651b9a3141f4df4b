"""Event documents: what the product host fetches at the event URL (SPEC §3 step 3).

The shape, names and nesting are those of the vendor SDK's fixtures
(shared/reference/appdirect-sdk-fixtures/events): every key is always present, absent values
are null, so that vendors' generic parsers find what they expect. XML is the same tree
(``protocol/event_xml.py``).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Marketplace:
    partner: str
    base_url: str


def person(user: Mapping[str, Any], marketplace: Marketplace) -> dict[str, Any]:
    """``creator`` and ``payload.user``: a marketplace user as the host sees it."""
    return {
        "uuid": user["id"],
        "openId": f"{marketplace.base_url}/openid/id/{user['id']}",
        "email": user["email"],
        "firstName": user["first_name"],
        "lastName": user["last_name"],
        "language": user["language"],
        "locale": user["locale"],
        "address": None,
        "attributes": None,
    }


def company(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "uuid": row["id"],
        "externalId": None,
        "name": row["name"],
        "email": row["email"],
        "phoneNumber": None,
        "website": row["website"],
        "country": row["country"],
    }


def account(account_identifier: str | None, status: str) -> dict[str, Any]:
    return {"accountIdentifier": account_identifier, "status": status,
            "parentAccountIdentifier": None}


def order(edition_code: str, pricing_duration: str, items: list[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "editionCode": edition_code,
        "addonOfferingCode": None,
        "pricingDuration": pricing_duration,
        "items": [{"unit": item["unit"], "quantity": item["quantity"]} for item in items],
    }


def document(
    event_type: str,
    marketplace: Marketplace,
    *,
    creator: dict[str, Any] | None = None,
    flag: str | None = None,
    payload: Mapping[str, Any] | None = None,
    links: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The whole event document; ``payload`` names the parts this event carries."""
    parts = {"user": None, "company": None, "account": None, "addonInstance": None,
             "addonBinding": None, "order": None, "notice": None, "configuration": {}}
    return {
        "type": event_type,
        "marketplace": {"partner": marketplace.partner, "baseUrl": marketplace.base_url},
        "applicationUuid": None,
        "flag": flag,
        "creator": creator,
        "payload": parts | dict(payload or {}),
        "returnUrl": None,
        "links": list(links or []),
    }
