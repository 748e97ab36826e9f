"""PostgreSQL: ``bigint_sum``, a sum of bigints kept in a bigint, for the usage totals.

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-02

An import adds its batch's sums per month, service and consumer to ``usage_totals``
(migration 0014), grouped in the database from the batch's lines: a million lines are
120,000 groups in the benchmark's file. ``sum(quantity)`` keeps a ``numeric`` state per
group, allocated apart from the group (``sum(bigint)``'s 128-bit state too); a hash table
of 120,000 of them was about a third of the statement's time. ``bigint_sum`` keeps its
state in the group itself (a ``bigint``, passed by value; ``int8pl`` adds, and refuses to
overflow), so the import sums each line's quantity in millionths
(``bigint_sum(CAST(quantity * 1000000 AS bigint))``: exact, a quantity has six decimals)
for what ``usage_totals.quantity_micros`` holds anyway, a ``bigint``: a sum too large for
it fails the import as the ``CAST`` of the ``numeric`` sum did.

SQLite sums in its own path (``chargeback.importing.totals``) and needs nothing here.
"""
from alembic import op

revision = '0021'
down_revision = '0019'
branch_labels = None
depends_on = None

AGGREGATE = ("CREATE OR REPLACE AGGREGATE bigint_sum(bigint) "
             "(SFUNC = int8pl, STYPE = bigint, COMBINEFUNC = int8pl, PARALLEL = SAFE)")


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(AGGREGATE)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP AGGREGATE IF EXISTS bigint_sum(bigint)")
