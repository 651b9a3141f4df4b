"""Two-legged OAuth 1.0a signing and verification, and the nonce replay guard (SPEC §3.2, §3.3)."""

import base64
import hashlib
import hmac
from urllib.parse import quote

import pytest

from marketlink.delivery.oauth1 import (
    NonceCache,
    Oauth1Failure,
    authorization_header,
    parse_authorization_header,
    verify,
)

KEY = "consumer-key"
SECRET = "consumer-secret"
TS = 1_700_000_000
NONCE = "n0nce"
EVENT_URL = "https%3A%2F%2Fmarket.example.com%2Fapi%2Fintegration%2Fv1%2Fevents%2Fab12"
URL = f"https://Vendor.example.com:443/api/notify?eventUrl={EVENT_URL}&lang=fr+CA&empty="


def signed(method: str = "GET", url: str = URL, key: str = KEY, secret: str = SECRET, nonce: str = NONCE) -> str:
    return authorization_header(method, url, key, secret, timestamp=TS, nonce=nonce)


def hmac_sha1_b64(key: bytes, text: str) -> str:
    return base64.b64encode(hmac.new(key, text.encode(), hashlib.sha1).digest()).decode()


# -- signing ------------------------------------------------------------------------------------


def test_header_for_fixed_timestamp_and_nonce_matches_a_hand_computed_base_string():
    # given the RFC 5849 §3.4.1 base string written out by hand: method, normalised URL (host in
    # lower case, default port dropped, no query), then the sorted, doubly encoded parameters,
    # query ones included ("+" is a space, so it becomes %2520; "empty=" keeps its "=")
    base_string = (
        "GET&https%3A%2F%2Fvendor.example.com%2Fapi%2Fnotify&"
        "empty%3D"
        "%26eventUrl%3Dhttps%253A%252F%252Fmarket.example.com%252Fapi%252Fintegration%252Fv1%252Fevents%252Fab12"
        "%26lang%3Dfr%2520CA"
        "%26oauth_consumer_key%3Dconsumer-key"
        "%26oauth_nonce%3Dn0nce"
        "%26oauth_signature_method%3DHMAC-SHA1"
        "%26oauth_timestamp%3D1700000000"
        "%26oauth_version%3D1.0"
    )
    expected_signature = hmac_sha1_b64(b"consumer-secret&", base_string)  # key: secret "&" (no token)

    # when
    header = signed()

    # then
    assert expected_signature == "NJTexaNZhAoGGZMiOGoXSfdFjN0="
    assert header == (
        'OAuth oauth_consumer_key="consumer-key", oauth_nonce="n0nce", '
        'oauth_signature_method="HMAC-SHA1", oauth_timestamp="1700000000", oauth_version="1.0", '
        f'oauth_signature="{quote(expected_signature, safe="")}"'
    )


def test_secret_and_values_are_percent_encoded_in_the_key_and_the_header():
    header = authorization_header("GET", "http://h.example/p", "k y", "s&cr%t", timestamp=5, nonce="a/b")
    base_string = (
        "GET&http%3A%2F%2Fh.example%2Fp&oauth_consumer_key%3Dk%2520y%26oauth_nonce%3Da%252Fb"
        "%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D5%26oauth_version%3D1.0"
    )
    signature = quote(hmac_sha1_b64(b"s%26cr%25t&", base_string), safe="")

    assert header == (
        'OAuth oauth_consumer_key="k%20y", oauth_nonce="a%2Fb", oauth_signature_method="HMAC-SHA1", '
        f'oauth_timestamp="5", oauth_version="1.0", oauth_signature="{signature}"'
    )


def test_default_timestamp_and_nonce_are_fresh():
    first = parse_authorization_header(authorization_header("GET", URL, KEY, SECRET))
    second = parse_authorization_header(authorization_header("GET", URL, KEY, SECRET))

    assert first["oauth_nonce"] != second["oauth_nonce"]
    assert len(first["oauth_nonce"]) == 32
    assert first["oauth_timestamp"].isdigit()


def test_url_with_oauth_query_parameters_is_refused_for_signing():
    with pytest.raises(ValueError, match="oauth_"):
        authorization_header("GET", "https://h.example/p?oauth_token=x", KEY, SECRET)


