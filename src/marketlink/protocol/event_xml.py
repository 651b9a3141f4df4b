"""The XML form of an event document (SPEC §3 step 3).

:func:`event_to_xml` writes the JSON-shaped event document (the shape of the vendor SDK's
fixtures, see ``domain/event_documents.py``) as the same tree under a root ``<event>``, for
vendors who read it with generic XML parsers:

* every object key becomes a child element of the same camelCase name, in the same order;
* null values are omitted (so are null list items);
* a list becomes repeated elements named by the singular of its key, with no wrapper element:
  ``payload.order.items`` gives ``<order><item>..</item><item>..</item></order>`` and the
  top-level ``links`` gives ``<link>`` elements directly under ``<event>``; an empty list gives
  nothing. Singular: ``-ies`` -> ``-y``; ``-sses``, ``-xes``, ``-ches``, ``-shes`` drop ``es``;
  else one trailing ``s`` is dropped (not ``-ss``); other keys are kept as they are;
* booleans are ``true``/``false``, numbers are written as JSON writes them, strings as they are
  (escaped by ElementTree); an empty object or empty string is an empty element
  (``<configuration />``).

``configuration`` and ``attributes`` are different: they are not part of the schema but free
maps whose keys are data (the checkout fields of ``createSubscription``, a user's attribute names
such as ``userName``). Such keys need not be XML names (``"Address/City"``, ``"2fa"``, spaces), so
they cannot become element names; they are written the way Java XML binders write a
``Map<String, String>``, which is what vendor code built for AppDirect reads::

    <configuration><entry><key>domain</key><value>x</value></entry></configuration>

A null map value gives an entry without ``<value>``; a nested object or list value is given as its
compact JSON text. An empty map is ``<configuration />`` either way, which is all the fixtures
contain for ``configuration``; ``attributes`` is null or ``{"userName": ...}`` there.

Text that XML 1.0 cannot carry (control characters other than tab, newline and carriage return,
lone surrogates, U+FFFE/U+FFFF) becomes U+FFFD. Raises ValueError for a schema key that is not a
valid element name or a non-finite number; TypeError for a list nested directly in a list or a
value that is not JSON-shaped. The result is UTF-8 with an XML declaration.
"""

import json
import math
import re
from collections.abc import Mapping
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

MAP_KEYS = frozenset({"configuration", "attributes"})
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_ELEMENT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
_NOT_XML_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def event_to_xml(document: Mapping[str, Any]) -> bytes:
    """The event document as UTF-8 XML under a root ``<event>`` (see the module docstring)."""
    root = Element("event")
    _append_members(root, document)
    return XML_DECLARATION + tostring(root, encoding="unicode").encode("utf-8")


def singular(key: str) -> str:
    """The element name of one item of the list under ``key``: ``items`` -> ``item``."""
    if key.endswith("ies"):
        return key[:-3] + "y"
    if key.endswith(("sses", "xes", "ches", "shes")):
        return key[:-2]
    if key.endswith("s") and not key.endswith("ss"):
        return key[:-1]
    return key


def _append_members(parent: Element, members: Mapping[str, Any]) -> None:
    for key, value in members.items():
        _append(parent, _element_name(key), value)


def _append(parent: Element, name: str, value: Any) -> None:
    """Append ``value`` to ``parent`` as element(s) named ``name``; None appends nothing."""
    if value is None:
        return
    if isinstance(value, list):
        _append_items(parent, singular(name), value)
    elif isinstance(value, Mapping) and name in MAP_KEYS:
        _append_map(SubElement(parent, name), value)
    elif isinstance(value, Mapping):
        _append_members(SubElement(parent, name), value)
    else:
        SubElement(parent, name).text = _scalar_text(value)


def _append_items(parent: Element, name: str, items: list[Any]) -> None:
    for item in items:
        if isinstance(item, list):
            raise TypeError(f"a list directly in a list has no XML form (<{name}>)")
        _append(parent, name, item)


def _append_map(element: Element, mapping: Mapping[Any, Any]) -> None:
    """``<entry><key>k</key><value>v</value></entry>`` for each member of a free map."""
    for key, value in mapping.items():
        entry = SubElement(element, "entry")
        SubElement(entry, "key").text = _text(str(key))
        if value is not None:
            SubElement(entry, "value").text = _map_value_text(value)


def _map_value_text(value: Any) -> str:
    if isinstance(value, (Mapping, list)):
        return _text(json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False))
    return _scalar_text(value)


def _scalar_text(value: Any) -> str:
    """A JSON scalar as element text: true/false, numbers as JSON writes them, strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value!r} has no JSON or XML form")
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return _text(value)
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def _element_name(key: Any) -> str:
    if not isinstance(key, str) or not _ELEMENT_NAME.match(key):
        raise ValueError(f"{key!r} is not a valid XML element name")
    return key


def _text(value: str) -> str:
    return _NOT_XML_CHARACTERS.sub("\ufffd", value)
