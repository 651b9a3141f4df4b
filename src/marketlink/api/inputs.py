"""Turn a Strawberry input object into the plain ``changes`` dict domain commands take:
fields left out are absent, null is ``None``, enums become their values, names are the API's."""

from enum import Enum
from functools import cache
from typing import Any

from strawberry.types.base import has_object_definition
from strawberry.types.unset import UNSET
from strawberry.utils.str_converters import to_camel_case


def changes_of(given: Any) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for python_name, api_name in _field_names(type(given)):
        value = getattr(given, python_name)
        if value is not UNSET:
            changes[api_name] = _plain(value)
    return changes


@cache
def _field_names(input_type: type) -> tuple[tuple[str, str], ...]:
    return tuple((f.python_name, f.graphql_name or to_camel_case(f.python_name))
                 for f in input_type.__strawberry_definition__.fields)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if has_object_definition(value):
        return changes_of(value)
    return value
