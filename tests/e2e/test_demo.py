"""``make run`` as a new user meets it: the printed order example is delivered to the demo
product host, which fetches the event with its inbound client and activates the subscription."""

import json
import re
import shlex
import time

import httpx

from tests.e2e.server import RunningServer


def printed_queries(welcome: str) -> list[tuple[str, str]]:
    """(token, GraphQL query) of each curl example the demo printed."""
    examples = []
    for line in welcome.splitlines():
        if line.strip().startswith("curl -s"):
            words = shlex.split(line)
            token = words[words.index("-H") + 1].removeprefix("Authorization: Bearer ")
            examples.append((token, json.loads(words[words.index("-d") + 1])["query"]))
    return examples


def test_the_printed_order_becomes_active(tmp_path):
    server = RunningServer(tmp_path, f"sqlite:///{tmp_path / 'marketlink.db'}", deliver=True)
    server.start()
    try:
        (token, order), (_, look) = printed_queries(server.log.read_text())
        client = httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {token}"})
        placed = client.post("/graphql", json={"query": order}).json()
        deadline, nodes = time.monotonic() + 20, []
        while time.monotonic() < deadline:
            nodes = client.post("/graphql", json={"query": look}).json()["data"]["subscriptions"]["nodes"]
            if nodes and nodes[0]["status"] != "INITIALIZED":
                break
            time.sleep(0.1)
    finally:
        server.stop()

    assert placed["data"]["createSubscription"]["userErrors"] == []
    assert re.fullmatch(r"demo-[0-9a-f]{8}", nodes[0]["accountIdentifier"])
    assert {k: nodes[0][k] for k in ("status", "events")} == {
        "status": "ACTIVE", "events": [{"type": "SUBSCRIPTION_ORDER", "status": "SUCCEEDED"}]}


def test_the_printed_buyer_logs_in_and_out(tmp_path):
    server = RunningServer(tmp_path, f"sqlite:///{tmp_path / 'marketlink.db'}")
    server.start()
    try:
        welcome = server.log.read_text()
        email = re.search(r"^  as the buyer \(My Apps\): +(\S+)$", welcome, re.M).group(1)
        password = re.search(r"^  password: (\S+)$", welcome, re.M).group(1)
        staff = re.findall(r"^  as the console's administrator: +(\S+)$|^  as the demo vendor's "
                           r"developer: +(\S+)$", welcome, re.M)
        browser = httpx.Client(base_url=server.base_url)
        form = browser.get("/login", params={"next": "/"})
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        login = browser.post("/login", data={"email": email, "password": password,
                                             "csrf_token": csrf, "next": "/"})
        home = browser.get("/")
        logout = browser.post("/logout", data={
            "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', home.text).group(1)})
        after = browser.get("/")
        developer = httpx.Client(base_url=server.base_url)
        form = developer.get("/login", params={"next": "/console"})
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        developer.post("/login", data={"email": staff[1][1], "password": password,
                                       "csrf_token": csrf, "next": "/console"})
        console = developer.get("/console/integrations")
    finally:
        server.stop()

    assert (email, len(password)) == ("ada@demo-buyer.example", 16)
    assert (login.status_code, login.headers["location"]) == (303, "/")
    assert "Logged in as <strong>Ada Lovelace</strong> (ada@demo-buyer.example)." in home.text
    assert (logout.status_code, logout.headers["location"]) == (303, "/login")
    assert (after.status_code, after.headers["location"]) == (303, "/login?next=%2F")
    assert staff == [("admin@demo-marketplace.example", ""), ("", "dev@demo-vendor.example")]
    assert console.status_code == 200
    assert "dev@demo-vendor.example (DEVELOPER)" in console.text
    assert "Demo Integration" in console.text
