"""Marketplace users log in (issue 4): the login page, the session cookie, logout, expiry, CSRF,
the `next` redirect and the failed-login limits, through the real ASGI app, on SQLite and
PostgreSQL."""

import asyncio
import re
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from marketlink.domain import companies
from marketlink.domain.actors import Actor, Role
from marketlink.domain.logins import LoginAttempt, Logins, set_password
from marketlink.domain.models import User
from marketlink.domain.passwords import Passwords
from marketlink.storage.tables import user_credentials, web_sessions
from tests.helpers import START_MS, World, dump_tables, make_world

ADMIN = Actor(Role.ADMIN, None)
PASSWORD = "correct horse battery staple"
# The OWASP floor: the parameters matter to one test below, the time of each hash to all.
FAST_HASHING = {"password_hash_memory_kib": 19_456, "password_hash_time_cost": 2,
                "password_hash_parallelism": 1}
REFUSAL = "Incorrect email or password. After repeated failures, logging in pauses for 15 minutes."
HOUR_MS = 3_600_000
TOKEN = r"[A-Za-z0-9_-]{43}"
CLEARED = r'=""; expires=[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT; HttpOnly; Max-Age=0; '


@dataclass
class Site:
    world: World
    client: httpx.AsyncClient
    ada: User


@asynccontextmanager
async def open_site(db, **settings):
    world, client = await make_world(db, **(FAST_HASHING | settings))
    async with client:
        ada = await add_user(world, "ada@buyer.example", PASSWORD)
        yield Site(world, client, ada)


@pytest.fixture
async def site(db):
    async with open_site(db) as opened:
        yield opened


async def add_user(world: World, email: str, password: str | None) -> User:
    async def create(conn):
        company = await companies.create_company(conn, ADMIN, world.services,
                                                 {"name": "Buyer", "country": "US"})
        return await companies.create_user(conn, ADMIN, world.services, {
            "companyId": company.value.id, "email": email, "firstName": "Ada",
            "lastName": "Lovelace", "language": "en"})

    user = (await world.db.command(create)).value
    if password is not None:
        await set_password(world.db, world.services, Passwords(world.settings), email, password)
    return user


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]*)"', html).group(1)


async def log_in(client: httpx.AsyncClient, email: str = "ada@buyer.example",
                 password: str = PASSWORD, next_path: str = "/") -> httpx.Response:
    form = await client.get("/login")
    return await client.post("/login", data={"email": email, "password": password,
                                             "csrf_token": csrf_of(form.text), "next": next_path})


async def session_rows(db) -> list[tuple]:
    async with db.read() as conn:
        return [tuple(r) for r in await conn.execute(
            select(web_sessions.c.id, web_sessions.c.user_id, web_sessions.c.created_on,
                   web_sessions.c.expires_on)
            .order_by(web_sessions.c.created_on, web_sessions.c.id))]


async def with_session(client: httpx.AsyncClient, token: str) -> httpx.Response:
    """``GET /`` with this session cookie only (an explicit Cookie header wins over the jar)."""
    return await client.get("/", headers={"Cookie": f"marketlink_session={token}"})


def session_token(response: httpx.Response) -> str:
    cookie = next(c for c in response.headers.get_list("set-cookie")
                  if c.startswith("marketlink_session="))
    return re.match(rf"marketlink_session=({TOKEN});", cookie).group(1)


# --- The page and a successful login

async def test_login_page_has_labelled_fields_and_a_login_cookie(site):
    response = await site.client.get("/login")

    assert response.status_code == 200
    assert '<label for="email">Email</label>' in response.text
    assert '<input id="email" name="email" type="email" autocomplete="username"' in response.text
    assert '<label for="password">Password</label>' in response.text
    assert re.fullmatch(r"[0-9a-f]{64}", csrf_of(response.text))
    [cookie] = response.headers.get_list("set-cookie")
    assert re.fullmatch(rf"marketlink_login={TOKEN}; HttpOnly; Path=/login; SameSite=lax", cookie)
    assert {k: response.headers[k] for k in ("cache-control", "x-frame-options")} == {
        "cache-control": "no-store", "x-frame-options": "DENY"}
    assert response.headers["content-security-policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'")


