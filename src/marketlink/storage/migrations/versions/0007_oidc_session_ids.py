"""OpenID provider: the login session's ``sid`` (kept across a re-authentication of the same
user), and the session each code and token was issued in, so that logging out can end them
and tell the relying parties (back-channel logout)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('web_sessions') as batch:
        batch.add_column(sa.Column('sid', sa.String(length=64), nullable=True))
    random_hex = ("md5(random()::text || id)" if op.get_bind().dialect.name == "postgresql"
                  else "lower(hex(randomblob(16)))")
    op.execute(f"UPDATE web_sessions SET sid = {random_hex}")
    with op.batch_alter_table('web_sessions') as batch:
        batch.alter_column('sid', existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table('oidc_codes') as batch:
        batch.add_column(sa.Column('sid', sa.String(length=64), nullable=True))
    with op.batch_alter_table('oidc_tokens') as batch:
        batch.add_column(sa.Column('sid', sa.String(length=64), nullable=True))
    op.create_index('ix_oidc_tokens_sid', 'oidc_tokens', ['sid'])
    op.create_index('ix_oidc_codes_sid', 'oidc_codes', ['sid'])
    op.create_index('ix_web_sessions_sid', 'web_sessions', ['sid'])


def downgrade() -> None:
    op.drop_index('ix_web_sessions_sid', table_name='web_sessions')
    op.drop_index('ix_oidc_codes_sid', table_name='oidc_codes')
    op.drop_index('ix_oidc_tokens_sid', table_name='oidc_tokens')
    with op.batch_alter_table('oidc_tokens') as batch:
        batch.drop_column('sid')
    with op.batch_alter_table('oidc_codes') as batch:
        batch.drop_column('sid')
    with op.batch_alter_table('web_sessions') as batch:
        batch.drop_column('sid')
