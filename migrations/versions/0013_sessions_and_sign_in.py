"""Sessions kept on the server, failed sign-ins counted in the database, token expiry, TOTP.

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-10

- ``user_sessions``: one row per signed-in browser (the cookie holds a random id, the row
  its SHA-256), so signing out, a password change or reset, a role change and a
  deactivation end sessions on the server, and a lifetime and idle timeout apply;
- ``sign_in_throttles``: failed sign-ins per (e-mail, client), shared by every worker;
- ``api_tokens.expires_at``: every token expires; tokens made before get 90 days from now;
- ``users.totp_secret``, ``totp_enabled``, ``totp_last_step``: the optional second step.
"""
from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_user_sessions_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash')),
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)
    op.create_table(
        'sign_in_throttles',
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('client', sa.String(length=100), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('next_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('email', 'client', name=op.f('pk_sign_in_throttles')),
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    tokens = sa.table('api_tokens', sa.column('expires_at', sa.DateTime(timezone=True)))
    op.execute(tokens.update().values(
        expires_at=sa.bindparam('now', value=_in_90_days(), type_=sa.DateTime(timezone=True))))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(timezone=True),
                              nullable=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))


def _in_90_days():
    import datetime as dt

    return dt.datetime.now(dt.UTC) + dt.timedelta(days=90)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled')
        batch_op.drop_column('totp_secret')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
    op.drop_table('sign_in_throttles')
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))
    op.drop_table('user_sessions')