async def test_login_sets_the_session_cookie_and_stores_only_its_keyed_hash(site):
    response = await log_in(site.client)

    assert (response.status_code, response.headers["location"]) == (303, "/")
    token = session_token(response)
    assert response.headers.get_list("set-cookie") == [
        f"marketlink_session={token}; HttpOnly; Max-Age=43200; Path=/; SameSite=lax"]
    assert await session_rows(site.world.db) == [
        (site.world.services.keyring.keyed_hash(token), site.ada.id, START_MS, START_MS + 12 * HOUR_MS)]


async def test_the_home_page_shows_who_is_logged_in(site):
    await log_in(site.client)

    response = await site.client.get("/")

    assert response.status_code == 200
    assert "<p>Logged in as <strong>Ada Lovelace</strong> (ada@buyer.example).</p>" in response.text


async def test_email_is_matched_whatever_its_case_and_spaces(site):
    response = await log_in(site.client, email="  ADA@Buyer.example ")

    assert response.status_code == 303
    assert len(await session_rows(site.world.db)) == 1


async def test_cookies_are_secure_when_the_base_url_is_https(db):
    async with open_site(db, base_url="https://market.example") as site:
        page = await site.client.get("https://marketlink.test/login")
        response = await site.client.post("https://marketlink.test/login", data={
            "email": "ada@buyer.example", "password": PASSWORD, "csrf_token": csrf_of(page.text)})

    [login_cookie] = page.headers.get_list("set-cookie")
    assert login_cookie.endswith("; HttpOnly; Path=/login; SameSite=lax; Secure")
    assert response.headers.get_list("set-cookie")[0] == (
        f"marketlink_session={session_token(response)}; HttpOnly; Max-Age=43200; Path=/; "
        "SameSite=lax; Secure")


async def test_session_hours_set_the_lifetime(db):
    async with open_site(db, session_hours=1.5) as site:
        response = await log_in(site.client)

        assert f"; Max-Age={int(1.5 * 3600)}; " in response.headers["set-cookie"]
        assert (await session_rows(site.world.db))[0][3] == START_MS + int(1.5 * HOUR_MS)


# --- Refusals look alike and write nothing

@pytest.mark.parametrize("email,password", [
    ("ada@buyer.example", "wrong horse battery staple"),
    ("nobody@buyer.example", PASSWORD),
    ("", ""),
    ("ada@buyer.example", "x" * 1025),
])
async def test_refused_logins_answer_the_same_and_write_nothing(site, email, password):
    before = await dump_tables(site.world.db)

    response = await log_in(site.client, email=email, password=password)

    assert response.status_code == 400
    assert re.findall(r'role="alert" id="login-error">([^<]*)<', response.text) == [REFUSAL]
    assert "marketlink_session" not in response.headers.get("set-cookie", "")
    assert await dump_tables(site.world.db) == before


async def test_a_user_without_a_password_cannot_log_in(site):
    await add_user(site.world, "bob@buyer.example", None)

    response = await log_in(site.client, email="bob@buyer.example", password="")

    assert (response.status_code, re.findall(r'id="login-error">([^<]*)<', response.text)) == (400, [REFUSAL])
    assert await session_rows(site.world.db) == []


async def test_a_refused_login_keeps_the_email_and_next_but_not_the_password(site):
    response = await log_in(site.client, password="wrong horse battery staple", next_path="/apps")

    assert 'value="ada@buyer.example"' in response.text
    assert '<input type="hidden" name="next" value="/apps">' in response.text
    assert "wrong horse" not in response.text


async def test_markup_in_the_email_is_escaped(site):
    response = await log_in(site.client, email='"><script>alert(1)</script>')

    assert "<script>" not in response.text
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in response.text


# --- CSRF

async def test_login_without_the_csrf_token_is_forbidden_and_writes_nothing(site):
    await site.client.get("/login")
    before = await dump_tables(site.world.db)

    response = await site.client.post("/login", data={"email": "ada@buyer.example", "password": PASSWORD})

    assert response.status_code == 403
    assert "Form refused" in response.text
    assert response.headers.get("set-cookie") is None
    assert await dump_tables(site.world.db) == before


@pytest.mark.parametrize("tamper", ["wrong token", "token without its cookie", "cookie of another browser",
                                    "non-ASCII token"])
