"""The display name every vendor-owned object has (integrations, products)."""

from typing import Any

from marketlink.domain.errors import Code, UserError, error

MAX_NAME_LENGTH = 200


def checked_name(changes: dict[str, Any], path: tuple[str, ...]) -> tuple[dict[str, Any], list[UserError]]:
    """``{"name": ...}`` when ``name`` is among the changes, trimmed, with its problems."""
    if "name" not in changes:
        return {}, []
    name = (changes["name"] or "").strip()
    if not name:
        return {"name": name}, [error(path + ("name",), Code.REQUIRED, "name is required.")]
    if len(name) > MAX_NAME_LENGTH:
        return {"name": name}, [error(path + ("name",), Code.TOO_LONG,
                                      f"name must be at most {MAX_NAME_LENGTH} characters.")]
    return {"name": name}, []
