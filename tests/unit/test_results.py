"""Lenient parsing of a host's result (SPEC §3 steps 4-5): exact values for JSON and XML bodies,
the SDK fixtures, refusals, and a property: any input gives a HostResult or InvalidResponse."""

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketlink.delivery.results import HostResult, InvalidResponse, parse_result

FIXTURES = Path("/work/shared/reference/appdirect-sdk-fixtures/resolutionCallbacks")
JSON = "application/json"
XML = "application/xml"


def ok(account=None, user=None, message=None):
    return HostResult(True, account, user, None, message)


def failed(code, message=None, account=None, user=None):
    return HostResult(False, account, user, code, message)


@pytest.mark.parametrize("name,content_type,expected", [
    ("success.json", JSON, ok(message="async is resolved")),
    ("success.json", None, ok(message="async is resolved")),
    ("unknown_error.json", "application/json; charset=utf-8",
     failed("UNKNOWN_ERROR", "kaboom")),
    ("unknown_error.json", "text/html", failed("UNKNOWN_ERROR", "kaboom")),
])
def test_sdk_fixtures(name, content_type, expected):
    assert parse_result((FIXTURES / name).read_bytes(), content_type) == expected


JSON_CASES = [
    ({"success": True, "accountIdentifier": "acc-1"}, ok("acc-1")),
    ({"success": "true", "accountIdentifier": "acc-1"}, ok("acc-1")),
    ({"success": "TRUE", "userIdentifier": "u-7"}, ok(user="u-7")),
    ({"success": " True "}, ok()),
    ({"success": "FaLsE", "errorCode": "USER_NOT_FOUND"}, failed("USER_NOT_FOUND")),
    ({"success": True, "accountIdentifier": 206123}, ok("206123")),
    ({"success": True, "accountIdentifier": 12.0, "userIdentifier": 1.5}, ok("12", "1.5")),
    ({"success": True, "accountIdentifier": "  a b  "}, ok("a b")),
    ({"success": True, "accountIdentifier": "", "userIdentifier": "   "}, ok()),
    ({"success": True, "accountIdentifier": None, "message": None}, ok()),
    ({"success": True, "errorCode": "USER_NOT_FOUND"}, ok()),
    ({"success": False}, failed("UNKNOWN_ERROR")),
    ({"success": False, "errorCode": None}, failed("UNKNOWN_ERROR")),
    ({"success": False, "errorCode": "NO_SUCH_CODE"}, failed("UNKNOWN_ERROR")),
    ({"success": False, "errorCode": 42}, failed("UNKNOWN_ERROR")),
    ({"success": False, "errorCode": "OPERATION_CANCELED"}, failed("OPERATION_CANCELLED")),
    ({"success": False, "errorCode": "OPERATION_CANCELLED"}, failed("OPERATION_CANCELLED")),
    ({"success": False, "errorCode": " max_users_reached "}, failed("MAX_USERS_REACHED")),
    ({"success": False, "errorCode": "USER_ALREADY_EXISTS", "message": "taken",
      "accountIdentifier": "a", "userIdentifier": 9}, failed("USER_ALREADY_EXISTS", "taken", "a", "9")),
    ({"success": False, "errorCode": "CONFIGURATION_ERROR", "message": {"detail": "x"}},
     failed("CONFIGURATION_ERROR", '{"detail":"x"}')),
    ({"success": True, "message": 3}, ok(message="3")),
    ({"success": True, "message": ["a", "é"]}, ok(message='["a","é"]')),
    ({"success": True, "message": "nul\u0000 and \ud800"}, ok(message="nul\ufffd and \ufffd")),
    ({"success": True, "message": "x" * 5000}, ok(message="x" * 1024)),
    ({"success": True, "accountIdentifier": "y" * 300}, ok("y" * 255)),
    ({"success": True, "unknown": {"deep": [1, 2]}, "accountIdentifier": "z"}, ok("z")),
]


@pytest.mark.parametrize("document,expected", JSON_CASES)
def test_json_bodies(document, expected):
    assert parse_result(json.dumps(document).encode(), JSON) == expected


@pytest.mark.parametrize("code", [
    "USER_ALREADY_EXISTS", "USER_NOT_FOUND", "ACCOUNT_NOT_FOUND", "MAX_USERS_REACHED",
    "UNAUTHORIZED", "OPERATION_CANCELLED", "CONFIGURATION_ERROR", "INVALID_RESPONSE", "PENDING",
    "FORBIDDEN", "BINDING_NOT_FOUND", "TRANSPORT_ERROR", "UNKNOWN_ERROR",
])
def test_every_known_error_code_is_kept(code):
    body = json.dumps({"success": False, "errorCode": code}).encode()
    assert parse_result(body, JSON).error_code == code