async def test_login_with_a_bad_csrf_token_is_forbidden(site, tamper):
    token = csrf_of((await site.client.get("/login")).text)
    if tamper == "wrong token":
        token = "0" * 64
    elif tamper == "token without its cookie":
        site.client.cookies.clear()
    elif tamper == "cookie of another browser":
        site.client.cookies.clear()
        await site.client.get("/login")
    else:
        token = "é" * 64
    before = await dump_tables(site.world.db)

    response = await site.client.post("/login", data={
        "email": "ada@buyer.example", "password": PASSWORD, "csrf_token": token})

    assert response.status_code == 403
    assert await dump_tables(site.world.db) == before


async def test_a_session_token_is_no_login_token(site):
    """Tokens are bound to what they protect: one from a signed-in page does not log in."""
    await log_in(site.client)
    home_token = csrf_of((await site.client.get("/")).text)

    response = await site.client.post("/login", data={
        "email": "ada@buyer.example", "password": PASSWORD, "csrf_token": home_token})

    assert response.status_code == 403


async def test_refused_csrf_does_not_count_as_a_failed_login(db):
    async with open_site(db, login_max_failures=1) as site:
        await site.client.get("/login")
        await site.client.post("/login", data={"email": "ada@buyer.example", "password": "x"})

        response = await log_in(site.client)

    assert response.status_code == 303


async def test_logout_without_the_csrf_token_is_forbidden_and_keeps_the_session(site):
    await log_in(site.client)
    before = await dump_tables(site.world.db)

    response = await site.client.post("/logout", data={"csrf_token": "0" * 64})

    assert response.status_code == 403
    assert await dump_tables(site.world.db) == before
    assert (await site.client.get("/")).status_code == 200


# --- Logout and expiry

async def test_logout_revokes_the_session(site):
    token = session_token(await log_in(site.client))
    home = await site.client.get("/")

    response = await site.client.post("/logout", data={"csrf_token": csrf_of(home.text)})

    assert (response.status_code, response.headers["location"]) == (303, "/login")
    assert re.fullmatch("marketlink_session" + CLEARED + "Path=/; SameSite=lax",
                        response.headers["set-cookie"])
    assert await session_rows(site.world.db) == []
    replayed = await with_session(site.client, token)
    assert (replayed.status_code, replayed.headers["location"]) == (303, "/login?next=%2F")


async def test_logout_without_a_session_just_goes_to_the_login_page(site):
    response = await site.client.post("/logout")

    assert (response.status_code, response.headers["location"]) == (303, "/login")


async def test_a_session_expires_after_session_hours(site):
    await log_in(site.client)

    site.world.clock.advance(12 * HOUR_MS - 1)
    last_moment = await site.client.get("/")
    site.world.clock.advance(1)
    expired = await site.client.get("/")

    assert last_moment.status_code == 200
    assert (expired.status_code, expired.headers["location"]) == (303, "/login?next=%2F")


async def test_each_user_keeps_only_the_newest_sessions(db):
    async with open_site(db, max_sessions_per_user=2) as site:
        tokens = []
        for _ in range(3):
            site.client.cookies.clear()  # another browser
            tokens.append(session_token(await log_in(site.client)))
            site.world.clock.advance(1)

        rows = await session_rows(db)
        oldest = await with_session(site.client, tokens[0])

    assert [row[0] for row in rows] == [site.world.services.keyring.keyed_hash(t) for t in tokens[1:]]
    assert oldest.status_code == 303


async def test_a_login_removes_expired_sessions(site):
    await log_in(site.client)
    site.world.clock.advance(12 * HOUR_MS)
    await add_user(site.world, "bob@buyer.example", PASSWORD)
    site.client.cookies.clear()

    token = session_token(await log_in(site.client, email="bob@buyer.example"))

    assert [row[0] for row in await session_rows(site.world.db)] == [
        site.world.services.keyring.keyed_hash(token)]


async def test_a_login_form_from_another_tab_replaces_the_session_the_browser_had(site):
    form = {"email": "ada@buyer.example", "password": PASSWORD,
            "csrf_token": csrf_of((await site.client.get("/login")).text)}
    first = session_token(await site.client.post("/login", data=form))

    second = session_token(await site.client.post("/login", data=form))

    assert first != second
    assert [row[0] for row in await session_rows(site.world.db)] == [
        site.world.services.keyring.keyed_hash(second)]


