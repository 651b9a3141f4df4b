"""Event URLs and notification URL templates (SPEC §3 step 2): exact outputs."""

import pytest

from marketlink.delivery.url_templates import event_url, notification_url

EVENT = "https://market.example/api/integration/v1/events/tok-123"
ENCODED = "https%3A%2F%2Fmarket.example%2Fapi%2Fintegration%2Fv1%2Fevents%2Ftok-123"


@pytest.mark.parametrize("base_url,token,expected", [
    ("https://market.example", "tok-123", EVENT),
    ("https://market.example/", "tok-123", EVENT),
    ("http://127.0.0.1:8000", "abc", "http://127.0.0.1:8000/api/integration/v1/events/abc"),
    ("https://market.example/prefix", "a_b.c~d",
     "https://market.example/prefix/api/integration/v1/events/a_b.c~d"),
    ("https://market.example", "a/b c", "https://market.example/api/integration/v1/events/a%2Fb%20c"),
])
def test_event_url(base_url, token, expected):
    assert event_url(base_url, token) == expected


@pytest.mark.parametrize("base_url,token", [
    ("https://market.example", ""),
    ("https://market.example?x=1", "t"),
    ("https://market.example/#top", "t"),
    ("https://market.example/?", "t"),
])
def test_event_url_refuses(base_url, token):
    with pytest.raises(ValueError):
        event_url(base_url, token)


@pytest.mark.parametrize("template,expected", [
    ("https://host.example/create?eventUrl={eventUrl}",
     "https://host.example/create?eventUrl=" + ENCODED),
    ("https://host.example/create?url={url}", "https://host.example/create?url=" + ENCODED),
    ("https://host.example/events/{token}", "https://host.example/events/tok-123"),
    ("https://host.example/e/{token}?u={url}&v={eventUrl}#{token}",
     f"https://host.example/e/tok-123?u={ENCODED}&v={ENCODED}#tok-123"),
    ("https://host.example/create", "https://host.example/create?eventUrl=" + ENCODED),
    ("https://host.example/create?a=1", "https://host.example/create?a=1&eventUrl=" + ENCODED),
    ("https://host.example/create?", "https://host.example/create?eventUrl=" + ENCODED),
    ("https://host.example/create?a=1&", "https://host.example/create?a=1&eventUrl=" + ENCODED),
    ("https://host.example/create#frag", "https://host.example/create?eventUrl=" + ENCODED + "#frag"),
    ("https://host.example/c?a=1#f?g", "https://host.example/c?a=1&eventUrl=" + ENCODED + "#f?g"),
    ("https://host.example/create#", "https://host.example/create?eventUrl=" + ENCODED + "#"),
    ("https://host.example/{other}", "https://host.example/{other}?eventUrl=" + ENCODED),
    ("https://host.example/{EVENTURL}", "https://host.example/{EVENTURL}?eventUrl=" + ENCODED),
])
def test_notification_url(template, expected):
    assert notification_url(template, EVENT, "tok-123") == expected


def test_values_are_encoded_and_never_substituted_again():
    odd_event = "https://m.example/e/{token}?x=a&b=é"
    assert notification_url("https://h.example/?e={eventUrl}&t={token}", odd_event, "{url}") == (
        "https://h.example/?e=https%3A%2F%2Fm.example%2Fe%2F%7Btoken%7D%3Fx%3Da%26b%3D%C3%A9"
        "&t=%7Burl%7D"
    )