# -- verification -------------------------------------------------------------------------------


def test_sign_then_verify_round_trip():
    assert verify("GET", URL, signed(), KEY, SECRET, now=TS) == (True, None)


def test_url_is_normalised_as_rfc_5849_says_before_verifying():
    # host case and the default port are not part of the signature; the query order is not either
    url = f"https://vendor.example.com/api/notify?lang=fr+CA&empty=&eventUrl={EVENT_URL}"

    assert verify("GET", url, signed(), KEY, SECRET, now=TS) == (True, None)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("POST", URL),
        ("GET", URL.replace("/api/notify", "/api/notifz")),
        ("GET", URL.replace("ab12", "ab13")),
        ("GET", URL + "&extra=1"),
        ("GET", URL.replace("&empty=", "")),
        ("GET", URL.replace("https://", "http://")),
        ("GET", URL.replace(":443", ":8443")),
    ],
    ids=["method", "path", "query-value", "added-param", "removed-param", "scheme", "port"],
)
def test_tampered_request_fails(method, url):
    assert verify(method, url, signed(), KEY, SECRET, now=TS) == (False, Oauth1Failure.INVALID_SIGNATURE)


def test_wrong_secret_fails():
    assert verify("GET", URL, signed(secret="other"), KEY, SECRET, now=TS) == (
        False, Oauth1Failure.INVALID_SIGNATURE,
    )


def test_tampered_signature_fails():
    header = signed().replace('oauth_signature="N', 'oauth_signature="M')

    assert verify("GET", URL, header, KEY, SECRET, now=TS) == (False, Oauth1Failure.INVALID_SIGNATURE)


def test_other_consumer_key_fails_even_with_a_valid_signature_for_it():
    header = signed(key="someone-else")

    assert verify("GET", URL, header, KEY, SECRET, now=TS) == (False, Oauth1Failure.UNKNOWN_CONSUMER_KEY)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (TS + 300, (True, None)),
        (TS - 300, (True, None)),
        (TS + 301, (False, Oauth1Failure.TIMESTAMP_OUT_OF_WINDOW)),
        (TS - 301, (False, Oauth1Failure.TIMESTAMP_OUT_OF_WINDOW)),
    ],
)
def test_timestamp_must_be_within_the_window(now, expected):
    assert verify("GET", URL, signed(), KEY, SECRET, now=now) == expected


def test_window_is_configurable():
    assert verify("GET", URL, signed(), KEY, SECRET, now=TS + 61, window_s=60) == (
        False, Oauth1Failure.TIMESTAMP_OUT_OF_WINDOW,
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer abc", Oauth1Failure.MALFORMED_HEADER),
        ('OAuth oauth_consumer_key', Oauth1Failure.MALFORMED_HEADER),
        ('OAuth oauth_nonce="a", oauth_nonce="b"', Oauth1Failure.MALFORMED_HEADER),
        ('OAuth foo="bar"', Oauth1Failure.MALFORMED_HEADER),
        ('OAuth oauth_consumer_key="consumer-key"', Oauth1Failure.MISSING_PARAMETER),
    ],
    ids=["scheme", "no-value", "duplicate", "foreign-param", "missing"],
)
def test_malformed_or_incomplete_header_fails(header, expected):
    assert verify("GET", URL, header, KEY, SECRET, now=TS) == (False, expected)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('"HMAC-SHA1"', '"PLAINTEXT"', Oauth1Failure.UNSUPPORTED_SIGNATURE_METHOD),
        ('oauth_version="1.0"', 'oauth_version="2.0"', Oauth1Failure.UNSUPPORTED_VERSION),
        ('"1700000000"', '"17e8"', Oauth1Failure.INVALID_TIMESTAMP),
        ('oauth_nonce="n0nce"', 'oauth_nonce=""', Oauth1Failure.INVALID_NONCE),
    ],
)
def test_protocol_parameters_are_checked(old, new, expected):
    header = signed().replace(old, new)

    assert verify("GET", URL, header, KEY, SECRET, now=TS) == (False, expected)


