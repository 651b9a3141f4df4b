"""the due index in claim order, and an index of unresolved events

The worker claims QUEUED events oldest due first (next_attempt_on, then seq); with seq in the
index the query stops after the batch it takes instead of sorting every due event. Whether an
earlier event of the same subscription is still unresolved is looked up in a partial index of
unresolved events only, whatever the number of delivered events kept.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

UNRESOLVED = "status IN ('QUEUED', 'DELIVERING', 'PENDING')"


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_due')
        batch_op.create_index('ix_events_due', ['status', 'next_attempt_on', 'seq'], unique=False)
        batch_op.create_index('ix_events_unresolved', ['subscription_id', 'seq'], unique=False,
                              sqlite_where=sa.text(UNRESOLVED), postgresql_where=sa.text(UNRESOLVED))


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_unresolved')
        batch_op.drop_index('ix_events_due')
        batch_op.create_index('ix_events_due', ['status', 'next_attempt_on'], unique=False)
