"""Each close keeps its Portfolio figures and consumer totals per revision; a close keeps
its fiscal year start.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

The management pack reads a month's history (prior month, fiscal year to date, the
13-month trend, what a revision changed) from ``portfolio_figures``: each close writes one
row per unit of the tree. Months closed before this migration have no rows; their figures
are read from what their close froze (``queries.history``) until they are closed again.
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'portfolio_figures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('unit_code', sa.String(length=64), nullable=False),
        sa.Column('parent_code', sa.String(length=64), nullable=True),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('is_group', sa.Boolean(), nullable=False),
        sa.Column('service_model_code', sa.String(length=64), nullable=False),
        sa.Column('spend', sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column('budget', sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column('charged', sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column('showback', sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column('attainment', sa.String(length=64), nullable=True),  # exact decimal text
        sa.Column('band', sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(['period'], ['periods.period'],
                                name=op.f('fk_portfolio_figures_period_periods')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_portfolio_figures')),
        sa.UniqueConstraint('period', 'revision', 'unit_code',
                            name=op.f('uq_portfolio_figures_period_revision_unit_code')),
    )
    op.create_table(
        'consumer_figures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('consumer_id', sa.Integer(), nullable=False),
        sa.Column('billed', sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column('showback', sa.Numeric(precision=18, scale=2), nullable=False),
        sa.ForeignKeyConstraint(['period'], ['periods.period'],
                                name=op.f('fk_consumer_figures_period_periods')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_consumer_figures')),
        sa.UniqueConstraint('period', 'revision', 'consumer_id',
                            name=op.f('uq_consumer_figures_period_revision_consumer_id')),
    )
    with op.batch_alter_table('periods', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fiscal_year_start', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('periods', schema=None) as batch_op:
        batch_op.drop_column('fiscal_year_start')
    op.drop_table('consumer_figures')
    op.drop_table('portfolio_figures')
