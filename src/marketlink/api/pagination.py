"""Keyset pagination: opaque cursors over (createdOn, id), pages bounded by settings."""

import base64
import binascii
import json
from typing import TypeVar

import strawberry

from marketlink.domain.ids import normalized_id
from marketlink.errors import QueryInputError

_MIN_BIGINT, _MAX_BIGINT = -(2**63), 2**63 - 1


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def of(cls, has_next_page: bool, end_cursor: str | None) -> "PageInfo":
        return cls(has_next_page=has_next_page, end_cursor=end_cursor)


T = TypeVar("T")


def cut_page(found: list[T], limit: int) -> tuple[list[T], PageInfo]:
    """The first ``limit`` of ``found`` (fetched as limit + 1) and whether more follow."""
    page = found[:limit]
    return page, PageInfo.of(len(found) > limit, encode_cursor(page[-1]) if page else None)


def page_size(first: int, maximum: int) -> int:
    if not 1 <= first <= maximum:
        raise QueryInputError(f"first must be between 1 and {maximum}.")
    return first


def encode_cursor(item: object) -> str:
    raw = json.dumps([item.created_on, item.id]).encode()  # type: ignore[attr-defined]
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str | None) -> tuple[int, str] | None:
    if cursor is None:
        return None
    try:
        created_on, last_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        created_on = int(created_on)
    except (ValueError, TypeError, OverflowError, binascii.Error):
        raise QueryInputError("after is not a cursor returned by this API.") from None
    # A forged cursor must not reach the database: a number out of BIGINT range, or an id that is
    # not a canonical UUID (a NUL byte, say), fails there as an internal error.
    if not _MIN_BIGINT <= created_on <= _MAX_BIGINT or not isinstance(last_id, str) \
            or normalized_id(last_id) != last_id:
        raise QueryInputError("after is not a cursor returned by this API.")
    return created_on, last_id
