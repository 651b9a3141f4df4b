"""OpenID Connect provider: signing keys, clients, authorization codes and tokens

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

ID = sa.String(length=36)


def upgrade() -> None:
    op.create_table('oidc_signing_keys',
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('private_jwk', sa.Text(), nullable=False),
    sa.Column('public_jwk', sa.JSON(), nullable=False),
    sa.Column('created_on', sa.BigInteger(), nullable=False),
    sa.Column('retired_on', sa.BigInteger(), nullable=True),
    sa.Column('expires_on', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('kid')
    )
    op.create_index('ix_oidc_signing_keys_created', 'oidc_signing_keys', ['created_on'])
    op.create_table('oidc_clients',
    sa.Column('id', ID, nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('integration_id', ID, nullable=False),
    sa.Column('subscription_id', ID, nullable=True),
    sa.Column('creation_method', sa.String(length=32), nullable=False),
    sa.Column('scope_key', sa.String(length=64), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('secret_encrypted', sa.Text(), nullable=False),
    sa.Column('created_on', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['integration_id'], ['integration_versions.id']),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('client_id')
    )
    op.create_index('ix_oidc_clients_scope', 'oidc_clients', ['integration_id', 'scope_key'],
                    unique=True)
    op.create_table('oidc_codes',
    sa.Column('id', ID, nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('oidc_client_id', ID, nullable=False),
    sa.Column('user_id', ID, nullable=False),
    sa.Column('subscription_id', ID, nullable=False),
    sa.Column('redirect_uri', sa.String(length=2048), nullable=False),
    sa.Column('scope', sa.String(length=255), nullable=False),
    sa.Column('nonce', sa.String(length=255), nullable=True),
    sa.Column('code_challenge', sa.String(length=128), nullable=True),
    sa.Column('code_challenge_method', sa.String(length=8), nullable=True),
    sa.Column('auth_time', sa.BigInteger(), nullable=False),
    sa.Column('created_on', sa.BigInteger(), nullable=False),
    sa.Column('expires_on', sa.BigInteger(), nullable=False),
    sa.Column('used_on', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['oidc_client_id'], ['oidc_clients.id']),
    sa.ForeignKeyConstraint(['user_id'], ['users.id']),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code_hash')
    )
    op.create_index('ix_oidc_codes_nonce', 'oidc_codes', ['oidc_client_id', 'nonce'])
    op.create_index('ix_oidc_codes_expires', 'oidc_codes', ['expires_on'])
    op.create_table('oidc_tokens',
    sa.Column('id', ID, nullable=False),
    sa.Column('oidc_client_id', ID, nullable=False),
    sa.Column('user_id', ID, nullable=False),
    sa.Column('subscription_id', ID, nullable=False),
    sa.Column('code_id', ID, nullable=False),
    sa.Column('access_token_hash', sa.String(length=64), nullable=False),
    sa.Column('refresh_token_hash', sa.String(length=64), nullable=True),
    sa.Column('scope', sa.String(length=255), nullable=False),
    sa.Column('auth_time', sa.BigInteger(), nullable=False),
    sa.Column('issued_on', sa.BigInteger(), nullable=False),
    sa.Column('access_expires_on', sa.BigInteger(), nullable=False),
    sa.Column('refresh_expires_on', sa.BigInteger(), nullable=True),
    sa.Column('expires_on', sa.BigInteger(), nullable=False),
    sa.Column('revoked_on', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['oidc_client_id'], ['oidc_clients.id']),
    sa.ForeignKeyConstraint(['user_id'], ['users.id']),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('access_token_hash'),
    sa.UniqueConstraint('refresh_token_hash')
    )
    op.create_index('ix_oidc_tokens_code', 'oidc_tokens', ['code_id'])
    op.create_index('ix_oidc_tokens_expires', 'oidc_tokens', ['expires_on'])


def downgrade() -> None:
    op.drop_table('oidc_tokens')
    op.drop_table('oidc_codes')
    op.drop_table('oidc_clients')
    op.drop_table('oidc_signing_keys')
