"""Turn a Strawberry input object into the plain ``changes`` dict domain commands take:
fields left out are absent, null is ``None``, enums become their values, names are the API's."""

from enum import Enum
from typing import Any

from strawberry.types.base import has_object_definition
from strawberry.types.unset import UNSET
from strawberry.utils.str_converters import to_camel_case


def changes_of(given: Any) -> dict[str, Any]:
    definition = given.__strawberry_definition__
    changes: dict[str, Any] = {}
    for field in definition.fields:
        value = getattr(given, field.python_name)
        if value is not UNSET:
            changes[field.graphql_name or to_camel_case(field.python_name)] = _plain(value)
    return changes


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if has_object_definition(value):
        return changes_of(value)
    return value
