"""``prompt=login`` / ``max_age`` rules and the logout token's claims, as pure functions."""

import pytest
from authlib.oauth2.rfc6749 import InvalidRequestError

from marketlink.sso.oidc.logout import BACKCHANNEL_EVENT, LogoutNotice, logout_claims
from marketlink.sso.oidc.reauthentication import max_age_of, needs_fresh_login, reauthentication_url


@pytest.mark.parametrize("value, seconds", [(None, None), ("", None), ("0", 0), ("3600", 3600)])
def test_max_age_is_a_whole_number_of_seconds(value, seconds):
    assert max_age_of(value) == seconds


@pytest.mark.parametrize("value", ["-1", "1.5", "soon", "٣", "999999999999"])
def test_other_max_ages_are_invalid_requests(value):
    with pytest.raises(InvalidRequestError) as refused:
        max_age_of(value)
    assert refused.value.description == "'max_age' must be a number of seconds."


@pytest.mark.parametrize("prompt, max_age, age_ms, fresh", [
    (None, None, 10**9, False),
    ("login", None, 0, True),
    ("consent login", None, 0, True),
    ("consent", None, 10**9, False),
    (None, 60, 60_000, False),
    (None, 60, 60_001, True),
    (None, 0, 0, False),
    (None, 0, 1, True),
])
def test_a_fresh_login_is_needed_for_prompt_login_or_an_older_login_than_max_age(prompt, max_age, age_ms, fresh):
    assert needs_fresh_login(prompt, max_age, 1_000_000, 1_000_000 + age_ms) is fresh


def test_the_reauthentication_url_returns_without_login_in_the_prompt():
    url = reauthentication_url("/oauth2/authorize", [
        ("client_id", "c1"), ("prompt", "login consent"), ("state", "a b"), ("max_age", "60")])

    assert url == ("/login?next=%2Foauth2%2Fauthorize%3Fclient_id%3Dc1%26prompt%3Dconsent%26"
                   "state%3Da%2Bb%26max_age%3D60&reauth=1")
    assert reauthentication_url("/oauth2/authorize", [("prompt", "login")]) == \
        "/login?next=%2Foauth2%2Fauthorize&reauth=1"


def test_the_logout_token_names_the_session_the_user_and_the_event():
    claims = logout_claims("https://market.example", LogoutNotice(
        "https://app.example/logout", "client-1", "user-1", "ab" * 16), 1_700_000_000)

    jti = claims.pop("jti")
    assert len(jti) == 32 and int(jti, 16) >= 0
    assert claims == {"iss": "https://market.example", "aud": "client-1", "iat": 1_700_000_000,
                      "exp": 1_700_000_120, "sub": "user-1", "sid": "ab" * 16,
                      "events": {BACKCHANNEL_EVENT: {}}}
