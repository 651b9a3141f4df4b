"""Filling SSO templates (SPEC §5): ``{user.email}``, ``{company.uuid}``, ... in bookmark URLs,
SAML NameIDs and attributes, relay states. The names are those ``domain/sso.py`` accepts when a
configuration is saved (``PLACEHOLDERS``); a name without a value (``{user.userIdentifier}``
before the host returned one) becomes the empty string. Pure functions.
"""

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from marketlink.domain.event_documents import Marketplace

_PLACEHOLDER = re.compile(r"\{([A-Za-z]+\.[A-Za-z]+)\}")


def placeholder_values(
    user: Mapping[str, Any], company: Mapping[str, Any], subscription: Mapping[str, Any] | None,
    user_identifier: str | None, marketplace: Marketplace,
) -> dict[str, str]:
    """Every placeholder's value for one user of one subscription (``user_identifier``: what
    the host answered to the user's assignment). Absent values are empty text."""
    return {
        "user.uuid": user["id"], "user.email": user["email"], "user.emailAddress": user["email"],
        "user.firstName": user["first_name"], "user.lastName": user["last_name"],
        "user.fullName": f"{user['first_name']} {user['last_name']}".strip(),
        "user.language": user["language"], "user.locale": user["locale"],
        "user.openId": f"{marketplace.base_url}/openid/id/{user['id']}",
        "user.userIdentifier": user_identifier or "",
        "company.uuid": company["id"], "company.name": company["name"],
        "company.externalId": company.get("external_id") or "", "company.country": company["country"] or "",
        "subscription.uuid": (subscription or {}).get("id") or "",
        "account.accountIdentifier": (subscription or {}).get("account_identifier") or "",
        "marketplace.partner": marketplace.partner, "marketplace.baseUrl": marketplace.base_url,
    }


def fill(template: str, values: Mapping[str, str], *, in_url: bool = False) -> str:
    """``template`` with each known placeholder replaced (percent-encoded when ``in_url``);
    unknown ones are left as they are (saving the configuration listed them as problems)."""
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        return quote(values[name], safe="") if in_url else values[name]

    return _PLACEHOLDER.sub(value, template)
