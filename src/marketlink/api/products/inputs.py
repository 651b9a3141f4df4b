"""Input fields shared by createProduct and updateProduct."""

import strawberry

from marketlink.api.products.types import EditionInput, UsageType


@strawberry.input(description="The fields of a product; left out: unchanged.")
class ProductFieldsInput:
    name: str | None = strawberry.UNSET
    usage_type: UsageType | None = strawberry.UNSET
    editions: list[EditionInput] | None = strawberry.UNSET
