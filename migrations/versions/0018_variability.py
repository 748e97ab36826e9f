"""Customer-introduced variability: each service's stance on Frei's five kinds, and what a
close froze of them.

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-02

- ``service_variability``: a unit's statement that a service reduces or accommodates one
  kind of variability (arrival, request, capability, effort, subjective preference), with a
  short note saying how;
- ``variability_snapshots``: the stance that held for each service and kind when a month
  closed, stated by the unit or proposed by its service model's template. A month closed
  before this revision gets, for each service of its snapshot, its template's proposals
  (nobody could state a stance then), as the proposals stand in this revision.
"""
from alembic import op
import sqlalchemy as sa

revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None

KINDS = ("arrival", "request", "capability", "effort", "subjective_preference")
_NEW_CAPABILITY = {"arrival": "reduce", "request": "accommodate", "capability": "reduce",
                   "effort": "reduce", "subjective_preference": "accommodate"}
# rules.variability.PROPOSALS as of this revision (a migration never imports today's code)
PROPOSALS = {
    "operational_excellence": dict.fromkeys(KINDS, "reduce"),
    "customer_intimacy": dict.fromkeys(KINDS, "accommodate"),
    "product_leadership": _NEW_CAPABILITY,
    "venture": _NEW_CAPABILITY,
}


def _one_of(column, values, table):
    quoted = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})",
                              name=op.f(f"ck_{table}_{column}_allowed"))


def upgrade():
    op.create_table(
        'service_variability',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('stance', sa.String(length=16), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=True),
        sa.Column('stated_by', sa.String(length=254), nullable=False),
        sa.Column('stated_at', sa.DateTime(timezone=True),
                  server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        _one_of('kind', KINDS, 'service_variability'),
        _one_of('stance', ('reduce', 'accommodate'), 'service_variability'),
        sa.ForeignKeyConstraint(['service_id'], ['services.id'], ondelete='CASCADE',
                                name=op.f('fk_service_variability_service_id_services')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_service_variability')),
        sa.UniqueConstraint('service_id', 'kind',
                            name=op.f('uq_service_variability_service_id_kind')),
    )
    op.create_table(
        'variability_snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('service_code', sa.String(length=64), nullable=False),
        sa.Column('unit_code', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('stance', sa.String(length=16), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=True),
        sa.Column('source', sa.String(length=16), nullable=False),
        _one_of('kind', KINDS, 'variability_snapshots'),
        _one_of('stance', ('reduce', 'accommodate'), 'variability_snapshots'),
        _one_of('source', ('stated', 'template'), 'variability_snapshots'),
        sa.ForeignKeyConstraint(['period'], ['periods.period'],
                                name=op.f('fk_variability_snapshots_period_periods')),
        sa.ForeignKeyConstraint(['service_id'], ['services.id'],
                                name=op.f('fk_variability_snapshots_service_id_services')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_variability_snapshots')),
        sa.UniqueConstraint('period', 'service_id', 'kind',
                            name=op.f('uq_variability_snapshots_period_service_id_kind')),
    )
    _backfill()


def _backfill():
    """Every closed month's services get their template's proposals, by the service model
    their unit had at that month's close."""
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT s.period, s.service_id, s.code, s.unit_code, t.service_model_code "
        "FROM service_snapshots s JOIN unit_tree_snapshots t "
        "ON t.period = s.period AND t.unit_code = s.unit_code "
        "JOIN periods p ON p.period = s.period WHERE p.status <> 'open'")).all()
    snapshots = sa.table(
        "variability_snapshots", *(sa.column(name) for name in (
            "period", "service_id", "service_code", "unit_code", "kind", "stance", "note",
            "source")))
    values = [{"period": period, "service_id": service_id, "service_code": code,
               "unit_code": unit, "kind": kind, "stance": stance, "note": None,
               "source": "template"}
              for period, service_id, code, unit, model in rows
              for kind, stance in PROPOSALS.get(model, {}).items()]
    if values:
        op.bulk_insert(snapshots, values)


def downgrade():
    op.drop_table('variability_snapshots')
    op.drop_table('service_variability')
