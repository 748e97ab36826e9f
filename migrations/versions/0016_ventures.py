"""Ventures: a fourth built-in service model, and each venture's funding envelope as its
close froze it.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02

- ``service_models``: the built-in ``venture`` (units central IT funds as a venture rather
  than runs as a reporting business unit; rated on milestones, runway and learning goals);
- ``unit_period_results.envelope`` and ``envelope_spent``: for a venture, the fiscal year's
  budgets summed (its funding envelope) and its spend of the fiscal year up to the month,
  frozen by the close so a later budget row of the year never changes a closed month.
"""
from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

service_models = sa.table("service_models", sa.column("code", sa.String),
                          sa.column("name", sa.String), sa.column("builtin", sa.Boolean))


def upgrade():
    op.bulk_insert(service_models, [
        {"code": "venture", "builtin": True,
         "name": "Venture: funded to learn and build, judged on milestones and runway"}])
    with op.batch_alter_table('unit_period_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('envelope', sa.Numeric(precision=18, scale=2),
                                      nullable=True))
        batch_op.add_column(sa.Column('envelope_spent', sa.Numeric(precision=18, scale=2),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('unit_period_results', schema=None) as batch_op:
        batch_op.drop_column('envelope_spent')
        batch_op.drop_column('envelope')
    op.execute(service_models.delete().where(service_models.c.code == "venture"))
