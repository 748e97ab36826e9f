"""Scorecard form inputs: a form kept for post/redirect/get.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02

- ``scorecard_form_inputs``: the scorecard editor's form as last shown (its fields and error
  marks), under a random token, so a press of a form button redirects to a page that shows
  it and a reload never posts again.
"""
from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'scorecard_form_inputs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.Column('mode', sa.String(length=16), nullable=False),
        sa.Column('form', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], ondelete='CASCADE',
                                name=op.f('fk_scorecard_form_inputs_unit_id_units')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_scorecard_form_inputs_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scorecard_form_inputs')),
        sa.UniqueConstraint('token', name=op.f('uq_scorecard_form_inputs_token')),
    )
    with op.batch_alter_table('scorecard_form_inputs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scorecard_form_inputs_unit_id'), ['unit_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_scorecard_form_inputs_user_id'), ['user_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('scorecard_form_inputs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scorecard_form_inputs_user_id'))
        batch_op.drop_index(batch_op.f('ix_scorecard_form_inputs_unit_id'))
    op.drop_table('scorecard_form_inputs')
