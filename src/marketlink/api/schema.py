"""The GraphQL schema: every query and mutation, and the request limits.

The limits are extension *instances* made once with the schema, so the validation rules they
add are the same classes on every request and the validation cache keeps hitting.
"""

import strawberry
import structlog
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from marketlink.api.commerce.assign_user import assign_user
from marketlink.api.commerce.cancel_subscription import cancel_subscription
from marketlink.api.commerce.change_subscription import change_subscription
from marketlink.api.commerce.close_subscription import close_subscription
from marketlink.api.commerce.create_company import create_company
from marketlink.api.commerce.create_subscription import create_subscription
from marketlink.api.commerce.create_user import create_user
from marketlink.api.commerce.notify_upcoming_invoice import notify_upcoming_invoice
from marketlink.api.commerce.queries import company, subscription, subscriptions_list, user
from marketlink.api.commerce.reactivate_subscription import reactivate_subscription
from marketlink.api.commerce.suspend_subscription import suspend_subscription
from marketlink.api.commerce.unassign_user import unassign_user
from marketlink.api.commerce.update_user import update_user
from marketlink.api.events.queries import event, events
from marketlink.api.events.resolve_event import resolve_event
from marketlink.api.events.retry_event import retry_event
from marketlink.api.integrations.create_product_integration import create_product_integration
from marketlink.api.integrations.generate_product_integration_inbound_client import (
    generate_product_integration_inbound_client,
)
from marketlink.api.integrations.publish_product_integration import publish_product_integration
from marketlink.api.integrations.queries import product_integration, product_integrations
from marketlink.api.integrations.rotate_product_integration_webhook_secret import (
    rotate_product_integration_webhook_secret,
)
from marketlink.api.integrations.revoke_product_integration_inbound_client import (
    revoke_product_integration_inbound_client,
)
from marketlink.api.integrations.trigger_product_integration_ping_test import (
    trigger_product_integration_ping_test,
)
from marketlink.api.integrations.update_product_integration import update_product_integration
from marketlink.api.products.create_product import create_product
from marketlink.api.products.link_product_integration import link_product_integration
from marketlink.api.products.queries import product, products_list
from marketlink.api.products.unlink_product_integration import unlink_product_integration
from marketlink.api.products.update_product import update_product
from marketlink.api.sso.add_product_integration_bookmark_configuration import (
    add_product_integration_bookmark_configuration,
)
from marketlink.api.sso.add_product_integration_open_id_connect_configuration import (
    add_product_integration_open_id_connect_configuration,
)
from marketlink.api.sso.add_product_integration_saml_configuration import (
    add_product_integration_saml_configuration,
)
from marketlink.api.sso.remove_product_integration_sso_configuration import (
    remove_product_integration_sso_configuration,
)
from marketlink.api.sso.update_product_integration_bookmark_configuration import (
    update_product_integration_bookmark_configuration,
)
from marketlink.api.sso.update_product_integration_open_id_connect_configuration import (
    update_product_integration_open_id_connect_configuration,
)
from marketlink.api.sso.update_product_integration_saml_configuration import (
    update_product_integration_saml_configuration,
)
from marketlink.api.scalars import SCALARS
from marketlink.api.viewer import viewer
from marketlink.config import Settings
from marketlink.errors import QueryInputError


@strawberry.type
class Query:
    viewer = strawberry.field(resolver=viewer)
    product_integration = strawberry.field(resolver=product_integration)
    product_integrations = strawberry.field(resolver=product_integrations)
    product = strawberry.field(resolver=product)
    products = strawberry.field(resolver=products_list)
    company = strawberry.field(resolver=company)
    user = strawberry.field(resolver=user)
    subscription = strawberry.field(resolver=subscription)
    subscriptions = strawberry.field(resolver=subscriptions_list)
    events = strawberry.field(resolver=events)
    event = strawberry.field(resolver=event)


