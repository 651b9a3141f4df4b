"""Table definitions (SQLAlchemy Core). Migrations in ``migrations/versions`` create them;
this module is what the code queries with.

Ids are UUID text; times are epoch milliseconds (``createdOn`` in the API is the same number).
"""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

metadata = MetaData()

ID = String(36)
URL = String(2048)

vendors = Table(
    "vendors",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_on", BigInteger, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", ID, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("vendor_id", ID, ForeignKey("vendors.id"), nullable=True),
    Column("name", String(200), nullable=False),
    Column("created_on", BigInteger, nullable=False),
    Column("revoked_on", BigInteger, nullable=True),
)

# One row per version of an integration configuration. The WORKING row's id is the
# integration's id (``integration_id == id``); each PUBLISHED snapshot is a frozen copy with an
# id of its own and ``integration_id`` pointing at the WORKING row.
integration_versions = Table(
    "integration_versions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("integration_id", ID, nullable=False),
    Column("vendor_id", ID, ForeignKey("vendors.id"), nullable=False),
    Column("version", String(16), nullable=False),
    # 0 for WORKING; snapshots count 1, 2, ... in publish order (unique per integration).
    Column("revision", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("create_url", URL),
    Column("upgrade_url", URL),
    Column("cancel_url", URL),
    Column("notify_url", URL),
    Column("event_status_url", URL),
    Column("assign_url", URL),
    Column("unassign_url", URL),
    Column("addon_notification_url", URL),
    Column("user_updated_url", URL),
    Column("create_url_interactive", Boolean, nullable=False, default=False),
    Column("upgrade_url_interactive", Boolean, nullable=False, default=False),
    Column("cancel_url_interactive", Boolean, nullable=False, default=False),
    # Outbound credentials: the public parts as JSON, the one secret encrypted.
    Column("credentials_type", String(16)),
    Column("credentials", JSON),
    Column("credentials_secret", Text),
    # SSO configuration: its kind and its fields as JSON.
    Column("sso_type", String(16)),
    Column("sso_config", JSON),
    # Set on the WORKING row when a product host answered 410 Gone; cleared by an update.
    Column("host_gone_on", BigInteger),
    # NOTIFY_THEN_FETCH (the default) or DIRECT (Standard Webhooks POST of the document).
    Column("delivery_mode", String(20), nullable=False, default="NOTIFY_THEN_FETCH"),
    Column("created_on", BigInteger, nullable=False),
    Column("last_modified", BigInteger, nullable=False),
    Index("ix_integration_versions_revision", "integration_id", "revision", unique=True),
    Index("ix_integration_versions_vendor", "vendor_id", "version", "created_on", "id"),
)

inbound_clients = Table(
    "inbound_clients",
    metadata,
    Column("id", ID, primary_key=True),
    Column("integration_id", ID, ForeignKey("integration_versions.id"), nullable=False),
    Column("client_id", String(64), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("created_on", BigInteger, nullable=False),
    Column("revoked_on", BigInteger),
    Index("ix_inbound_clients_integration", "integration_id", "created_on"),
)

products = Table(
    "products",
    metadata,
    Column("id", ID, primary_key=True),
    Column("vendor_id", ID, ForeignKey("vendors.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("usage_type", String(16), nullable=False),
    Column("editions", JSON, nullable=False),
    Column("integration_id", ID, ForeignKey("integration_versions.id"), nullable=True),
    Column("created_on", BigInteger, nullable=False),
    Column("last_modified", BigInteger, nullable=False),
    Index("ix_products_vendor", "vendor_id", "created_on", "id"),
    Index("ix_products_integration", "integration_id"),
)

# The last ping test of each integration version (older runs are replaced).
ping_tests = Table(
    "ping_tests",
    metadata,
    Column("id", ID, primary_key=True),
    Column("integration_version_id", ID, ForeignKey("integration_versions.id"),
           nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("triggered_on", BigInteger, nullable=False),
    Column("completed_on", BigInteger),
)

ping_test_results = Table(
    "ping_test_results",
    metadata,
    Column("id", ID, primary_key=True),
    Column("test_id", ID, ForeignKey("ping_tests.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("event_type", String(32), nullable=False),
    Column("url", URL, nullable=False),
    Column("success", Boolean),
    Column("http_status", Integer),
    Column("duration_ms", Integer),
    Column("error_code", String(32)),
    Column("message", String(1024)),
    Index("ix_ping_test_results_test", "test_id", "position"),
)

# --- Commerce (SPEC §3): who buys what; each change writes an event in the same transaction.

companies = Table(
    "companies",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("country", String(2), nullable=False),
    Column("email", String(320)),
    Column("website", URL),
    Column("created_on", BigInteger, nullable=False),
    Index("ix_companies_created", "created_on", "id"),
)

users = Table(
    "users",
    metadata,
    Column("id", ID, primary_key=True),
    Column("company_id", ID, ForeignKey("companies.id"), nullable=False),
    Column("email", String(320), nullable=False, unique=True),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("language", String(8), nullable=False),
    Column("locale", String(16), nullable=False),
    Column("created_on", BigInteger, nullable=False),
    Column("last_modified", BigInteger, nullable=False),
    Index("ix_users_company", "company_id", "created_on", "id"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("product_id", ID, ForeignKey("products.id"), nullable=False),
    Column("company_id", ID, ForeignKey("companies.id"), nullable=False),
    Column("creator_id", ID, ForeignKey("users.id"), nullable=False),
    Column("vendor_id", ID, ForeignKey("vendors.id"), nullable=False),
    # The integration (WORKING id) and the snapshot in force when the order was placed.
    Column("integration_id", ID, ForeignKey("integration_versions.id"), nullable=False),
    Column("edition_code", String(64), nullable=False),
    Column("pricing_duration", String(16), nullable=False),
    Column("items", JSON, nullable=False),
    Column("configuration", JSON, nullable=False),
    Column("status", String(32), nullable=False),
    Column("account_identifier", String(255)),
    Column("created_on", BigInteger, nullable=False),
    Column("last_modified", BigInteger, nullable=False),
    Index("ix_subscriptions_company", "company_id", "created_on", "id"),
    Index("ix_subscriptions_vendor", "vendor_id", "created_on", "id"),
)

assignments = Table(
    "assignments",
    metadata,
    Column("id", ID, primary_key=True),
    Column("subscription_id", ID, ForeignKey("subscriptions.id"), nullable=False),
    Column("user_id", ID, ForeignKey("users.id"), nullable=False),
    Column("status", String(32), nullable=False),
    Column("user_identifier", String(255)),
    Column("created_on", BigInteger, nullable=False),
    Column("last_modified", BigInteger, nullable=False),
    Index("ix_assignments_subscription_user", "subscription_id", "user_id", unique=True),
)

# --- Events: the outbox. A row is written with the change that caused it; delivery columns are
# the worker's (see docs/adr/0009-events-and-outbox.md).

events = Table(
    "events",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("id", ID, nullable=False, unique=True),
    Column("token", String(64), nullable=False, unique=True),
    Column("type", String(32), nullable=False),
    Column("flag", String(16)),
    Column("vendor_id", ID, ForeignKey("vendors.id"), nullable=False),
    Column("integration_id", ID, ForeignKey("integration_versions.id"), nullable=False),
    Column("integration_version_id", ID, ForeignKey("integration_versions.id"), nullable=False),
    Column("product_id", ID, ForeignKey("products.id")),
    Column("subscription_id", ID, ForeignKey("subscriptions.id")),
    Column("assignment_id", ID, ForeignKey("assignments.id")),
    # The ping-test result a STATELESS test event reports to (no foreign key: a newer test run
    # replaces the result rows, and a late answer then has nothing to update).
    Column("ping_result_id", ID),
    # host[:port] the event is delivered to, so a claim can pass over hosts already busy.
    Column("target_host", String(255)),
    Column("document", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_on", BigInteger),
    Column("lease_owner", String(64)),
    Column("lease_until", BigInteger),
    Column("pending_until", BigInteger),
    Column("result_success", Boolean),
    Column("result_error_code", String(32)),
    Column("result_message", String(1024)),
    Column("created_on", BigInteger, nullable=False),
    Column("resolved_on", BigInteger),
    Index("ix_events_due", "status", "next_attempt_on", "seq"),
    # Unresolved events only: the claim's "an earlier event of this subscription is still
    # open" check (storage/outbox.py writes its IN list as these literals, so both databases
    # can prove the index applies).
    Index("ix_events_unresolved", "subscription_id", "seq",
          sqlite_where=text("status IN ('QUEUED', 'DELIVERING', 'PENDING')"),
          postgresql_where=text("status IN ('QUEUED', 'DELIVERING', 'PENDING')")),
    Index("ix_events_subscription", "subscription_id", "seq"),
    Index("ix_events_vendor", "vendor_id", "created_on", "seq"),
    Index("ix_events_integration", "integration_id", "created_on", "seq"),
)

event_attempts = Table(
    "event_attempts",
    metadata,
    Column("id", ID, primary_key=True),
    Column("event_id", ID, ForeignKey("events.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("started_on", BigInteger, nullable=False),
    Column("duration_ms", Integer),
    Column("url", URL, nullable=False),
    Column("auth_kind", String(16)),
    Column("http_status", Integer),
    Column("outcome", String(32), nullable=False),
    Column("error", String(1024)),
    Column("answer_excerpt", Text),
    Index("ix_event_attempts_event", "event_id", "number", unique=True),
)

# Signing secrets of DIRECT delivery (Standard Webhooks), per integration, encrypted: we sign
# with every secret not yet expired, so a rotated-out secret keeps working for its grace period.
webhook_secrets = Table(
    "webhook_secrets",
    metadata,
    Column("id", ID, primary_key=True),
    Column("integration_id", ID, ForeignKey("integration_versions.id"), nullable=False),
    Column("secret", Text, nullable=False),
    Column("created_on", BigInteger, nullable=False),
    Column("expires_on", BigInteger),
    Index("ix_webhook_secrets_integration", "integration_id", "created_on"),
)

# --- Marketplace logins (docs/adr/0011-marketplace-logins-and-sessions.md).

# A user's argon2id password hash (the PHC string: algorithm and parameters included).
user_credentials = Table(
    "user_credentials",
    metadata,
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("changed_on", BigInteger, nullable=False),
)

# Who may use the console (issue 5): one role per user, ADMIN or DEVELOPER of one vendor. A user
# without a row is a buyer's user only (My Apps).
console_roles = Table(
    "console_roles",
    metadata,
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("vendor_id", ID, ForeignKey("vendors.id")),
    # A COMPANY_ADMIN's buying company (ADR 0014).
    Column("company_id", ID, ForeignKey("companies.id")),
    Column("granted_on", BigInteger, nullable=False),
)

# Browser sessions. The id is the keyed hash of the cookie's random token: the token itself is
# never stored, so reading this table gives no usable cookie. Logout deletes the row.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_on", BigInteger, nullable=False),
    Column("expires_on", BigInteger, nullable=False),
    # The OpenID provider's session id (``sid``) of this login: random, shown to relying
    # parties in id_tokens and logout tokens; a re-authentication of the same user keeps it.
    Column("sid", String(64), nullable=False),
    Index("ix_web_sessions_user", "user_id", "created_on"),
    Index("ix_web_sessions_expires", "expires_on"),
    Index("ix_web_sessions_sid", "sid"),
)

# --- OpenID Connect provider (docs/adr/0012-openid-provider.md).

# RS256 signing keys. The private JWK is encrypted at rest; a retired key no longer signs and is
# published at /oauth2/certs until ``expires_on``, when every id_token it signed has expired.
oidc_signing_keys = Table(
    "oidc_signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("private_jwk", Text, nullable=False),
    Column("public_jwk", JSON, nullable=False),
    Column("created_on", BigInteger, nullable=False),
    Column("retired_on", BigInteger),
    Column("expires_on", BigInteger),
    Index("ix_oidc_signing_keys_created", "created_on"),
)

# Relying parties: one per subscription, or one per integration for PER_MARKETPLACE and
# PER_ENVIRONMENT (``scope_key`` is the subscription id or the method). The secret is kept as a
# keyed hash (checked at the token endpoint) and encrypted (handed to the host on request).
oidc_clients = Table(
    "oidc_clients",
    metadata,
    Column("id", ID, primary_key=True),
    Column("client_id", String(64), nullable=False, unique=True),
    Column("integration_id", ID, ForeignKey("integration_versions.id"), nullable=False),
    Column("subscription_id", ID, ForeignKey("subscriptions.id")),
    Column("creation_method", String(32), nullable=False),
    Column("scope_key", String(64), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("secret_encrypted", Text, nullable=False),
    Column("created_on", BigInteger, nullable=False),
    Index("ix_oidc_clients_scope", "integration_id", "scope_key", unique=True),
)

# Authorization codes: single use (``used_on``), short-lived, stored as their keyed hash.
oidc_codes = Table(
    "oidc_codes",
    metadata,
    Column("id", ID, primary_key=True),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("oidc_client_id", ID, ForeignKey("oidc_clients.id"), nullable=False),
    Column("user_id", ID, ForeignKey("users.id"), nullable=False),
    Column("subscription_id", ID, ForeignKey("subscriptions.id"), nullable=False),
    Column("redirect_uri", URL, nullable=False),
    Column("scope", String(255), nullable=False),
    Column("nonce", String(255)),
    Column("code_challenge", String(128)),
    Column("code_challenge_method", String(8)),
    Column("auth_time", BigInteger, nullable=False),
    Column("created_on", BigInteger, nullable=False),
    Column("expires_on", BigInteger, nullable=False),
    Column("used_on", BigInteger),
    # The login session the code was issued in (a value derived from it, also the id_token's
    # ``sid``): logging out ends what it bought and tells the relying party.
    Column("sid", String(64)),
    Index("ix_oidc_codes_nonce", "oidc_client_id", "nonce"),
    Index("ix_oidc_codes_expires", "expires_on"),
    Index("ix_oidc_codes_sid", "sid"),
)

# Access and refresh tokens (opaque; keyed hashes only). ``code_id`` names the code the chain of
# refreshed tokens started from: a replayed code or refresh token revokes the whole chain.
oidc_tokens = Table(
    "oidc_tokens",
    metadata,
    Column("id", ID, primary_key=True),
    Column("oidc_client_id", ID, ForeignKey("oidc_clients.id"), nullable=False),
    Column("user_id", ID, ForeignKey("users.id"), nullable=False),
    Column("subscription_id", ID, ForeignKey("subscriptions.id"), nullable=False),
    Column("code_id", ID, nullable=False),
    Column("access_token_hash", String(64), nullable=False, unique=True),
    Column("refresh_token_hash", String(64), unique=True),
    Column("scope", String(255), nullable=False),
    Column("auth_time", BigInteger, nullable=False),
    Column("issued_on", BigInteger, nullable=False),
    Column("access_expires_on", BigInteger, nullable=False),
    Column("refresh_expires_on", BigInteger),
    # The later of the two expiries: past it the row is useless and may be deleted.
    Column("expires_on", BigInteger, nullable=False),
    Column("revoked_on", BigInteger),
    Column("sid", String(64)),
    Index("ix_oidc_tokens_code", "code_id"),
    Index("ix_oidc_tokens_sid", "sid"),
    Index("ix_oidc_tokens_expires", "expires_on"),
)

# --- SAML 2.0 identity provider (docs/adr/0013-saml-identity-provider.md).

# One IdP per subscription, or one per integration (``scope_key`` is the subscription id or the
# creation method), as ``idpConfigurationCreationMethod`` said when the order was placed. The row
# is made with the order (its id is in the order event's ``samlIdp`` link); the signing key and
# its self-signed certificate are made at first need. The private key is encrypted at rest.
saml_identity_providers = Table(
    "saml_identity_providers",
    metadata,
    Column("id", ID, primary_key=True),
    Column("integration_id", ID, ForeignKey("integration_versions.id"), nullable=False),
    Column("subscription_id", ID, ForeignKey("subscriptions.id")),
    Column("creation_method", String(32), nullable=False),
    Column("scope_key", String(64), nullable=False),
    Column("private_key", Text),
    Column("certificate", Text),
    Column("created_on", BigInteger, nullable=False),
    Column("keys_created_on", BigInteger),
    Index("ix_saml_identity_providers_scope", "integration_id", "scope_key", unique=True),
)

# IDs of the AuthnRequests answered, kept until the request would be too old to accept anyway:
# a request ID seen twice is a replay.
saml_authn_requests = Table(
    "saml_authn_requests",
    metadata,
    Column("idp_id", ID, ForeignKey("saml_identity_providers.id"), primary_key=True),
    Column("request_id", String(256), primary_key=True),
    Column("expires_on", BigInteger, nullable=False),
    Index("ix_saml_authn_requests_expires", "expires_on"),
)