XML_CASES = [
    ("<result><success>true</success><accountIdentifier>acc-1</accountIdentifier></result>",
     ok("acc-1")),
    (('<?xml version="1.0" encoding="UTF-8"?>\n<result>\n  <success>\n    TRUE\n  </success>\n'
      "  <accountIdentifier> 42 </accountIdentifier>\n  <userIdentifier>u</userIdentifier>\n"
      "</result>\n"), ok("42", "u")),
    (("<result><success>false</success><errorCode>ACCOUNT_NOT_FOUND</errorCode>"
      "<message>no <b>such</b> account<br/>, sorry</message></result>"),
     failed("ACCOUNT_NOT_FOUND", "no such account, sorry")),
    ("<result><success>false</success><errorCode>OPERATION_CANCELED</errorCode></result>",
     failed("OPERATION_CANCELLED")),
    ("<result><success>false</success><errorCode>WHATEVER</errorCode></result>",
     failed("UNKNOWN_ERROR")),
    ("<result><success>false</success><message>x &amp; y &lt;z&gt; &#233;</message></result>",
     failed("UNKNOWN_ERROR", "x & y <z> é")),
    ("<result><success>true</success><accountIdentifier/><message></message></result>", ok()),
    (("<result><success>true</success><accountIdentifier>first</accountIdentifier>"
      "<accountIdentifier>second</accountIdentifier><other>1</other></result>"), ok("first")),
    (('<r:result xmlns:r="urn:x"><r:success>true</r:success>'
      "<r:userIdentifier>n</r:userIdentifier></r:result>"), ok(user="n")),
    ("<result><success>true</success><!-- note --><message><![CDATA[a<b]]></message></result>",
     ok(message="a<b")),
    ("<result><success>true</success><message>" + "m" * 2000 + "</message></result>",
     ok(message="m" * 1024)),
    ("<result><success>true</success><errorCode>USER_NOT_FOUND</errorCode></result>", ok()),
]


@pytest.mark.parametrize("body,expected", XML_CASES)
def test_xml_bodies(body, expected):
    assert parse_result(body.encode(), XML) == expected


def test_xml_in_latin1_declared_in_prolog():
    body = '<?xml version="1.0" encoding="ISO-8859-1"?><result><success>true</success>' \
           "<message>café</message></result>"
    assert parse_result(body.encode("latin-1"), "text/xml") == ok(message="café")


