"""The company administrator (console only, ADR 0014): the domain lets it order for its own
company, change, cancel, assign and unassign on that company's subscriptions, and read the
company, its users and its subscriptions; another company's subscription, company or user reads
as NOT_FOUND with nothing written; everything else stays the marketplace administrators', and
it sees no vendor's objects. The GraphQL API is unchanged for administrators and developers,
and no API token carries the role."""

import pytest

from marketlink.domain import companies, directory, event_commands, events, integrations, products
from marketlink.domain.actors import Actor, Role
from marketlink.domain.assignments import assign_user, assignments_of, unassign_user, update_user
from marketlink.domain.console_access import console_actor, grant_console_role
from marketlink.domain.errors import Code, UserError
from marketlink.domain.subscriptions import (
    cancel_subscription,
    change_subscription,
    close_subscription,
    create_subscription,
    notify_upcoming_invoice,
    reactivate_subscription,
    subscriptions_page,
    suspend_subscription,
    visible_subscription,
)
from marketlink.domain.vendors import create_token
from marketlink.storage import vendors as token_store
from marketlink.storage.tables import events as events_table
from tests.api.test_commerce import CREATE_COMPANY, CREATE_SUBSCRIPTION, CREATE_USER, order_input
from tests.api.test_subscription_lifecycle import answer, call, live_subscription, state
from tests.helpers import START_MS, dump_tables

NOT_ALLOWED = "Only marketplace administrators can do this."
ASSIGN = f"""mutation($s: ID!, $u: ID!) {{ assignUser(input: {{subscriptionId: $s, userId: $u}}) {{
  assignment {{ status }} userErrors {{ message path code }} }} }}"""


@pytest.fixture
async def market(world):
    """An ACTIVE subscription of "Buyer Inc" (Ada bought it), a colleague of Ada's, and a company
    "Other Co" with a user and an ACTIVE subscription of the same product."""
    live = await live_subscription(world)
    colleague = await _user(world, live.company, "bob@buyer.example")
    other_company = (await world.api.data(CREATE_COMPANY, {"input": {"name": "Other Co", "country": "FR"}},
                                          world.admin))["createCompany"]["company"]["id"]
    stranger = await _user(world, other_company, "eve@other.example")
    theirs = (await world.api.data(CREATE_SUBSCRIPTION, {"input": order_input(
        live.product, other_company, stranger)}, world.admin))["createSubscription"]["subscription"]["id"]
    await answer(world, "SUCCEEDED", account_identifier="acct-2")
    return {"live": live, "ours": live.subscription, "company": live.company, "ada": live.user,
            "bob": colleague, "other_company": other_company, "eve": stranger, "theirs": theirs,
            "actor": Actor(Role.COMPANY_ADMIN, None, company_id=live.company)}


async def _user(world, company: str, email: str) -> str:
    data = await world.api.data(CREATE_USER, {"input": {"companyId": company, "email": email,
                                "firstName": "Test", "lastName": "User", "language": "en"}}, world.admin)
    return data["createUser"]["user"]["id"]


async def _write(world, command, actor: Actor, changes: dict):
    """``command`` in a write transaction that commits whatever it wrote, even on errors: so
    "nothing written" is the command's own doing, not the rollback's."""
    async with world.db.write() as conn:
        return await command(conn, actor, world.services, changes)


async def _read(world, query, *args):
    async with world.db.read() as conn:
        return await query(conn, *args)


async def _event_types(world, subscription: str) -> list[str]:
    async with world.db.read() as conn:
        rows = await conn.execute(events_table.select().where(events_table.c.subscription_id == subscription)
                                  .order_by(events_table.c.seq))
        return [r.type for r in rows]


# --- the company's own subscriptions --------------------------------------------------------

async def test_a_company_admin_orders_for_its_own_company(world, market):
    actor = market["actor"]

    made = await _write(world, create_subscription, actor, order_input(
        market["live"].product, market["company"], market["bob"], editionCode="PRO",
        items=[{"unit": "USER", "quantity": 2}], configuration={}))

    assert made.errors == []
    value = made.value
    assert (value.product_id, value.company_id, value.creator_id, value.edition_code, value.pricing_duration,
            value.items, value.status, value.account_identifier, value.created_on) == (
        market["live"].product, market["company"], market["bob"], "PRO", "MONTHLY",
        ({"unit": "USER", "quantity": 2},), "INITIALIZED", None, START_MS)
    assert await _event_types(world, value.id) == ["SUBSCRIPTION_ORDER"]


