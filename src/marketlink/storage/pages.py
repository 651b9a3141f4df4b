"""Keyset pages over (created_on, id), the order every listing uses."""

from sqlalchemy import Select, Table


def keyset_page(query: Select, table: Table, after: tuple[int, str] | None, limit: int) -> Select:
    """``query`` restricted to rows after the cursor ``after``, in (created_on, id) order."""
    if after is not None:
        created_on, last_id = after
        query = query.where((table.c.created_on > created_on)
                            | ((table.c.created_on == created_on) & (table.c.id > last_id)))
    return query.order_by(table.c.created_on, table.c.id).limit(limit)
