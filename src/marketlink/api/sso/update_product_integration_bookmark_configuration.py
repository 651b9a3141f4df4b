"""updateProductIntegrationBookmarkConfiguration: change fields of its Bookmark SSO configuration (left out: unchanged)."""

from functools import partial

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.api.integrations.types import ProductIntegration
from marketlink.api.sso.inputs import BookmarkConfigurationFields
from marketlink.api.sso.types import BookmarkConfiguration, bookmark_type
from marketlink.domain import sso
from marketlink.domain.errors import Code
from marketlink.domain.sso_configurations import update_configuration

ERRORS = MutationErrors("UpdateProductIntegrationBookmarkConfiguration", [
    Code.NOT_FOUND, Code.PUBLISHED_SNAPSHOT, Code.SSO_NOT_CONFIGURED,
    Code.REQUIRED, Code.INVALID, Code.TOO_LONG, Code.TOO_MANY, Code.DUPLICATE, Code.FROZEN_AFTER_PUBLISH,
])


@strawberry.input
class UpdateProductIntegrationBookmarkConfigurationInput(BookmarkConfigurationFields):
    pass


@strawberry.type
class UpdateProductIntegrationBookmarkConfigurationPayload:
    bookmark_configuration: BookmarkConfiguration | None
    product_integration: ProductIntegration | None
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def update_product_integration_bookmark_configuration(
    info: Info, input: UpdateProductIntegrationBookmarkConfigurationInput
) -> UpdateProductIntegrationBookmarkConfigurationPayload:
    outcome = await run_command(info, partial(update_configuration, kind=sso.BOOKMARK), input)
    version = outcome.value
    return UpdateProductIntegrationBookmarkConfigurationPayload(
        bookmark_configuration=bookmark_type(dict(version.sso.fields)) if version else None,
        product_integration=ProductIntegration(model=version) if version else None,
        user_errors=ERRORS.of(outcome.errors),
    )
