"""URL checks for what vendors configure (SPEC §2): event URLs and tokenUri must be absolute
http(s) URLs; event URLs may carry only our placeholders; SSO URLs may carry any placeholder."""

import pytest

from marketlink.domain.urls import event_url_problem, template_url_problem, url_problem

NOT_ABSOLUTE = "must be an absolute http(s) URL"
WHITESPACE = "must not contain whitespace"
TOO_LONG = "must be at most 2048 characters"


@pytest.mark.parametrize("value,problem", [
    ("https://host.example/create", None),
    ("http://host.example:8080/x?y=1#top", None),
    ("HTTPS://Host.Example", None),
    ("http://127.0.0.1/", None),
    ("http://[::1]:9000/", None),
    ("https://host.example/" + "a" * 2027, None),  # 2048 characters
    ("https://host.example/" + "a" * 2028, TOO_LONG),
    ("ftp://host.example", NOT_ABSOLUTE),
    ("mailto:dev@host.example", NOT_ABSOLUTE),
    ("//host.example/x", NOT_ABSOLUTE),
    ("host.example/create", NOT_ABSOLUTE),
    ("https://", NOT_ABSOLUTE),
    ("http:///path", NOT_ABSOLUTE),
    ("", NOT_ABSOLUTE),
    ("YOUR_INITIATE_LOGIN_URL", NOT_ABSOLUTE),
    ("http://[::1", NOT_ABSOLUTE),
    ("http://host.example:99999/", NOT_ABSOLUTE),
    ("http://host.example:port/", NOT_ABSOLUTE),
    (" https://host.example", WHITESPACE),
    ("https://host.example/\n", WHITESPACE),
    ("https://host.example/a b", WHITESPACE),
    ("https://host.example/\tx", WHITESPACE),
])
def test_url_problem(value, problem):
    assert url_problem(value) == problem


@pytest.mark.parametrize("value,problem", [
    ("https://host.example/create?url={eventUrl}", None),
    ("https://host.example/e?u={eventUrl}&o={url}&t={token}", None),
    ("https://{token}.host.example/x", None),
    ("https://host.example/{foo}", "unknown placeholder {foo}; use {eventUrl}, {url} or {token}"),
    ("https://host.example/{zeta}/{alpha}",
     "unknown placeholder {alpha}; use {eventUrl}, {url} or {token}"),
    ("https://host.example/{}", "unknown placeholder {}; use {eventUrl}, {url} or {token}"),
    ("https://host.example/{company.uuid}",
     "unknown placeholder {company.uuid}; use {eventUrl}, {url} or {token}"),
    ("{eventUrl}", NOT_ABSOLUTE),
    ("ftp://host.example/?u={eventUrl}", NOT_ABSOLUTE),
    ("https://host.example/{eventUrl} x", WHITESPACE),
    ("https://host.example/" + "a" * 2028, TOO_LONG),
])
def test_event_url_problem(value, problem):
    assert event_url_problem(value) == problem


@pytest.mark.parametrize("value,problem", [
    ("https://{company.uuid}.host.example/login", None),
    ("https://host.example/sso?user={user.email}&x={anything}", None),
    ("https://host.example/callback", None),
    ("YOUR_REDIRECT_URLS", NOT_ABSOLUTE),
    ("{company.uuid}", NOT_ABSOLUTE),
    ("ftp://{company.uuid}.host.example", NOT_ABSOLUTE),
    ("https://host.example/{user.email} ", WHITESPACE),
])
def test_template_url_problem(value, problem):
    assert template_url_problem(value) == problem


def test_placeholder_counts_as_one_character_for_the_length():
    value = "https://host.example/" + "a" * 2026 + "{eventUrl}"  # 2057 as given, 2048 once filled with "x"

    assert (url_problem(value), event_url_problem(value)) == (TOO_LONG, None)
