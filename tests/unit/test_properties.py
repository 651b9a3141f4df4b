"""Properties, over generated input (hypothesis): URL templates and OAuth 1.0a signatures.

- A notification URL built from any template carries the event URL so that the host reads it
  back exactly (one query value, or the placeholder's place), and the event URL itself never
  has a query or fragment.
- Any request signed by ``authorization_header`` verifies with the same key, secret, method
  and URL; changing any of them, or replaying the nonce, is refused.
"""

from urllib.parse import parse_qs, unquote, urlsplit

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from marketlink.delivery.nonce_cache import NonceCache
from marketlink.delivery.oauth1 import Oauth1Failure, authorization_header, verify
from marketlink.delivery.url_templates import event_url, notification_url

TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=1, max_size=64)
HOST = st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,10}){0,3}", fullmatch=True)
PATH = st.lists(st.text(alphabet="abcXYZ019-._~%!$&'()*+,;=:@ é", max_size=8), max_size=4).map(
    lambda parts: "/" + "/".join(parts))
QUERY = st.lists(st.tuples(st.text(alphabet="abcxyz_", min_size=1, max_size=6),
                           st.text(alphabet="abc 123&=%é/", max_size=8)), max_size=3)
SECRET = st.text(min_size=1, max_size=40).filter(lambda s: "\x00" not in s)
NOW = 1_764_000_000


def base_url(host: str, path: str) -> str:
    return f"https://{host}{path.rstrip('/')}"


@given(HOST, PATH, TOKEN)
def test_the_event_url_ends_with_the_token_and_has_no_query_or_fragment(host, path, token):
    url = event_url(base_url(host, path), token)

    parts = urlsplit(url)
    assert (parts.query, parts.fragment) == ("", "")
    assert url.endswith("/api/integration/v1/events/" + token)


@given(HOST, PATH, QUERY, TOKEN, st.booleans())
def test_a_template_without_placeholder_gets_the_event_url_as_one_query_value(host, path, query, token, fragment):
    template = f"https://{host}{path}" + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "") + (
        "#frag" if fragment else "")
    assume("eventUrl" not in template and "{" not in template)
    event = event_url("https://market.example", token)

    url = notification_url(template, event, token)

    parts = urlsplit(url)
    assert parse_qs(parts.query, keep_blank_values=True)["eventUrl"][-1] == event
    assert parts.fragment == ("frag" if fragment else "")
    assert url.startswith(template.partition("#")[0])


@given(st.sampled_from(["{eventUrl}", "{url}"]), HOST, TOKEN, st.text(alphabet="abc/?=&", max_size=10))
def test_a_placeholder_is_replaced_by_the_percent_encoded_event_url(placeholder, host, token, prefix):
    template = f"https://{host}/hook?{prefix}x={placeholder}&t={{token}}"
    event = event_url("https://market.example/base", token)

    url = notification_url(template, event, token)

    encoded = url.split("x=", 1)[1].split("&t=", 1)[0]
    assert unquote(encoded) == event and "/" not in encoded and "?" not in encoded
    assert url.endswith("&t=" + token)


SIGNED_URL = st.builds(lambda host, path, query: f"https://{host}{path}" + (
    "?" + "&".join(f"{k}={v}" for k, v in query) if query else ""), HOST, PATH, QUERY)


@settings(max_examples=150)
@given(st.sampled_from(["GET", "POST"]), SIGNED_URL, SECRET, SECRET)
def test_a_signed_request_verifies_once_and_any_change_is_refused(method, url, key, secret):
    header = authorization_header(method, url, key, secret, timestamp=NOW, nonce="n" * 32)
    nonces = NonceCache()

    assert verify(method, url, header, key, secret, NOW, nonces=nonces) == (True, None)
    assert verify(method, url, header, key, secret, NOW, nonces=nonces) == (False, Oauth1Failure.NONCE_REUSED)
    assert verify(method, url, header, key, secret + "x", NOW)[0] is False
    assert verify(method, url + ("&" if "?" in url else "?") + "z=1", header, key, secret, NOW)[0] is False
    assert verify("PUT", url, header, key, secret, NOW)[0] is False
    assert verify(method, url, header, key + "x", secret, NOW)[0] is False


@given(SIGNED_URL, SECRET, st.integers(min_value=-10_000, max_value=10_000))
def test_the_timestamp_window_is_the_only_time_rule(url, secret, skew):
    header = authorization_header("GET", url, "key", secret, timestamp=NOW + skew, nonce="m" * 32)

    accepted, failure = verify("GET", url, header, "key", secret, NOW, window_s=300)

    assert accepted is (abs(skew) <= 300)
    assert failure is (None if abs(skew) <= 300 else Oauth1Failure.TIMESTAMP_OUT_OF_WINDOW)
