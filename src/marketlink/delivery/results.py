"""Lenient parsing of a product host's result (SPEC §3 steps 4-5).

A result is the host's answer to a notification (HTTP 200) or the body it later POSTs to
``/api/integration/v1/events/<token>/result``: ``success``, ``accountIdentifier``,
``userIdentifier``, ``errorCode`` and ``message``, as a JSON object or as XML under a root
``<result>``.

Contract of :func:`parse_result`: it is pure, and for any input it either returns a
:class:`HostResult` or raises :class:`InvalidResponse` (the caller records ``INVALID_RESPONSE``);
it never raises anything else. Leniency, because hosts in the field do all of these:

* the format comes from the body when its first significant byte says so (``{`` is JSON,
  ``<`` is XML: a body starting so can only be that format, whatever the content type claims);
  otherwise from the content type (``application/json``, ``*/*+json``, ``application/xml``,
  ``text/xml``, ``*/*+xml``);
* ``success`` is a boolean or the string ``"true"``/``"false"`` in any case; missing or anything
  else is invalid;
* identifiers may be strings or numbers (returned as strings; blank means absent);
* ``message`` may be any JSON value (non-strings are given as compact JSON) or, in XML, contain
  nested elements (its full text content is taken);
* ``errorCode`` is matched case-insensitively, ``OPERATION_CANCELED`` means
  ``OPERATION_CANCELLED``, anything unknown or missing on a failure is ``UNKNOWN_ERROR``;
  ``error_code`` is None exactly when ``success`` is True;
* strings are stripped, control characters and lone surrogates become U+FFFD, and lengths are
  capped (identifiers 255, message 1024 characters) instead of failing.

XML is parsed with defusedxml and any DTD is refused, so entity expansion bombs and external
entities are :class:`InvalidResponse`. Bodies above ``MAX_BODY_BYTES`` are refused unread.
"""

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml

KNOWN_ERROR_CODES = frozenset({
    "USER_ALREADY_EXISTS", "USER_NOT_FOUND", "ACCOUNT_NOT_FOUND", "MAX_USERS_REACHED",
    "UNAUTHORIZED", "OPERATION_CANCELLED", "CONFIGURATION_ERROR", "INVALID_RESPONSE", "PENDING",
    "FORBIDDEN", "BINDING_NOT_FOUND", "TRANSPORT_ERROR", "UNKNOWN_ERROR",
})
ERROR_CODE_ALIASES = {"OPERATION_CANCELED": "OPERATION_CANCELLED"}
UNKNOWN_ERROR = "UNKNOWN_ERROR"
MAX_IDENTIFIER_LENGTH = 255
MAX_MESSAGE_LENGTH = 1024
MAX_BODY_BYTES = 1024 * 1024
FIELDS = ("success", "accountIdentifier", "userIdentifier", "errorCode", "message")

_UTF8_BOM = b"\xef\xbb\xbf"
_UNSAFE_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_JSON_MEDIA_TYPES = frozenset({"application/json", "text/json"})
_XML_MEDIA_TYPES = frozenset({"application/xml", "text/xml"})


class InvalidResponse(ValueError):
    """The host's answer cannot be read as a result; ``reason`` says why (for the event log)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class HostResult:
    """A host's result, normalised: see the module docstring for the guarantees."""

    success: bool
    account_identifier: str | None
    user_identifier: str | None
    error_code: str | None
    message: str | None


def parse_result(body: bytes, content_type: str | None) -> HostResult:
    """The result in ``body`` (JSON or XML, see module docstring), or :class:`InvalidResponse`."""
    if len(body) > MAX_BODY_BYTES:
        raise InvalidResponse(f"body is larger than {MAX_BODY_BYTES} bytes")
    body_format = _sniffed_format(body) or _declared_format(content_type)
    if body_format == "json":
        return _result_from_fields(_json_fields(body, _charset(content_type)))
    if body_format == "xml":
        return _result_from_fields(_xml_fields(body))
    raise InvalidResponse("body is neither JSON nor XML")


# --- choosing the format -------------------------------------------------------------------


def _sniffed_format(body: bytes) -> str | None:
    """The format the first significant byte decides ("json" or "xml"), else None."""
    head = body.removeprefix(_UTF8_BOM).lstrip(b" \t\r\n")[:1]
    return {b"{": "json", b"<": "xml"}.get(head)


