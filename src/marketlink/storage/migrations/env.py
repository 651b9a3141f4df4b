"""Alembic environment. Migrations are run by :func:`marketlink.storage.migrate.migrate`, which
passes an open connection in ``config.attributes["connection"]``."""

from alembic import context

from marketlink.storage.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
