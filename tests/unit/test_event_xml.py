"""The XML form of event documents (SPEC §3 step 3).

The XML is read back the way a vendor's generic parser would: each element is its text when it
has no children, else the ordered list of (tag, value) of its children. That must equal the JSON
document with nulls dropped, each list replaced by repeated elements named by the singular of its
key, and the free maps (configuration, attributes) written as entry/key/value.
"""

import json
import math
from pathlib import Path

import pytest
from defusedxml.ElementTree import fromstring
from hypothesis import given, settings
from hypothesis import strategies as st

from marketlink.protocol.event_xml import event_to_xml, singular

FIXTURES = sorted(Path("/work/shared/reference/appdirect-sdk-fixtures/events").glob("*.json"))
LIST_ELEMENTS = {"items": "item", "links": "link", "entries": "entry", "addresses": "address"}
FREE_MAPS = {"configuration", "attributes"}
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def read_tree(element):
    """A generic reader: text of a leaf, else [(tag, subtree), ...] in document order."""
    children = list(element)
    if not children:
        return element.text or ""
    assert not (element.text or "").strip(), f"mixed content in <{element.tag}>"
    assert all(not (child.tail or "").strip() for child in children)
    return [(child.tag, read_tree(child)) for child in children]


def read_xml(data: bytes):
    assert data.startswith(DECLARATION)
    root = fromstring(data, forbid_dtd=True)
    assert root.tag == "event"
    return read_tree(root)


def expected_tree(value, key=None):
    """What the generic reader must give for a JSON value (see module docstring)."""
    if isinstance(value, dict) and key in FREE_MAPS:
        return [("entry", map_entry(k, v)) for k, v in value.items()] or ""
    if isinstance(value, dict):
        pairs = []
        for name, member in value.items():
            if isinstance(member, list):
                pairs += [(LIST_ELEMENTS[name], expected_tree(item)) for item in member if item is not None]
            elif member is not None:
                pairs.append((name, expected_tree(member, name)))
        return pairs or ""
    return scalar_text(value)


def map_entry(key, value):
    if value is None:
        return [("key", key)]
    if isinstance(value, (dict, list)):
        return [("key", key), ("value", json.dumps(value, separators=(",", ":"), ensure_ascii=False))]
    return [("key", key), ("value", scalar_text(value))]


def scalar_text(value):
    if value is True or value is False:
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.stem)
def test_every_fixture_reads_back_as_the_json_tree(path):
    document = json.loads(path.read_text())
    assert read_xml(event_to_xml(document)) == expected_tree(document)


def test_fixtures_are_all_there():
    names = {path.stem for path in FIXTURES}
    assert {"subscription-order", "subscription-change", "user-assign", "usage-report-bill-request",
            "subscription-cancel-addon", "subscription-upcoming-invoice"} <= names


def test_user_assignment_fixture_in_detail():
    """Spot checks against hand-written values, independent of ``expected_tree``."""
    document = json.loads((FIXTURES[0].parent / "user-assign.json").read_text())
    root = fromstring(event_to_xml(document))
    assert [child.tag for child in root] == ["type", "marketplace", "creator", "payload"]
    assert root.findtext("payload/user/attributes/entry/key") == "userName"
    assert root.findtext("payload/user/attributes/entry/value") == "flamail151@flamail150.onmicrosoft.com"
    assert root.find("payload/configuration") is not None and len(root.find("payload/configuration")) == 0
    assert root.find("payload/account/parentAccountIdentifier") is None
    assert root.findtext("creator/address/street2") == ""
    assert root.find("link") is None and root.find("links") is None


def test_order_items_are_repeated_without_wrapper():
    document = json.loads((FIXTURES[0].parent / "subscription-change.json").read_text())
    document["payload"]["order"]["items"].append({"unit": "USER", "quantity": 3})
    order = fromstring(event_to_xml(document)).find("payload/order")
    assert [child.tag for child in order] == ["editionCode", "pricingDuration", "item", "item"]
    assert [(item.findtext("unit"), item.findtext("quantity")) for item in order.findall("item")] == [
        ("GIGABYTE", "25"), ("USER", "3")]


