"""A closed month is read only from what its close froze.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

New: snapshots of each consumer and service at the close; a unit's spend by pool and by
tower and the internal charges between units, summed at the close; the part of what a unit
charged that went to business consumers; the scorecard version number on each rating; the
unit id and service model name on the tree snapshot; when the close froze the figures.

Months closed before this revision get their snapshots from the data as it is at the
upgrade (consumers, services, the scorecard versions): the best there is, and for a month
whose consumers have not moved since its close, exactly what it was.
"""
import os
from collections import defaultdict
from decimal import Decimal

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(18, 2)
PRICE = sa.Numeric(18, 6)
ZERO = Decimal("0.00")


def upgrade():
    _schema()
    _backfill()
    with op.batch_alter_table('unit_tree_snapshots', schema=None) as batch_op:
        batch_op.alter_column('unit_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('service_model_name', existing_type=sa.String(length=200),
                              nullable=False)
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.alter_column('scorecard_version', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('scorecard_from', existing_type=sa.String(length=7),
                              nullable=False)


def _schema():
    op.create_table(
        'consumer_snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('consumer_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('gl_account', sa.String(length=64), nullable=False),
        sa.Column('unit_code', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['consumer_id'], ['consumers.id'],
                                name=op.f('fk_consumer_snapshots_consumer_id_consumers')),
        sa.ForeignKeyConstraint(['period'], ['periods.period'],
                                name=op.f('fk_consumer_snapshots_period_periods')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_consumer_snapshots')),
        sa.UniqueConstraint('period', 'consumer_id',
                            name=op.f('uq_consumer_snapshots_period_consumer_id')),
    )
    op.create_table(
        'service_snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('unit_code', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('uom', sa.String(length=64), nullable=False),
        sa.Column('price', PRICE, nullable=True),
        sa.Column('price_from', sa.String(length=7), nullable=True),
        sa.ForeignKeyConstraint(['period'], ['periods.period'],
                                name=op.f('fk_service_snapshots_period_periods')),
        sa.ForeignKeyConstraint(['service_id'], ['services.id'],
                                name=op.f('fk_service_snapshots_service_id_services')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_service_snapshots')),
        sa.UniqueConstraint('period', 'service_id',
                            name=op.f('uq_service_snapshots_period_service_id')),
    )
    op.create_table(
        'unit_period_spend',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('dimension', sa.String(length=8), nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.CheckConstraint("dimension IN ('pool', 'tower')",
                           name=op.f('ck_unit_period_spend_dimension_allowed')),
        sa.ForeignKeyConstraint(['period'], ['periods.period'],
                                name=op.f('fk_unit_period_spend_period_periods')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                                name=op.f('fk_unit_period_spend_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_period_spend')),
        sa.UniqueConstraint('period', 'unit_id', 'dimension', 'code',
                            name=op.f('uq_unit_period_spend_period_unit_id_dimension_code')),
    )
    with op.batch_alter_table('unit_period_spend', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_period_spend_period'), ['period'],
                              unique=False)
    op.create_table(
        'internal_charges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('receiver_id', sa.Integer(), nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.ForeignKeyConstraint(['period'], ['periods.period'],
                                name=op.f('fk_internal_charges_period_periods')),
        sa.ForeignKeyConstraint(['provider_id'], ['units.id'],
                                name=op.f('fk_internal_charges_provider_id_units')),
        sa.ForeignKeyConstraint(['receiver_id'], ['units.id'],
                                name=op.f('fk_internal_charges_receiver_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_internal_charges')),
        sa.UniqueConstraint('period', 'provider_id', 'receiver_id',
                            name=op.f('uq_internal_charges_period_provider_id_receiver_id')),
    )
    with op.batch_alter_table('internal_charges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_internal_charges_period'), ['period'],
                              unique=False)
    with op.batch_alter_table('unit_tree_snapshots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('service_model_name', sa.String(length=200),
                                      nullable=True))
        batch_op.create_index(batch_op.f('ix_unit_tree_snapshots_unit_id'), ['unit_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_unit_tree_snapshots_unit_id_units'),
                                    'units', ['unit_id'], ['id'])
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scorecard_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('scorecard_from', sa.String(length=7), nullable=True))
    with op.batch_alter_table('unit_period_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('charged_external', MONEY, nullable=False,
                                      server_default='0'))
    with op.batch_alter_table('unit_period_results', schema=None) as batch_op:
        batch_op.alter_column('charged_external', server_default=None)
    with op.batch_alter_table('periods', schema=None) as batch_op:
        batch_op.add_column(sa.Column('computed_at', sa.DateTime(timezone=True),
                                      nullable=True))


