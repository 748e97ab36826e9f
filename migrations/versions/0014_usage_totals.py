"""The month's usage sums per consumer and service are kept as usage lines are written.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

The close rated usage from one ``GROUP BY`` over the month's usage lines, read from the
covering index ``ix_usage_lines_month_totals`` (migration 0007); at a million lines that
sum was most of the close. ``usage_totals`` holds the sum (in millionths, an integer: exact
on every database) and the count of each (month, service, consumer)'s lines; the import
adds each batch's sums in its own transaction and ``--replace`` takes off what it deletes
(``chargeback.importing.totals``). This migration fills it from the lines already stored.

With no reader left for it, the covering index goes back to the narrow (period,
service_id) index every other reader of usage lines uses (a month's lines, a unit's lines
in a month): one narrower index for every line the import writes.
"""
from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'usage_totals',
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('consumer_id', sa.Integer(), nullable=False),
        sa.Column('quantity_micros', sa.BigInteger(), nullable=False),
        sa.Column('lines', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('period', 'service_id', 'consumer_id',
                                name=op.f('pk_usage_totals')),
    )
    op.execute(
        "INSERT INTO usage_totals (period, service_id, consumer_id, quantity_micros, lines) "
        "SELECT period, service_id, consumer_id, "
        "sum(CAST(round(quantity * 1000000) AS BIGINT)), count(*) FROM usage_lines "
        "GROUP BY period, service_id, consumer_id")
    op.drop_index('ix_usage_lines_month_totals', table_name='usage_lines')
    op.create_index('ix_usage_lines_period_service', 'usage_lines', ['period', 'service_id'])


def downgrade():
    op.drop_index('ix_usage_lines_period_service', table_name='usage_lines')
    op.create_index('ix_usage_lines_month_totals', 'usage_lines',
                    ['period', 'service_id', 'consumer_id', 'quantity'])
    op.drop_table('usage_totals')