@strawberry.type
class Mutation:
    create_product_integration = strawberry.mutation(resolver=create_product_integration)
    update_product_integration = strawberry.mutation(resolver=update_product_integration)
    add_product_integration_bookmark_configuration = strawberry.mutation(
        resolver=add_product_integration_bookmark_configuration)
    update_product_integration_bookmark_configuration = strawberry.mutation(
        resolver=update_product_integration_bookmark_configuration)
    add_product_integration_open_id_connect_configuration = strawberry.mutation(
        resolver=add_product_integration_open_id_connect_configuration)
    update_product_integration_open_id_connect_configuration = strawberry.mutation(
        resolver=update_product_integration_open_id_connect_configuration)
    add_product_integration_saml_configuration = strawberry.mutation(
        resolver=add_product_integration_saml_configuration)
    update_product_integration_saml_configuration = strawberry.mutation(
        resolver=update_product_integration_saml_configuration)
    remove_product_integration_sso_configuration = strawberry.mutation(
        resolver=remove_product_integration_sso_configuration)
    generate_product_integration_inbound_client = strawberry.mutation(
        resolver=generate_product_integration_inbound_client)
    revoke_product_integration_inbound_client = strawberry.mutation(
        resolver=revoke_product_integration_inbound_client)
    rotate_product_integration_webhook_secret = strawberry.mutation(
        resolver=rotate_product_integration_webhook_secret)
    trigger_product_integration_ping_test = strawberry.mutation(
        resolver=trigger_product_integration_ping_test)
    publish_product_integration = strawberry.mutation(resolver=publish_product_integration)
    create_product = strawberry.mutation(resolver=create_product)
    update_product = strawberry.mutation(resolver=update_product)
    link_product_integration = strawberry.mutation(resolver=link_product_integration)
    unlink_product_integration = strawberry.mutation(resolver=unlink_product_integration)
    create_company = strawberry.mutation(resolver=create_company)
    create_user = strawberry.mutation(resolver=create_user)
    create_subscription = strawberry.mutation(resolver=create_subscription)
    change_subscription = strawberry.mutation(resolver=change_subscription)
    cancel_subscription = strawberry.mutation(resolver=cancel_subscription)
    suspend_subscription = strawberry.mutation(resolver=suspend_subscription)
    reactivate_subscription = strawberry.mutation(resolver=reactivate_subscription)
    close_subscription = strawberry.mutation(resolver=close_subscription)
    notify_upcoming_invoice = strawberry.mutation(resolver=notify_upcoming_invoice)
    assign_user = strawberry.mutation(resolver=assign_user)
    unassign_user = strawberry.mutation(resolver=unassign_user)
    update_user = strawberry.mutation(resolver=update_user)
    retry_event = strawberry.mutation(resolver=retry_event)
    resolve_event = strawberry.mutation(resolver=resolve_event)


def _is_internal(error: GraphQLError) -> bool:
    """Hide the text of anything but GraphQL's own errors and our documented query errors."""
    original = error.original_error
    return original is not None and not isinstance(original, (GraphQLError, QueryInputError))


log = structlog.get_logger("marketlink.api")


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: object = None) -> None:
        """Log errors without their message or the request's text: GraphQL echoes invalid input
        values in messages ("Variable '$input' got invalid value {...}"), secrets included."""
        for error in errors:
            if _is_internal(error):
                log.error("graphql.internal_error", path=error.path, exc_info=error.original_error)
            else:
                locations = [(loc.line, loc.column) for loc in error.locations or []]
                log.info("graphql.request_error", path=error.path, locations=locations)


def build_schema(settings: Settings) -> strawberry.Schema:
    # The limiters' rule classes are made here, once: a new class per request would change the
    # validation cache's key and make every request miss it.
    rules = (QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules
             + MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules)
    extensions = [
        lambda: AddValidationRules(rules),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        lambda: MaskErrors(should_mask_error=_is_internal, error_message="Internal server error."),
    ]
    if not settings.introspection:
        extensions.append(DisableIntrospection)
    return Schema(query=Query, mutation=Mutation, extensions=extensions,
                             config=StrawberryConfig(scalar_map=SCALARS))