SMALL = {
    "type": "SUBSCRIPTION_ORDER",
    "flag": None,
    "marketplace": {"partner": "ACME & <Co>", "baseUrl": "https://m.example"},
    "payload": {
        "account": {"accountIdentifier": None, "active": True, "seats": 2, "ratio": 0.5},
        "order": {"editionCode": "BASIC", "items": [{"unit": "USER", "quantity": 10}, None]},
        "notice": {},
        "configuration": {"domain": "x.example", "Address/City": "Paris", "empty": None},
    },
    "links": [{"rel": "self", "href": "https://m.example/e?a=1&b=2"}],
    "returnUrl": "",
}
SMALL_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b"<event><type>SUBSCRIPTION_ORDER</type>"
    b"<marketplace><partner>ACME &amp; &lt;Co&gt;</partner><baseUrl>https://m.example</baseUrl></marketplace>"
    b"<payload><account><active>true</active><seats>2</seats><ratio>0.5</ratio></account>"
    b"<order><editionCode>BASIC</editionCode><item><unit>USER</unit><quantity>10</quantity></item></order>"
    b"<notice /><configuration>"
    b"<entry><key>domain</key><value>x.example</value></entry>"
    b"<entry><key>Address/City</key><value>Paris</value></entry>"
    b"<entry><key>empty</key></entry></configuration></payload>"
    b"<link><rel>self</rel><href>https://m.example/e?a=1&amp;b=2</href></link>"
    b"<returnUrl /></event>"
)


def test_exact_xml_of_a_small_document():
    assert event_to_xml(SMALL) == SMALL_XML


def test_empty_document_and_non_ascii():
    assert event_to_xml({}) == DECLARATION + b"<event />"
    assert event_to_xml({"type": "é\u4e2d😀"}) == DECLARATION + "<event><type>é\u4e2d😀</type></event>".encode("utf-8")


@pytest.mark.parametrize("value,text", [
    ("a\x00b\x1fc\ud800d\ufffe", "a\ufffdb\ufffdc\ufffdd\ufffd"),
    ("tab\tand\nnewline", "tab\tand\nnewline"),
    ("]]> <!-- --> &amp;", "]]> <!-- --> &amp;"),
])
def test_text_xml_cannot_carry_is_replaced(value, text):
    assert fromstring(event_to_xml({"name": value})).findtext("name") == text


def test_free_map_values_that_are_not_strings():
    xml = event_to_xml({"attributes": {"n": 1, "b": False, "o": {"k": [1, "é"]}}})
    assert xml == DECLARATION + (
        "<event><attributes><entry><key>n</key><value>1</value></entry>"
        "<entry><key>b</key><value>false</value></entry>"
        '<entry><key>o</key><value>{"k":[1,"é"]}</value></entry></attributes></event>'
    ).encode()


def test_configuration_as_a_list_is_an_ordinary_list():
    assert event_to_xml({"payload": {"configuration": []}}) == DECLARATION + b"<event><payload /></event>"


@pytest.mark.parametrize("document,error", [
    ({"bad name": 1}, ValueError),
    ({"1st": 1}, ValueError),
    ({"a<b": 1}, ValueError),
    ({"": 1}, ValueError),
    ({"items": [[1, 2]]}, TypeError),
    ({"n": math.nan}, ValueError),
    ({"n": math.inf}, ValueError),
    ({"n": b"bytes"}, TypeError),
    ({"n": object()}, TypeError),
    ({1: "x"}, ValueError),
])
def test_refused_documents(document, error):
    with pytest.raises(error):
        event_to_xml(document)


@pytest.mark.parametrize("key,expected", [
    ("items", "item"), ("links", "link"), ("entries", "entry"), ("addresses", "address"),
    ("boxes", "box"), ("matches", "match"), ("wishes", "wish"), ("class", "class"),
    ("data", "data"), ("children", "children"),
])
def test_singular(key, expected):
    assert singular(key) == expected


# --- property: arbitrary JSON-shaped documents read back as their tree ----------------------

TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff")
               | st.sampled_from("\t\n"), max_size=12)
NAMES = st.from_regex(r"[a-z][a-zA-Z0-9_]{0,6}", fullmatch=True).filter(
    lambda name: name not in FREE_MAPS and name not in LIST_ELEMENTS)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT
FREE_MAP = st.dictionaries(TEXT, st.none() | st.booleans() | st.integers() | TEXT, max_size=3)


def objects(children):
    members = st.dictionaries(NAMES, children, max_size=4)
    lists = st.dictionaries(st.sampled_from(sorted(LIST_ELEMENTS)),
                            st.lists(children.filter(lambda v: not isinstance(v, list)), max_size=3),
                            max_size=2)
    maps = st.dictionaries(st.sampled_from(sorted(FREE_MAPS)), FREE_MAP, max_size=2)
    return st.builds(lambda *parts: {k: v for part in parts for k, v in part.items()}, members, lists, maps)


DOCUMENTS = objects(st.recursive(SCALARS, objects, max_leaves=15))


@settings(max_examples=200, deadline=None)
@given(DOCUMENTS)
def test_any_document_reads_back_as_its_tree(document):
    assert read_xml(event_to_xml(document)) == expected_tree(document)
