"""Charge and journal lines carry no per-row foreign keys: the close guarantees them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

Only the close writes ``charges`` and ``journal_lines``, in bulk (``COPY`` on PostgreSQL),
with the ids of the units, consumers, services and month it read in the same transaction
while it holds the reference lock alone (no writer of those rows runs meanwhile), and it
checks them set-based after writing (``closing.check_references``). Nothing in the product
deletes a unit, consumer, service or month, and a closed month is read through its
snapshots. A foreign key there is one trigger call per line and per key: 80 % of the time
of a COPY of a month's charges on PostgreSQL.
"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

KEYS = {
    'charges': (('period', 'periods', 'period'), ('unit_id', 'units', 'id'),
                ('consumer_id', 'consumers', 'id'), ('service_id', 'services', 'id')),
    'journal_lines': (('period', 'periods', 'period'), ('unit_id', 'units', 'id'),
                      ('consumer_id', 'consumers', 'id')),
}


def _name(table, column, referred):
    return f'fk_{table}_{column}_{referred}'


def upgrade():
    for table, keys in KEYS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, referred, _ in keys:
                batch_op.drop_constraint(_name(table, column, referred), type_='foreignkey')


def downgrade():
    for table, keys in KEYS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, referred, key in keys:
                batch_op.create_foreign_key(_name(table, column, referred), referred,
                                            [column], [key])
