"""Service chains: which other units' services a service depends on, frozen at each close.

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-02

- ``service_dependencies``: a service and an upstream service (of another unit) it depends
  on, as the last ``dependencies`` import left them;
- ``service_dependency_snapshots``: the dependencies as a month's close read them, so a
  closed month's chain never changes (months closed before this revision have none: their
  chains show no upstream service, which is what was known when they closed);
- ``import_batches.kind``: ``dependencies`` is an import kind.
"""
from alembic import op
import sqlalchemy as sa

revision = '0019'
down_revision = '0017'
branch_labels = None
depends_on = None

KINDS = ('units', 'consumers', 'services', 'rates', 'spend', 'budget', 'metrics', 'usage',
         'drivers', 'offerings', 'sla_targets', 'sla_results')
NEW_KINDS = ('dependencies',)


def _kinds(kinds) -> None:
    """The kinds a batch may have. SQLite alters a CHECK by copying the table, which loses
    the triggers revision 0010 put on it (lines still naming a batch refuse its delete):
    they are made again, as 0010 made them."""
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_import_batches_kind_allowed'), type_='check')
        quoted = ", ".join(f"'{k}'" for k in kinds)
        batch_op.create_check_constraint('kind_allowed', sa.text(f"kind IN ({quoted})"))
    if op.get_bind().dialect.name == 'postgresql':
        return
    for lines in ('usage_lines', 'spend_lines'):
        trigger = f'keep_{lines}_batch_id'
        refusal = (f"SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: {lines}.batch_id "
                   f"still names the row'); ")
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}_delete")
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}_update")
        op.execute(f"CREATE TRIGGER {trigger}_delete AFTER DELETE ON import_batches "
                   f"WHEN EXISTS (SELECT 1 FROM {lines} WHERE batch_id = OLD.id) "
                   f"BEGIN {refusal}END")
        op.execute(f"CREATE TRIGGER {trigger}_update AFTER UPDATE OF id "
                   f"ON import_batches WHEN OLD.id IS NOT NEW.id AND EXISTS (SELECT 1 FROM "
                   f"{lines} WHERE batch_id = OLD.id) BEGIN {refusal}END")


def upgrade():
    op.create_table(
        'service_dependencies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('upstream_id', sa.Integer(), nullable=False),
        sa.CheckConstraint('service_id <> upstream_id',
                           name=op.f('ck_service_dependencies_not_itself')),
        sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'],
                                name=op.f('fk_service_dependencies_batch_id_import_batches')),
        sa.ForeignKeyConstraint(['service_id'], ['services.id'],
                                name=op.f('fk_service_dependencies_service_id_services')),
        sa.ForeignKeyConstraint(['upstream_id'], ['services.id'],
                                name=op.f('fk_service_dependencies_upstream_id_services')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_service_dependencies')),
        sa.UniqueConstraint('service_id', 'upstream_id',
                            name=op.f('uq_service_dependencies_service_id_upstream_id')),
    )
    with op.batch_alter_table('service_dependencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_dependencies_batch_id'), ['batch_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_service_dependencies_service_id'), ['service_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_service_dependencies_upstream_id'),
                              ['upstream_id'], unique=False)
    op.create_table(
        'service_dependency_snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('upstream_id', sa.Integer(), nullable=False),
        sa.Column('service_code', sa.String(length=64), nullable=False),
        sa.Column('upstream_code', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['period'], ['periods.period'],
                                name=op.f('fk_service_dependency_snapshots_period_periods')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_service_dependency_snapshots')),
        sa.UniqueConstraint(
            'period', 'service_id', 'upstream_id',
            name=op.f('uq_service_dependency_snapshots_period_service_id_upstream_id')),
    )
    with op.batch_alter_table('service_dependency_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_dependency_snapshots_period'), ['period'],
                              unique=False)
    _kinds(KINDS + NEW_KINDS)


def downgrade():
    op.execute(sa.text("DELETE FROM import_batch_errors WHERE batch_id IN "
                       "(SELECT id FROM import_batches WHERE kind IN ('dependencies'))"))
    op.drop_table('service_dependency_snapshots')
    op.drop_table('service_dependencies')
    op.execute(sa.text("DELETE FROM import_batches WHERE kind IN ('dependencies')"))
    _kinds(KINDS)