async def test_a_company_admin_changes_assigns_unassigns_and_cancels_its_subscription(world, market):
    actor, ours = market["actor"], market["ours"]

    changed = await _write(world, change_subscription, actor, {"id": ours, "editionCode": "PRO"})
    await answer(world, "SUCCEEDED")
    assigned = await _write(world, assign_user, actor, {"subscriptionId": ours, "userId": market["bob"]})
    await answer(world, "SUCCEEDED", user_identifier="bob-1")
    unassigned = await _write(world, unassign_user, actor, {"subscriptionId": ours, "userId": market["bob"]})
    await answer(world, "SUCCEEDED")
    cancelled = await _write(world, cancel_subscription, actor, {"id": ours})
    await answer(world, "SUCCEEDED")

    assert [o.errors for o in (changed, assigned, unassigned, cancelled)] == [[], [], [], []]
    assert (assigned.value.user_id, assigned.value.status) == (market["bob"], "ASSIGNING")
    assert (unassigned.value.status, unassigned.value.user_identifier) == ("UNASSIGNING", "bob-1")
    assert await state(world, ours) == {"status": "CANCELLED", "accountIdentifier": "acct-1",
                                        "editionCode": "PRO", "pricingDuration": "MONTHLY",
                                        "items": [{"unit": "USER", "quantity": 5}]}
    assert [(a.user_id, a.status) for a in await _read(world, assignments_of, ours)] == [
        (market["bob"], "UNASSIGNED")]
    assert await _event_types(world, ours) == [
        "SUBSCRIPTION_ORDER", "SUBSCRIPTION_CHANGE", "USER_ASSIGNMENT", "USER_UNASSIGNMENT",
        "SUBSCRIPTION_CANCEL"]


async def test_a_company_admin_reads_its_company_its_users_and_its_subscriptions(world, market):
    actor = market["actor"]

    company = await _read(world, companies.visible_company, actor, market["company"])
    ada = await _read(world, companies.visible_user, actor, market["ada"])
    subscription = await _read(world, visible_subscription, actor, market["ours"])
    listed = await _read(world, subscriptions_page, actor, None, None, 10)
    filtered = await _read(world, subscriptions_page, actor, market["company"], None, 10)
    names = await _read(world, directory.company_names, actor, {market["company"], market["other_company"]})
    emails = await _read(world, directory.user_emails, actor, {market["ada"], market["eve"]})
    people, total = await _read(world, directory.users_to_pick, actor, market["company"], 10)

    assert (company.id, company.name) == (market["company"], "Buyer Inc")
    assert (ada.id, ada.email) == (market["ada"], "ada@buyer.example")
    assert (subscription.id, subscription.status) == (market["ours"], "ACTIVE")
    assert [s.id for s in listed] == [market["ours"]]
    assert [s.id for s in filtered] == [market["ours"]]
    assert names == {market["company"]: "Buyer Inc"}
    assert emails == {market["ada"]: "ada@buyer.example"}
    assert ([p.email for p in people], total) == (["ada@buyer.example", "bob@buyer.example"], 2)


# --- another company's ------------------------------------------------------------------------

async def test_another_companys_subscription_company_and_users_read_as_not_found(world, market):
    actor = market["actor"]

    assert await _read(world, companies.visible_company, actor, market["other_company"]) is None
    assert await _read(world, companies.visible_user, actor, market["eve"]) is None
    assert await _read(world, visible_subscription, actor, market["theirs"]) is None
    assert await _read(world, subscriptions_page, actor, market["other_company"], None, 10) == []
    assert await _read(world, directory.users_to_pick, actor, market["other_company"], 10) == ([], 0)


