"""createProduct: a product of a vendor, with its editions."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.api.products.inputs import ProductFieldsInput
from marketlink.api.products.types import Product
from marketlink.domain.errors import Code
from marketlink.domain.products import create_product as create

ERRORS = MutationErrors("CreateProduct", [
    Code.REQUIRED, Code.INVALID, Code.TOO_LONG, Code.TOO_MANY, Code.DUPLICATE, Code.NOT_FOUND,
])


@strawberry.input
class CreateProductInput(ProductFieldsInput):
    vendor_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The owning vendor; administrators only.")


@strawberry.type
class CreateProductPayload:
    product: Product | None
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def create_product(info: Info, input: CreateProductInput) -> CreateProductPayload:
    outcome = await run_command(info, create, input)
    return CreateProductPayload(
        product=Product(model=outcome.value) if outcome.value else None,
        user_errors=ERRORS.of(outcome.errors),
    )