# --- filling the new columns for months closed before ---------------------------------

units = sa.table('units', sa.column('id', sa.Integer), sa.column('code', sa.String),
                 sa.column('service_model_code', sa.String))
models = sa.table('service_models', sa.column('code', sa.String), sa.column('name', sa.String))
consumers = sa.table('consumers', sa.column('id', sa.Integer), sa.column('code', sa.String),
                     sa.column('name', sa.String), sa.column('gl_account', sa.String),
                     sa.column('unit_id', sa.Integer))
services = sa.table('services', sa.column('id', sa.Integer), sa.column('code', sa.String),
                    sa.column('unit_id', sa.Integer), sa.column('name', sa.String),
                    sa.column('uom', sa.String))
rates = sa.table('rate_cards', sa.column('service_id', sa.Integer),
                 sa.column('effective_from', sa.String), sa.column('price', PRICE))
charges = sa.table('charges', sa.column('period', sa.String), sa.column('unit_id', sa.Integer),
                   sa.column('consumer_id', sa.Integer), sa.column('amount', MONEY))
spend = sa.table('spend_lines', sa.column('period', sa.String),
                 sa.column('unit_id', sa.Integer), sa.column('cost_pool', sa.String),
                 sa.column('tower', sa.String), sa.column('amount', MONEY))
results = sa.table('unit_period_results', sa.column('period', sa.String),
                   sa.column('unit_id', sa.Integer), sa.column('charged_external', MONEY))
snapshots = sa.table('unit_tree_snapshots', sa.column('period', sa.String),
                     sa.column('unit_code', sa.String), sa.column('unit_id', sa.Integer),
                     sa.column('service_model_code', sa.String),
                     sa.column('service_model_name', sa.String))
ratings = sa.table('ratings', sa.column('id', sa.Integer),
                   sa.column('scorecard_version_id', sa.Integer),
                   sa.column('scorecard_version', sa.Integer),
                   sa.column('scorecard_from', sa.String))
versions = sa.table('scorecard_versions', sa.column('id', sa.Integer),
                    sa.column('version', sa.Integer), sa.column('effective_from', sa.String))
periods = sa.table('periods', sa.column('period', sa.String), sa.column('closed_at'),
                   sa.column('computed_at'), sa.column('status', sa.String),
                   sa.column('currency', sa.String), sa.column('band_limits', sa.JSON))
journal = sa.table('journal_lines', sa.column('period', sa.String),
                   sa.column('currency', sa.String))
settings = sa.table('settings', sa.column('key', sa.String), sa.column('value', sa.String))
BAND_DEFAULTS = {"exceeds": "90", "meets": "70", "watch": "50"}  # rules.model.BandThresholds


def _backfill():
    bind = op.get_bind()
    frozen = [p for p, in bind.execute(sa.select(results.c.period).distinct())]
    code_of = dict(bind.execute(sa.select(units.c.id, units.c.code)).all())
    unit_of = {code: uid for uid, code in code_of.items()}
    names = dict(bind.execute(sa.select(models.c.code, models.c.name)).all())
    for period, code, model in bind.execute(sa.select(
            snapshots.c.period, snapshots.c.unit_code, snapshots.c.service_model_code)).all():
        bind.execute(snapshots.update().where(snapshots.c.period == period,
                                              snapshots.c.unit_code == code)
                     .values(unit_id=unit_of.get(code), service_model_name=names.get(model, model)))
    for rating_id, number, start in bind.execute(
            sa.select(ratings.c.id, versions.c.version, versions.c.effective_from)
            .join(versions, versions.c.id == ratings.c.scorecard_version_id)).all():
        bind.execute(ratings.update().where(ratings.c.id == rating_id)
                     .values(scorecard_version=number, scorecard_from=start))
    bind.execute(periods.update().where(periods.c.closed_at.is_not(None))
                 .values(computed_at=periods.c.closed_at))
    _backfill_close_settings(bind)
    for period in frozen:
        _backfill_period(bind, period, code_of)


def _backfill_close_settings(bind) -> None:
    """Months closed before revision 0003 kept no currency or band limits: they get the
    currency of their journal (else the holding company's setting, else the deployment's
    CHARGEBACK_CURRENCY, else USD) and the band limits set at the upgrade (else the
    defaults), so a later change of either setting leaves them alone from now on."""
    stored = dict(bind.execute(sa.select(settings.c.key, settings.c.value)).all())
    fallback = stored.get("currency") or os.environ.get("CHARGEBACK_CURRENCY") or "USD"
    limits = {name: stored.get(f"band_{name}") or value
              for name, value in BAND_DEFAULTS.items()}
    frozen = bind.execute(sa.select(periods.c.period, periods.c.currency,
                                    periods.c.band_limits)
                          .where(periods.c.status.in_(("closed", "publishing")))).all()
    for period, currency, band_limits in frozen:
        if currency and band_limits:
            continue
        booked = bind.scalar(sa.select(journal.c.currency)
                             .where(journal.c.period == period).limit(1))
        bind.execute(periods.update().where(periods.c.period == period).values(
            currency=currency or booked or fallback, band_limits=band_limits or limits))