@pytest.mark.parametrize("command,changes,errors", [
    (change_subscription, lambda m: {"id": m["theirs"], "editionCode": "PRO"},
     [UserError(("input", "id"), Code.NOT_FOUND, "Subscription not found.")]),
    (cancel_subscription, lambda m: {"id": m["theirs"]},
     [UserError(("input", "id"), Code.NOT_FOUND, "Subscription not found.")]),
    (assign_user, lambda m: {"subscriptionId": m["theirs"], "userId": m["eve"]},
     [UserError(("input", "subscriptionId"), Code.NOT_FOUND, "Subscription not found.")]),
    (unassign_user, lambda m: {"subscriptionId": m["theirs"], "userId": m["eve"]},
     [UserError(("input", "subscriptionId"), Code.NOT_FOUND, "Subscription not found.")]),
    (assign_user, lambda m: {"subscriptionId": m["ours"], "userId": m["eve"]},
     [UserError(("input", "userId"), Code.NOT_FOUND, "userId must be a user of the subscription's company.")]),
    (create_subscription, lambda m: order_input(m["live"].product, m["other_company"], m["eve"]),
     [UserError(("input", "companyId"), Code.NOT_FOUND, "Company not found.")]),
    (create_subscription, lambda m: order_input(m["live"].product, m["company"], m["eve"]),
     [UserError(("input", "creatorId"), Code.NOT_FOUND, "creatorId must be a user of the buying company.")]),
], ids=["change", "cancel", "assign", "unassign", "assign-their-user", "order-for-them", "their-creator"])
async def test_another_companys_objects_are_not_found_and_nothing_is_written(world, market, command, changes, errors):
    before = await dump_tables(world.db)

    outcome = await _write(world, command, market["actor"], changes(market))

    assert (outcome.value, outcome.errors) == (None, errors)
    assert await dump_tables(world.db) == before


# --- what stays the administrators' ------------------------------------------------------------

@pytest.mark.parametrize("command,changes", [
    (companies.create_company, lambda m: {"name": "New Co", "country": "GB"}),
    (companies.create_user, lambda m: {"companyId": m["company"], "email": "new@buyer.example",
                                       "firstName": "New", "lastName": "User", "language": "en"}),
    (update_user, lambda m: {"id": m["bob"], "firstName": "Robert"}),
    (suspend_subscription, lambda m: {"id": m["ours"]}),
    (reactivate_subscription, lambda m: {"id": m["ours"]}),
    (close_subscription, lambda m: {"id": m["ours"]}),
    (notify_upcoming_invoice, lambda m: {"id": m["ours"]}),
    (event_commands.retry_event, lambda m: {"id": m["ours"]}),
    (event_commands.resolve_event, lambda m: {"id": m["ours"], "success": True}),
], ids=["createCompany", "createUser", "updateUser", "suspend", "reactivate", "close", "invoice",
        "retryEvent", "resolveEvent"])
async def test_everything_else_stays_the_administrators(world, market, command, changes):
    before = await dump_tables(world.db)

    outcome = await _write(world, command, market["actor"], changes(market))

    assert outcome.errors == [UserError(("input",), Code.NOT_ALLOWED, NOT_ALLOWED)]
    assert await dump_tables(world.db) == before


async def test_a_company_admin_sees_no_vendors_objects(world, market):
    actor, live = market["actor"], market["live"]
    [event_id] = [e.id for e in await _read(world, events.events_page, Actor(Role.ADMIN, None),
                                            {"subscription_id": market["ours"]}, None, 1)]
    before = await dump_tables(world.db)

    assert await _read(world, integrations.integrations_page, actor, None, 10) == ([], 0)
    assert await _read(world, integrations.visible_version, actor, live.integration) is None
    assert await _read(world, products.products_page, actor, None, 10) == ([], 0)
    assert await _read(world, products.visible_product, actor, live.product) is None
    assert await _read(world, events.events_page, actor, {}, None, 10) == []
    assert await _read(world, events.visible_event, actor, event_id) is None
    assert await _read(world, directory.integration_names, actor, {live.integration}) == {}
    refused = await _write(world, products.create_product, actor, {"name": "Mine"})
    assert refused.errors == [UserError(("input", "vendorId"), Code.NOT_FOUND, "Vendor not found.")]
    assert await dump_tables(world.db) == before
    # The catalog it orders from: the product's name and editions, not the vendor's objects.
    offered, total = await _read(world, products.catalog_page, actor, 10)
    assert ([p.id for p in offered], total) == ([live.product], 1)
    assert await _read(world, directory.product_names, actor, {live.product}) == {live.product: "App"}


# --- the role -----------------------------------------------------------------------------

async def test_the_role_is_granted_for_an_existing_company(world, market):
    async with world.db.write() as conn:
        granted = await grant_console_role(conn, world.services, "ada@buyer.example", Role.COMPANY_ADMIN,
                                           None, market["company"])
    actor = await _read(world, console_actor, market["ada"])

    assert granted.errors == []
    assert actor == Actor(Role.COMPANY_ADMIN, None, company_id=market["company"])


