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


def notice(notice_type: str) -> dict[str, Any]:
    """``payload.notice`` of a SUBSCRIPTION_NOTICE: DEACTIVATED, REACTIVATED, CLOSED, UPCOMING_INVOICE."""
    return {"type": notice_type, "message": None}


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


# Stateless test events (ping tests, SPEC §4) carry sample data of the right shape.
SAMPLE_USER = {"id": "00000000-0000-4000-8000-000000000001", "email": "ping.test@marketlink.invalid",
               "first_name": "Ping", "last_name": "Test", "language": "en", "locale": "en-US"}
SAMPLE_COMPANY = {"id": "00000000-0000-4000-8000-000000000002", "name": "Ping Test Company",
                  "email": None, "website": None, "country": "US"}
SAMPLE_ACCOUNT = "ping-test-account"


def stateless_test_document(event_type: str, marketplace: Marketplace) -> dict[str, Any]:
    """A test event of ``event_type`` with flag STATELESS: the host must not act on it."""
    payload: dict[str, Any] = {"account": account(SAMPLE_ACCOUNT, "ACTIVE")}
    if event_type in ("SUBSCRIPTION_ORDER", "ADDON_ORDER"):
        payload = {"company": company(SAMPLE_COMPANY),
                   "order": order("SAMPLE", "MONTHLY", [{"unit": "USER", "quantity": 1}])}
    elif event_type in ("SUBSCRIPTION_CHANGE", "ADDON_CHANGE"):
        payload["order"] = order("SAMPLE", "MONTHLY", [{"unit": "USER", "quantity": 2}])
    elif event_type == "SUBSCRIPTION_NOTICE":
        payload["notice"] = {"type": "UPCOMING_INVOICE", "message": None}
    elif event_type.startswith("USER_"):
        payload["user"] = person(SAMPLE_USER, marketplace)
    return document(event_type, marketplace, creator=person(SAMPLE_USER, marketplace),
                    flag="STATELESS", payload=payload)
