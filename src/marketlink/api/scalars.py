"""Custom scalars. ``EpochMillis`` exists because GraphQL's Int is 32-bit and epoch
milliseconds (``createdOn`` in the seed) are not. Registered in the schema's ``scalar_map``."""

from typing import NewType

import strawberry

EpochMillis = NewType("EpochMillis", int)

SCALARS = {
    EpochMillis: strawberry.scalar(
        name="EpochMillis",
        description="Milliseconds since 1970-01-01T00:00:00Z, as a JSON number.",
        serialize=int,
        parse_value=int,
    ),
}
