"""Who may sign in to what: a user's ACTIVE assignments to ACTIVE subscriptions. The one
query shape behind My Apps (``storage/apps.py``), the OpenID provider (``storage/oidc.py``) and
the SAML IdP (``storage/saml.py``); each adds its columns, joins and filters."""

from typing import Any

from sqlalchemy import Select, select

from marketlink.storage.tables import assignments, subscriptions

ACTIVE = "ACTIVE"


def active_assignments(user_id: str, *columns: Any) -> Select:
    """``columns`` for each ACTIVE subscription the user is ACTIVE-ly assigned to."""
    return (select(*columns).select_from(assignments)
            .join(subscriptions, subscriptions.c.id == assignments.c.subscription_id)
            .where(assignments.c.user_id == user_id, assignments.c.status == ACTIVE,
                   subscriptions.c.status == ACTIVE))