def _declared_format(content_type: str | None) -> str | None:
    """The format the content type declares ("json" or "xml"), else None."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type in _JSON_MEDIA_TYPES or media_type.endswith("+json"):
        return "json"
    if media_type in _XML_MEDIA_TYPES or media_type.endswith("+xml"):
        return "xml"
    return None


def _charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of the content type, unquoted, or None."""
    for parameter in (content_type or "").split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"'):
            return value.strip().strip('"')
    return None


# --- JSON ----------------------------------------------------------------------------------


def _json_fields(body: bytes, charset: str | None) -> Mapping[str, Any]:
    """The top-level JSON object of ``body``; NaN and Infinity are not JSON."""
    text = _json_text(body, charset)
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        raise InvalidResponse(f"invalid JSON: {_short(str(error))}") from None
    if not isinstance(value, dict):
        raise InvalidResponse("JSON result must be an object")
    return value


def _json_text(body: bytes, charset: str | None) -> str:
    """``body`` as UTF-8 (RFC 8259), else in its declared charset when that decodes it."""
    for encoding in ("utf-8-sig", charset) if charset else ("utf-8-sig",):
        try:
            return body.decode(encoding).removeprefix("\ufeff")
        except (LookupError, ValueError):
            continue
    raise InvalidResponse("JSON body is not valid UTF-8 nor in its declared charset")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


# --- XML -----------------------------------------------------------------------------------


def _xml_fields(body: bytes) -> Mapping[str, str]:
    """Text of the first child of ``<result>`` for each field (namespaces ignored)."""
    root = _xml_root(body)
    if _local_name(root.tag) != "result":
        raise InvalidResponse("XML root element must be <result>")
    fields: dict[str, str] = {}
    for child in root:
        name = _local_name(child.tag)
        if name in FIELDS and name not in fields:
            fields[name] = "".join(child.itertext())
    return fields


def _xml_root(body: bytes) -> Element:
    """The parsed document element; DTDs, entities and malformed XML are refused."""
    try:
        return parse_xml(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError, LookupError) as error:
        raise InvalidResponse(f"invalid XML: {_short(str(error))}") from None


def _local_name(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


# --- normalising the fields ----------------------------------------------------------------


def _result_from_fields(fields: Mapping[str, Any]) -> HostResult:
    """A :class:`HostResult` from raw JSON values or XML texts."""
    success = _success(fields.get("success"))
    return HostResult(
        success=success,
        account_identifier=_identifier(fields.get("accountIdentifier"), "accountIdentifier"),
        user_identifier=_identifier(fields.get("userIdentifier"), "userIdentifier"),
        error_code=None if success else _error_code(fields.get("errorCode")),
        message=_message(fields.get("message")),
    )


def _success(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidResponse("success is missing" if value is None else "success must be true or false")


def _identifier(value: Any, name: str) -> str | None:
    """A string or number as a string (blank is None); other types are invalid."""
    if value is None or isinstance(value, str):
        return _clean(value, MAX_IDENTIFIER_LENGTH)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _clean(_number_text(value), MAX_IDENTIFIER_LENGTH)
    raise InvalidResponse(f"{name} must be a string or a number")


def _number_text(value: float) -> str:
    """``12`` and ``12.0`` are "12"; other numbers as Python writes them."""
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidResponse("numbers must be finite")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _error_code(value: Any) -> str:
    """A known error code (see module docstring), UNKNOWN_ERROR for anything else."""
    if not isinstance(value, str):
        return UNKNOWN_ERROR
    code = value.strip().upper()
    code = ERROR_CODE_ALIASES.get(code, code)
    return code if code in KNOWN_ERROR_CODES else UNKNOWN_ERROR


def _message(value: Any) -> str | None:
    """Any value as text: strings as they are, other values as compact JSON."""
    if value is None or isinstance(value, str):
        return _clean(value, MAX_MESSAGE_LENGTH)
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (ValueError, RecursionError):
        text = None
    return _clean(text, MAX_MESSAGE_LENGTH)


def _clean(text: str | None, limit: int) -> str | None:
    """``text`` stripped, unsafe characters replaced, capped at ``limit``; blank is None."""
    if text is None:
        return None
    text = _UNSAFE_CHARACTERS.sub("\ufffd", text.strip())
    return text[:limit] or None


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