def _backfill_period(bind, period: str, code_of: dict) -> None:
    consumer_rows = bind.execute(sa.select(consumers)).all()
    unit_of_consumer = {c.id: c.unit_id for c in consumer_rows}
    if consumer_rows:
        op.bulk_insert(sa.table('consumer_snapshots', *(sa.column(n) for n in (
            'period', 'consumer_id', 'code', 'name', 'gl_account', 'unit_code'))), [
            {"period": period, "consumer_id": c.id, "code": c.code, "name": c.name,
             "gl_account": c.gl_account, "unit_code": code_of.get(c.unit_id)}
            for c in consumer_rows])
    prices = {}
    for service_id, start, price in bind.execute(
            sa.select(rates.c.service_id, rates.c.effective_from, rates.c.price)
            .where(rates.c.effective_from <= period).order_by(rates.c.effective_from)):
        prices[service_id] = (price, start)
    service_rows = bind.execute(sa.select(services)).all()
    if service_rows:
        op.bulk_insert(sa.table('service_snapshots', *(sa.column(n) for n in (
            'period', 'service_id', 'code', 'unit_code', 'name', 'uom')),
            sa.column('price', PRICE), sa.column('price_from')), [
            {"period": period, "service_id": s.id, "code": s.code,
             "unit_code": code_of.get(s.unit_id), "name": s.name, "uom": s.uom,
             "price": prices.get(s.id, (None, None))[0],
             "price_from": prices.get(s.id, (None, None))[1]} for s in service_rows])
    external: dict[int, Decimal] = defaultdict(lambda: ZERO)
    internal: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for unit_id, consumer_id, amount in bind.execute(
            sa.select(charges.c.unit_id, charges.c.consumer_id, charges.c.amount)
            .where(charges.c.period == period)):
        receiver = unit_of_consumer.get(consumer_id)
        if receiver is None:
            external[unit_id] += amount
        elif receiver != unit_id:
            internal[(unit_id, receiver)] += amount
    for unit_id, amount in external.items():
        bind.execute(results.update().where(results.c.period == period,
                                            results.c.unit_id == unit_id)
                     .values(charged_external=amount))
    if internal:
        op.bulk_insert(sa.table('internal_charges', *(sa.column(n) for n in (
            'period', 'provider_id', 'receiver_id')), sa.column('amount', MONEY)), [
            {"period": period, "provider_id": a, "receiver_id": b, "amount": amount}
            for (a, b), amount in sorted(internal.items())])
    sums: dict[tuple[int, str, str], Decimal] = defaultdict(lambda: ZERO)
    for unit_id, pool, tower, amount in bind.execute(
            sa.select(spend.c.unit_id, spend.c.cost_pool, spend.c.tower, spend.c.amount)
            .where(spend.c.period == period)):
        sums[(unit_id, "pool", pool)] += amount
        if tower is not None:
            sums[(unit_id, "tower", tower)] += amount
    if sums:
        op.bulk_insert(sa.table('unit_period_spend', *(sa.column(n) for n in (
            'period', 'unit_id', 'dimension', 'code')), sa.column('amount', MONEY)), [
            {"period": period, "unit_id": u, "dimension": d, "code": c, "amount": amount}
            for (u, d, c), amount in sorted(sums.items())])


def downgrade():
    with op.batch_alter_table('periods', schema=None) as batch_op:
        batch_op.drop_column('computed_at')
    with op.batch_alter_table('unit_period_results', schema=None) as batch_op:
        batch_op.drop_column('charged_external')
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_column('scorecard_from')
        batch_op.drop_column('scorecard_version')
    with op.batch_alter_table('unit_tree_snapshots', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_unit_tree_snapshots_unit_id_units'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_unit_tree_snapshots_unit_id'))
        batch_op.drop_column('service_model_name')
        batch_op.drop_column('unit_id')
    with op.batch_alter_table('internal_charges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_internal_charges_period'))
    op.drop_table('internal_charges')
    with op.batch_alter_table('unit_period_spend', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_period_spend_period'))
    op.drop_table('unit_period_spend')
    op.drop_table('service_snapshots')
    op.drop_table('consumer_snapshots')