@pytest.mark.parametrize("body,content_type,expected", [
    (b'{"success": true, "accountIdentifier": "j"}', "text/xml", ok("j")),
    (b'{"success": true, "accountIdentifier": "j"}', "text/plain", ok("j")),
    (b'\xef\xbb\xbf \n {"success": true, "accountIdentifier": "j"}', None, ok("j")),
    (b"<result><success>true</success><accountIdentifier>x</accountIdentifier></result>",
     JSON, ok("x")),
    (b"  <result><success>true</success><accountIdentifier>x</accountIdentifier></result>",
     None, ok("x")),
    (b"<result><success>true</success><accountIdentifier>x</accountIdentifier></result>",
     "text/html; charset=utf-8", ok("x")),
    (b'{"success": "true", "accountIdentifier": "v"}', "application/vnd.host+json", ok("v")),
    ('{"success": true, "message": "d\u00e9j\u00e0"}'.encode("latin-1"),
     "application/json; charset=ISO-8859-1", ok(message="d\u00e9j\u00e0")),
    ('{"success": true, "message": "d\u00e9j\u00e0"}'.encode(),
     'application/json; charset="ISO-8859-1"', ok(message="d\u00e9j\u00e0")),
])
def test_format_from_body_then_content_type(body, content_type, expected):
    assert parse_result(body, content_type) == expected


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<result><success>true</success><message>&lol3;</message></result>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<result><success>true</success><message>&xxe;</message></result>"""
PLAIN_DTD = b"""<!DOCTYPE result><result><success>true</success></result>"""


@pytest.mark.parametrize("body,content_type", [
    (b"", JSON),
    (b"", None),
    (b"   ", XML),
    (b"OK", None),
    (b"OK", "text/plain"),
    (b'"success"', JSON),
    (b"[]", JSON),
    (b"null", JSON),
    (b'{"success": true', JSON),
    (b"{}", JSON),
    (b'{"accountIdentifier": "a"}', JSON),
    (b'{"success": null}', JSON),
    (b'{"success": 1}', JSON),
    (b'{"success": "yes"}', JSON),
    (b'{"success": ["true"]}', JSON),
    (b'{"success": true, "accountIdentifier": {"id": 1}}', JSON),
    (b'{"success": true, "userIdentifier": [1]}', JSON),
    (b'{"success": true, "accountIdentifier": true}', JSON),
    (b'{"success": true, "accountIdentifier": NaN}', JSON),
    (b'{"success": true, "accountIdentifier": 1e999}', JSON),
    (b'{"success": true, "message": "\xff\xfe"}', JSON),
    (b"[" * 100000 + b"]" * 100000, JSON),
    (b"<result><success>true</success>", XML),
    (b"<result><accountIdentifier>a</accountIdentifier></result>", XML),
    (b"<result><success/></result>", XML),
    (b"<result><success>maybe</success></result>", XML),
    (b"<answer><success>true</success></answer>", XML),
    (b"<html><body>Internal error</body></html>", "text/html"),
    (BILLION_LAUGHS, XML),
    (EXTERNAL_ENTITY, XML),
    (PLAIN_DTD, XML),
    (b'<?xml version="1.0" encoding="no-such-encoding"?><result/>', XML),
    (b'{"success": true, "message": "' + b"x" * (1024 * 1024) + b'"}', JSON),
])
def test_unparseable_bodies_are_invalid_responses(body, content_type):
    with pytest.raises(InvalidResponse) as raised:
        parse_result(body, content_type)
    assert raised.value.reason == str(raised.value) != ""


@pytest.mark.parametrize("body,content_type,reason", [
    (b'{"accountIdentifier": "a"}', None, "success is missing"),
    (b'{"success": "yes"}', None, "success must be true or false"),
    (b"<answer/>", None, "XML root element must be <result>"),
    (b"[1]", JSON, "JSON result must be an object"),
    (b"[1]", None, "body is neither JSON nor XML"),
    (b"OK", "text/plain", "body is neither JSON nor XML"),
    (b"\xff{}", JSON, "JSON body is not valid UTF-8 nor in its declared charset"),
    (b"{} x", JSON, "invalid JSON: Extra data: line 1 column 4 (char 3)"),
    (b"<result>", XML, "invalid XML: no element found: line 1, column 8"),
    (b'{"success": true, "accountIdentifier": {}}', None,
     "accountIdentifier must be a string or a number"),
    (b'{"success": true, "userIdentifier": 1e400}', None, "numbers must be finite"),
    (b"x" * (1024 * 1024 + 1), None, "body is larger than 1048576 bytes"),
])
def test_invalid_response_reasons(body, content_type, reason):
    with pytest.raises(InvalidResponse, match="^" + re.escape(reason) + "$"):
        parse_result(body, content_type)


def test_host_result_is_frozen():
    result = parse_result(b'{"success": true}', JSON)
    with pytest.raises(AttributeError):
        result.success = False  # type: ignore[misc]


# --- property: never anything but a HostResult or InvalidResponse ---------------------------

CONTENT_TYPES = st.one_of(
    st.none(),
    st.sampled_from([JSON, XML, "text/xml", "text/plain", "text/html", "application/json; charset=utf-16",
                     "application/json; charset=idna", "application/json; charset=undefined",
                     "application/json; charset=rot13", "application/x+json;charset=\"\"", ""]),
    st.text(max_size=40),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
RESULT_KEYS = st.sampled_from(["success", "accountIdentifier", "userIdentifier", "errorCode", "message"])
RESULT_LIKE = st.dictionaries(
    RESULT_KEYS | st.text(max_size=5),
    JSON_VALUES | st.sampled_from(["true", "FALSE", "OPERATION_CANCELED", "PENDING"]),
    max_size=6,
)
XML_ALPHABET = st.sampled_from(list("<>/!?&;#=\"' []-x") + ["result", "success", "true", "message",
                                                           "errorCode", "<!DOCTYPE", "<!ENTITY",
                                                           "&#0;", "&amp;", "<![CDATA[", "]]>",
                                                           "<?xml version='1.0'?>", "\x00", "é"])
XML_ISH = st.lists(XML_ALPHABET, max_size=40).map("".join)
XML_RESULTS = st.builds(
    lambda success, field, text: f"<result><success>{success}</success><{field}>{text}</{field}></result>",
    st.sampled_from(["true", "false", " TRUE ", "1", ""]), RESULT_KEYS, XML_ISH,
)


def assert_total(body, content_type):
    try:
        result = parse_result(body, content_type)
    except InvalidResponse:
        return
    assert isinstance(result, HostResult)
    assert (result.error_code is None) == result.success
    for value, limit in [(result.account_identifier, 255), (result.user_identifier, 255),
                         (result.message, 1024)]:
        assert value is None or (isinstance(value, str) and 0 < len(value) <= limit)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), CONTENT_TYPES)
def test_any_bytes(body, content_type):
    assert_total(body, content_type)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES | RESULT_LIKE, CONTENT_TYPES, st.sampled_from(["utf-8", "utf-16", "latin-1"]))
def test_any_json_value(value, content_type, encoding):
    assert_total(json.dumps(value).encode(encoding), content_type)


@settings(max_examples=300, deadline=None)
@given(XML_ISH | XML_RESULTS, CONTENT_TYPES)
def test_any_xml_ish_text(text, content_type):
    assert_total(text.encode("utf-8", "surrogatepass"), content_type)
