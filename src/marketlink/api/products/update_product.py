"""updateProduct: change a product's name, usage type or editions."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.api.products.inputs import ProductFieldsInput
from marketlink.api.products.types import Product
from marketlink.domain.errors import Code
from marketlink.domain.products import update_product as update

ERRORS = MutationErrors("UpdateProduct", [
    Code.REQUIRED, Code.INVALID, Code.TOO_LONG, Code.TOO_MANY, Code.DUPLICATE, Code.NOT_FOUND,
])


@strawberry.input
class UpdateProductInput(ProductFieldsInput):
    id: strawberry.ID


@strawberry.type
class UpdateProductPayload:
    product: Product | None
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def update_product(info: Info, input: UpdateProductInput) -> UpdateProductPayload:
    outcome = await run_command(info, update, input)
    return UpdateProductPayload(
        product=Product(model=outcome.value) if outcome.value else None,
        user_errors=ERRORS.of(outcome.errors),
    )
