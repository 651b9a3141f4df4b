"""SAML identity provider: IdPs per subscription or integration, answered AuthnRequest IDs

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

ID = sa.String(length=36)


def upgrade() -> None:
    op.create_table('saml_identity_providers',
    sa.Column('id', ID, nullable=False),
    sa.Column('integration_id', ID, nullable=False),
    sa.Column('subscription_id', ID, nullable=True),
    sa.Column('creation_method', sa.String(length=32), nullable=False),
    sa.Column('scope_key', sa.String(length=64), nullable=False),
    sa.Column('private_key', sa.Text(), nullable=True),
    sa.Column('certificate', sa.Text(), nullable=True),
    sa.Column('created_on', sa.BigInteger(), nullable=False),
    sa.Column('keys_created_on', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['integration_id'], ['integration_versions.id']),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id']),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_saml_identity_providers_scope', 'saml_identity_providers',
                    ['integration_id', 'scope_key'], unique=True)
    op.create_table('saml_authn_requests',
    sa.Column('idp_id', ID, nullable=False),
    sa.Column('request_id', sa.String(length=256), nullable=False),
    sa.Column('expires_on', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['idp_id'], ['saml_identity_providers.id']),
    sa.PrimaryKeyConstraint('idp_id', 'request_id')
    )
    op.create_index('ix_saml_authn_requests_expires', 'saml_authn_requests', ['expires_on'])


def downgrade() -> None:
    op.drop_table('saml_authn_requests')
    op.drop_table('saml_identity_providers')