async def test_a_new_password_ends_every_session(site):
    await log_in(site.client)

    await set_password(site.world.db, site.world.services, Passwords(site.world.settings),
                       "ada@buyer.example", "a brand new passphrase")

    assert await session_rows(site.world.db) == []
    assert (await site.client.get("/")).status_code == 303
    assert (await log_in(site.client)).status_code == 400
    assert (await log_in(site.client, password="a brand new passphrase")).status_code == 303


# --- Where the browser goes next

async def test_anonymous_visitors_are_sent_to_login_with_the_page_to_come_back_to(site):
    response = await site.client.get("/?tab=apps")

    assert (response.status_code, response.headers["location"]) == (303, "/login?next=%2F%3Ftab%3Dapps")


async def test_login_goes_back_to_next(site):
    response = await log_in(site.client, next_path="/?tab=apps")

    assert response.headers["location"] == "/?tab=apps"


@pytest.mark.parametrize("next_path", [
    "//evil.example", "https://evil.example", "/\\evil.example", "\\\\evil.example",
    "/\tevil", "http:/evil.example", "javascript:alert(1)", "evil.example", "",
])
async def test_next_outside_the_site_goes_home(site, next_path):
    page = await site.client.get("/login", params={"next": next_path})

    response = await log_in(site.client, next_path=next_path)

    assert '<input type="hidden" name="next" value="/">' in page.text
    assert response.headers["location"] == "/"


async def test_a_signed_in_visitor_of_the_login_page_goes_to_next(site):
    await log_in(site.client)

    response = await site.client.get("/login", params={"next": "//evil.example"})
    onwards = await site.client.get("/login", params={"next": "/apps"})

    assert (response.status_code, response.headers["location"]) == (303, "/")
    assert onwards.headers["location"] == "/apps"


# --- Failed-login limits

async def test_too_many_failures_for_an_email_refuse_even_the_right_password(db):
    async with open_site(db, login_max_failures=3) as site:
        for _ in range(3):
            await log_in(site.client, password="wrong horse battery staple")

        locked = await log_in(site.client)
        site.world.clock.advance(900_000)
        later = await log_in(site.client)

    assert (locked.status_code, re.findall(r'id="login-error">([^<]*)<', locked.text)) == (400, [REFUSAL])
    assert later.status_code == 303


async def test_too_many_failures_from_an_address_refuse_every_email(db):
    async with open_site(db, login_max_failures_per_ip=2) as site:
        await log_in(site.client, email="nobody@buyer.example")
        await log_in(site.client, email="somebody@buyer.example")

        response = await log_in(site.client)

    assert response.status_code == 400
    assert await session_rows(db) == []


async def test_a_successful_login_clears_the_email_failures(db):
    async with open_site(db, login_max_failures=2) as site:
        await log_in(site.client, password="wrong horse battery staple")
        await log_in(site.client)
        site.client.cookies.clear()
        await log_in(site.client, password="wrong horse battery staple")

        response = await log_in(site.client)

    assert response.status_code == 303


async def test_concurrent_attempts_cannot_overrun_the_limit(db):
    async with open_site(db, login_max_failures=3) as site:
        logins, verified = Logins(db, site.world.services), []
        real_verify = logins.passwords.verify

        async def counting_verify(stored, password):
            verified.append(password)
            return await real_verify(stored, password)

        logins.passwords.verify = counting_verify
        answers = await asyncio.gather(*(
            logins.log_in(LoginAttempt("ada@buyer.example", f"wrong {n}", "10.0.0.1"))
            for n in range(6)))

    assert answers == [None] * 6
    assert sorted(verified) == ["wrong 0", "wrong 1", "wrong 2"]


# --- Stored hashes

async def test_the_stored_hash_is_argon2id_with_the_configured_parameters(site):
    async with site.world.db.read() as conn:
        stored = (await conn.execute(select(user_credentials.c.password_hash))).scalar_one()

    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


async def test_a_login_upgrades_a_hash_made_with_other_parameters(db):
    async with open_site(db) as site:
        old = Passwords(site.world.settings.model_copy(update={"password_hash_time_cost": 3}))
        await set_password(db, site.world.services, old, "ada@buyer.example", PASSWORD)

        response = await log_in(site.client)

        async with db.read() as conn:
            stored = (await conn.execute(select(user_credentials.c.password_hash))).scalar_one()
    assert response.status_code == 303
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
