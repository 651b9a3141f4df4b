"""Console roles: which marketplace users may use the console, as ADMIN or as a DEVELOPER of
one vendor

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

ID = sa.String(length=36)


def upgrade() -> None:
    op.create_table('console_roles',
    sa.Column('user_id', ID, nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('vendor_id', ID, nullable=True),
    sa.Column('company_id', ID, nullable=True),
    sa.Column('granted_on', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendors.id']),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id']),
    sa.PrimaryKeyConstraint('user_id')
    )


def downgrade() -> None:
    op.drop_table('console_roles')
