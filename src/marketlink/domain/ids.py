"""Ids are UUIDs (SPEC §2). Input ids that are not UUIDs simply match nothing."""

import uuid


def new_id() -> str:
    return str(uuid.uuid4())


def normalized_id(value: object) -> str | None:
    """The canonical text of a UUID given as an ``ID`` (string or integer literal), else None."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None