def test_realm_and_missing_version_are_accepted():
    header = signed().replace('OAuth ', 'OAuth realm="Example", ')
    without_version = header.replace(', oauth_version="1.0"', "")

    assert verify("GET", URL, header, KEY, SECRET, now=TS) == (True, None)
    # the version is part of the signed parameters, so dropping it breaks the signature
    assert verify("GET", URL, without_version, KEY, SECRET, now=TS) == (False, Oauth1Failure.INVALID_SIGNATURE)


def test_oauth_parameters_in_the_query_are_refused():
    url = URL + "&oauth_token=x"

    assert verify("GET", url, signed(), KEY, SECRET, now=TS) == (False, Oauth1Failure.OAUTH_PARAMETERS_IN_QUERY)


def test_verify_with_a_nonce_cache_refuses_a_replay():
    nonces = NonceCache(window_s=300)

    first = verify("GET", URL, signed(), KEY, SECRET, now=TS, nonces=nonces)
    replay = verify("GET", URL, signed(), KEY, SECRET, now=TS + 10, nonces=nonces)

    assert (first, replay) == ((True, None), (False, Oauth1Failure.NONCE_REUSED))


def test_badly_signed_request_does_not_use_up_the_nonce():
    nonces = NonceCache(window_s=300)

    forged = verify("GET", URL, signed(secret="guess"), KEY, SECRET, now=TS, nonces=nonces)
    genuine = verify("GET", URL, signed(), KEY, SECRET, now=TS, nonces=nonces)

    assert (forged, genuine) == ((False, Oauth1Failure.INVALID_SIGNATURE), (True, None))
    assert len(nonces) == 1


def test_nonce_cache_shorter_than_the_window_is_a_programming_error():
    with pytest.raises(ValueError, match="at least as long"):
        verify("GET", URL, signed(), KEY, SECRET, now=TS, nonces=NonceCache(window_s=60))


# -- nonce cache --------------------------------------------------------------------------------


def test_nonce_cache_detects_replays_per_key_timestamp_and_nonce():
    nonces = NonceCache(window_s=300)

    assert nonces.seen_before("k", TS, "n1", now=TS) is False
    assert nonces.seen_before("k", TS, "n1", now=TS + 1) is True
    assert nonces.seen_before("k", TS, "n2", now=TS + 1) is False
    assert nonces.seen_before("other", TS, "n1", now=TS + 1) is False
    assert nonces.seen_before("k", TS + 1, "n1", now=TS + 1) is False
    assert len(nonces) == 4


def test_nonce_cache_forgets_entries_once_their_timestamp_leaves_the_window():
    nonces = NonceCache(window_s=300)
    nonces.seen_before("k", TS, "n1", now=TS)

    assert nonces.seen_before("k", TS + 1, "n2", now=TS + 300) is False
    assert len(nonces) == 2  # TS + 300 is still inside the window of n1
    assert nonces.seen_before("k", TS + 2, "n3", now=TS + 301) is False
    assert len(nonces) == 2  # n1 evicted
    assert nonces.check("k", TS, "n1", now=TS + 301) == "timestamp_out_of_window"


def test_full_nonce_cache_evicts_expired_entries_first_then_refuses_new_ones():
    nonces = NonceCache(window_s=300, max_entries=2)
    nonces.seen_before("k", TS, "n1", now=TS)
    nonces.seen_before("k", TS + 100, "n2", now=TS + 100)

    refused = nonces.check("k", TS + 200, "n3", now=TS + 200)
    accepted = nonces.check("k", TS + 301, "n4", now=TS + 301)  # n1 has expired by now

    assert (refused, accepted) == ("nonce_cache_full", None)
    assert nonces.refused == 1
    assert len(nonces) == 2
    assert nonces.seen_before("k", TS + 100, "n2", now=TS + 301) is True  # n2 is still remembered


def test_verify_reports_a_full_nonce_cache():
    nonces = NonceCache(window_s=300, max_entries=1)
    verify("GET", URL, signed(nonce="first"), KEY, SECRET, now=TS, nonces=nonces)

    assert verify("GET", URL, signed(nonce="second"), KEY, SECRET, now=TS, nonces=nonces) == (
        False, Oauth1Failure.NONCE_CACHE_FULL,
    )
