"""Commands on an integration's SSO configuration: add, update, remove.

An integration has at most one SSO configuration. Adding a second is refused (update it, or
remove it first), so a vendor never replaces an OpenID Connect setup by accident.
``clientCreationMethod`` cannot change once any snapshot with OpenID Connect is published: clients
already issued per subscription, marketplace or environment would no longer match it.
"""

from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain.actors import Actor
from marketlink.domain.errors import Code, Outcome, UserError, error
from marketlink.domain.integrations import working_version_for_change
from marketlink.domain.models import IntegrationVersion, SsoConfiguration
from marketlink.domain.services import Services
from marketlink.domain.sso import OPENID_CONNECT, checked_configuration
from marketlink.storage import integrations as store

INPUT = ("input",)
ID_FIELD = "integrationConfigurationId"
KIND_NAMES = {"BOOKMARK": "Bookmark", "OPENID_CONNECT": "OpenID Connect", "SAML": "SAML"}
WITH_ARTICLE = {"BOOKMARK": "a Bookmark", "OPENID_CONNECT": "an OpenID Connect", "SAML": "a SAML"}


async def add_configuration(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any], *, kind: str
) -> Outcome[IntegrationVersion]:
    current, errors = await _editable(conn, actor, changes)
    if current is None:
        return Outcome.failed(*errors)
    if current.sso is not None:
        return Outcome.failed(error(INPUT + (ID_FIELD,), Code.SSO_ALREADY_CONFIGURED,
                                    f"This integration already has {WITH_ARTICLE[current.sso.kind]} "
                                    "configuration; update or remove it instead."))
    return await _save(conn, services, current, kind, changes, None)


async def update_configuration(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any], *, kind: str
) -> Outcome[IntegrationVersion]:
    current, errors = await _editable(conn, actor, changes)
    if current is None:
        return Outcome.failed(*errors)
    if current.sso is None or current.sso.kind != kind:
        return Outcome.failed(error(INPUT + (ID_FIELD,), Code.SSO_NOT_CONFIGURED,
                                    f"This integration has no {KIND_NAMES[kind]} configuration to update."))
    return await _save(conn, services, current, kind, changes, current.sso.fields)


async def remove_configuration(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[IntegrationVersion]:
    current, errors = await _editable(conn, actor, changes)
    if current is None:
        return Outcome.failed(*errors)
    if current.sso is None:
        return Outcome.failed(error(INPUT + (ID_FIELD,), Code.SSO_NOT_CONFIGURED,
                                    "This integration has no SSO configuration."))
    values = {"sso_type": None, "sso_config": None, "last_modified": services.clock.now_ms()}
    await store.update_version(conn, current.id, values)
    return Outcome(_replaced(current, None, values["last_modified"]))


async def _editable(
    conn: AsyncConnection, actor: Actor, changes: dict[str, Any]
) -> tuple[IntegrationVersion | None, list[UserError]]:
    return await working_version_for_change(conn, actor, changes.get(ID_FIELD), INPUT + (ID_FIELD,))


async def _save(
    conn: AsyncConnection, services: Services, current: IntegrationVersion, kind: str,
    changes: dict[str, Any], existing: Any,
) -> Outcome[IntegrationVersion]:
    given = {k: v for k, v in changes.items() if k != ID_FIELD}
    fields, errors = checked_configuration(kind, given, existing, INPUT)
    if kind == OPENID_CONNECT and not errors:
        errors = await _creation_method_frozen(conn, current, fields["clientCreationMethod"])
    if errors:
        return Outcome.failed(*errors)
    now = services.clock.now_ms()
    await store.update_version(conn, current.id, {"sso_type": kind, "sso_config": fields,
                                                   "last_modified": now})
    return Outcome(_replaced(current, SsoConfiguration(kind, fields), now))


async def _creation_method_frozen(
    conn: AsyncConnection, current: IntegrationVersion, method: str
) -> list[UserError]:
    row = await store.latest_published(conn, current.integration_id, sso_type=OPENID_CONNECT)
    if row is None:
        return []
    published = row["sso_config"]["clientCreationMethod"]
    if published == method:
        return []
    return [error(INPUT + ("clientCreationMethod",), Code.FROZEN_AFTER_PUBLISH,
                  f"clientCreationMethod is {published} in a published version and cannot change.")]


def _replaced(current: IntegrationVersion, sso: SsoConfiguration | None, now: int) -> IntegrationVersion:
    return replace(current, sso=sso, last_modified=now)
