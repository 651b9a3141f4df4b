"""Integration configurations: create, update, and find the version a caller may see.

A command receives ``changes``: the input fields the caller set, by API name (a field set to
null is present with ``None``; a field left out is absent). It validates everything first and
writes only when there are no errors.
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain import vendors
from marketlink.domain.actors import Actor
from marketlink.domain.credentials import StoredCredentials, checked_credentials
from marketlink.domain.errors import Code, Outcome, UserError, error, not_found
from marketlink.domain.names import checked_name
from marketlink.domain.ids import new_id, normalized_id
from marketlink.domain.models import (
    EVENT_URL_FIELDS,
    INTERACTIVE_FIELDS,
    WORKING,
    IntegrationVersion,
)
from marketlink.domain.services import Services
from marketlink.domain.urls import event_url_problem
from marketlink.storage import integrations as store

INPUT = ("input",)


async def visible_version(
    conn: AsyncConnection, actor: Actor, version_id: object
) -> IntegrationVersion | None:
    """The version with this id if the caller may see it (another vendor's reads as missing)."""
    canonical = normalized_id(version_id)
    row = await store.version_by_id(conn, canonical) if canonical else None
    if row is None or not actor.can_see_vendor(row["vendor_id"]):
        return None
    return IntegrationVersion.from_row(row)


async def find_version(
    conn: AsyncConnection, actor: Actor, version_id: object, version: str | None
) -> IntegrationVersion | None:
    """``productIntegration(id, version)``: the id of any version, and optionally which one of
    its integration is wanted. The id's own version when it matches ``version``; otherwise the
    WORKING version, or the latest snapshot for PUBLISHED."""
    found = await visible_version(conn, actor, version_id)
    if found is None or version is None or version == found.version:
        return found
    if version == WORKING:
        return await visible_version(conn, actor, found.integration_id)
    row = await store.latest_published(conn, found.integration_id)
    return IntegrationVersion.from_row(row) if row else None


async def working_version_for_change(
    conn: AsyncConnection, actor: Actor, version_id: object, path: tuple[str, ...]
) -> tuple[IntegrationVersion | None, list[UserError]]:
    """The WORKING version a mutation edits; snapshots are immutable."""
    found = await visible_version(conn, actor, version_id)
    if found is None:
        return None, [not_found(path, "Integration")]
    if not found.is_working:
        return None, [error(path, Code.PUBLISHED_SNAPSHOT,
                            "Published snapshots cannot be changed; edit the WORKING version.")]
    return found, []


async def create_integration(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[IntegrationVersion]:
    vendor_id, errors = await owning_vendor(conn, actor, changes.get("vendorId"))
    if "name" not in changes:
        errors.append(error(INPUT + ("name",), Code.REQUIRED, "name is required."))
    values, field_errors = _checked_fields(changes, StoredCredentials.none(), services)
    errors += field_errors
    if errors:
        return Outcome.failed(*errors)
    now = services.clock.now_ms()
    integration_id = new_id()
    row = _blank_columns() | values | {
        "id": integration_id, "integration_id": integration_id, "vendor_id": vendor_id,
        "version": WORKING, "revision": 0, "created_on": now, "last_modified": now,
        "host_gone_on": None,
    }
    await store.insert_version(conn, row)
    return Outcome(IntegrationVersion.from_row(row))


async def update_integration(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[IntegrationVersion]:
    current, errors = await working_version_for_change(conn, actor, changes.get("id"), INPUT + ("id",))
    if current is None:
        return Outcome.failed(*errors)
    row = await store.version_by_id(conn, current.id)
    existing = StoredCredentials(row["credentials_type"], row["credentials"], row["credentials_secret"])
    values, errors = _checked_fields(changes, existing, services)
    if errors:
        return Outcome.failed(*errors)
    values |= {"last_modified": services.clock.now_ms(), "host_gone_on": None}  # edited: try again
    await store.update_version(conn, current.id, values)
    return Outcome(IntegrationVersion.from_row(dict(row) | values))


async def owning_vendor(
    conn: AsyncConnection, actor: Actor, vendor_id: object
) -> tuple[str | None, list[UserError]]:
    """The vendor a new object belongs to: ``vendorId`` for admins, the caller's own vendor
    for developers (who may name it, but no other)."""
    path = INPUT + ("vendorId",)
    if vendor_id is None:
        if actor.is_admin:
            return None, [error(path, Code.REQUIRED, "vendorId is required for administrators.")]
        if actor.vendor_id is None or not actor.can_see_vendor(actor.vendor_id):
            return None, [not_found(path, "Vendor")]  # a company administrator has no vendor
        return actor.vendor_id, []
    canonical = normalized_id(vendor_id)
    if canonical is None or not actor.can_see_vendor(canonical):
        return None, [not_found(path, "Vendor")]
    if not await vendors.vendor_exists(conn, canonical):
        return None, [not_found(path, "Vendor")]
    return canonical, []


def _checked_fields(
    changes: dict[str, Any], existing: StoredCredentials, services: Services
) -> tuple[dict[str, Any], list[UserError]]:
    """Column values for the given changes, and every problem found in them."""
    values, errors = checked_name(changes, INPUT)
    for api, column in EVENT_URL_FIELDS:
        if api in changes:
            url = changes[api] or None
            if url is not None and (problem := event_url_problem(url)):
                errors.append(error(INPUT + (api,), Code.INVALID_URL, f"{api} {problem}."))
            values[column] = url
    for api, column in INTERACTIVE_FIELDS:
        if api in changes:
            values[column] = bool(changes[api])
    if "deliveryMode" in changes:
        values["delivery_mode"] = changes["deliveryMode"] or "NOTIFY_THEN_FETCH"
    if "outboundCredentials" in changes:
        given = changes["outboundCredentials"]
        stored = StoredCredentials.none()
        if given is not None:
            stored, credential_errors = checked_credentials(
                given, existing, services.keyring, INPUT + ("outboundCredentials",))
            errors += credential_errors
        values |= stored.columns()
    return values, errors


def _blank_columns() -> dict[str, Any]:
    blank: dict[str, Any] = {column: None for _, column in EVENT_URL_FIELDS}
    blank |= {column: False for _, column in INTERACTIVE_FIELDS}
    blank["delivery_mode"] = "NOTIFY_THEN_FETCH"
    blank |= StoredCredentials.none().columns() | {"sso_type": None, "sso_config": None}
    return blank


async def linked_product_count(conn: AsyncConnection, integration_id: str) -> int:
    return await store.linked_product_count(conn, integration_id)


CONSOLE_READ_ONLY_AT = 2  # linked products (SPEC §2 "Versions and links")


async def read_only_in_console(conn: AsyncConnection, integration_id: str) -> bool:
    """An integration linked to two or more products is changed only through the API."""
    return await store.linked_product_count(conn, integration_id) >= CONSOLE_READ_ONLY_AT


async def published_snapshots(
    conn: AsyncConnection, integration_id: str, limit: int
) -> list[IntegrationVersion]:
    return [IntegrationVersion.from_row(r)
            for r in await store.published_snapshots(conn, integration_id, limit)]


async def integrations_page(
    conn: AsyncConnection, actor: Actor, after: tuple[int, str] | None, limit: int
) -> tuple[list[IntegrationVersion], int]:
    """A page of the WORKING versions the caller may see, in creation order, and their total."""
    scope = actor.vendor_scope()
    rows = await store.working_versions(conn, scope, after, limit)
    return [IntegrationVersion.from_row(r) for r in rows], await store.count_working_versions(conn, scope)


async def lock_integration(conn: AsyncConnection, integration_id: str) -> None:
    """Hold the WORKING row until the transaction ends, so that checks of a count (inbound
    clients, snapshot revisions) and the insert that follows are not raced on PostgreSQL."""
    await store.version_by_id(conn, integration_id, lock=True)


async def oauth1_credentials(
    conn: AsyncConnection, services: Services, version_id: str
) -> tuple[str, str] | None:
    """(consumer key, consumer secret) of a version with OAUTH1 credentials, else None."""
    row = await store.version_by_id(conn, version_id)
    if row is None or row["credentials_type"] != "OAUTH1" or not row["credentials_secret"]:
        return None
    return row["credentials"]["consumerKey"], services.keyring.decrypt(row["credentials_secret"])


async def version_with_secret(
    conn: AsyncConnection, services: Services, version_id: str
) -> tuple[IntegrationVersion, str | None] | None:
    """A version and its decrypted outbound secret, for the delivery engine only."""
    row = await store.version_by_id(conn, version_id)
    if row is None:
        return None
    secret = services.keyring.decrypt(row["credentials_secret"]) if row["credentials_secret"] else None
    return IntegrationVersion.from_row(row), secret
