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