@pytest.mark.parametrize("role,vendor,company,error", [
    (Role.COMPANY_ADMIN, None, None, UserError(("company",), Code.NOT_FOUND,
                                               "A COMPANY_ADMIN needs the id of an existing company.")),
    (Role.COMPANY_ADMIN, None, "00000000-0000-4000-8000-00000000dead", UserError(
        ("company",), Code.NOT_FOUND, "A COMPANY_ADMIN needs the id of an existing company.")),
    (Role.COMPANY_ADMIN, "vendor", "company", UserError(("vendor",), Code.INVALID,
                                                        "Only a DEVELOPER is bound to a vendor.")),
    (Role.ADMIN, None, "company", UserError(("company",), Code.INVALID,
                                            "Only a COMPANY_ADMIN is bound to a company.")),
    (Role.DEVELOPER, "vendor", "company", UserError(("company",), Code.INVALID,
                                                    "Only a COMPANY_ADMIN is bound to a company.")),
], ids=["no-company", "unknown-company", "with-vendor", "admin-with-company", "developer-with-company"])
async def test_a_wrong_binding_is_refused_and_nothing_written(world, market, role, vendor, company, error):
    bindings = {"vendor": world.vendor_a, "company": market["company"]}
    before = await dump_tables(world.db)

    async with world.db.write() as conn:
        refused = await grant_console_role(conn, world.services, "ada@buyer.example", role,
                                           bindings.get(vendor, vendor), bindings.get(company, company))

    assert refused.errors == [error]
    assert await dump_tables(world.db) == before


async def test_no_api_token_carries_the_role(world):
    async with world.db.write() as conn:
        with pytest.raises(ValueError, match="^API tokens are for ADMIN and DEVELOPER only$"):
            await create_token(conn, world.services, Role.COMPANY_ADMIN, None, "company admin")
        # A row written by other means is still not a way in.
        await token_store.insert_token(conn, {
            "id": "00000000-0000-4000-8000-0000000000ca", "role": "COMPANY_ADMIN", "vendor_id": None,
            "token_hash": world.services.keyring.keyed_hash("mlk_forged"), "name": "forged",
            "created_on": START_MS})

    answered = await world.api.post("{ viewer { role } }", token="mlk_forged")

    assert answered.status_code == 401
    assert answered.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# --- the API, unchanged for administrators and developers -----------------------------------------

async def test_the_api_is_unchanged_for_administrators_and_developers(world, market):
    ours, theirs = market["ours"], market["theirs"]

    by_developer = await call(world, "cancelSubscription", ours, token=world.dev_a)
    developer_assigns = (await world.api.data(ASSIGN, {"s": ours, "u": market["bob"]}, world.dev_a))["assignUser"]
    developer_reads = await world.api.data("""query($c: ID!, $u: ID!, $s: ID!) { company(id: $c) { id }
      user(id: $u) { id } subscription(id: $s) { id } subscriptions { nodes { id } } }""",
                                           {"c": market["company"], "u": market["ada"], "s": theirs}, world.dev_a)
    by_admin = await call(world, "cancelSubscription", theirs)
    admin_assigns = (await world.api.data(ASSIGN, {"s": ours, "u": market["bob"]}, world.admin))["assignUser"]
    admin_reads = await world.api.data("""query($c: ID!, $u: ID!) { company(id: $c) { name }
      user(id: $u) { email } subscriptions { nodes { id } } }""",
                                       {"c": market["other_company"], "u": market["eve"]}, world.admin)

    assert by_developer == {"subscription": None, "userErrors": [
        {"__typename": "CancelSubscriptionError", "message": NOT_ALLOWED, "path": ["input"], "code": "NOT_ALLOWED"}]}
    assert developer_assigns == {"assignment": None, "userErrors": [
        {"message": NOT_ALLOWED, "path": ["input"], "code": "NOT_ALLOWED"}]}
    both = sorted([ours, theirs])  # same creation time: in id order
    assert developer_reads == {"company": None, "user": None, "subscription": {"id": theirs},
                               "subscriptions": {"nodes": [{"id": i} for i in both]}}
    assert by_admin == {"subscription": {"id": theirs, "status": "ACTIVE", "editionCode": "BASIC"},
                        "userErrors": []}
    assert admin_assigns == {"assignment": {"status": "ASSIGNING"}, "userErrors": []}
    assert admin_reads == {"company": {"name": "Other Co"}, "user": {"email": "eve@other.example"},
                           "subscriptions": {"nodes": [{"id": i} for i in both]}}
