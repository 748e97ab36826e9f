"""Service catalog: each service's owner, its offerings, their service level targets, the
service level results of each month, and the catalog as a close froze it.

Revision ID: 0017
Revises: 0018
Create Date: 2026-12-02

- ``services.owner_id``: the service owner, a user (imported by e-mail);
- ``offerings``: a service's packages at different levels (``standard``, ``priority``);
- ``sla_targets``: an offering's target for a named measure, higher or lower is better;
- ``sla_results``: a month's measured service level, per offering or ('') service-wide;
- ``import_batches.kind``: the three new import kinds (offerings, sla_targets, sla_results);
- ``service_snapshots.owner_email`` and ``offering_snapshots``: the owner, offerings and
  targets as the close read them, so a closed month's catalog never changes.

``services`` gets its column by a plain ALTER TABLE, not a batch (a batch rebuilds the
table on SQLite and would drop the triggers migration 0010 put on it).
"""
from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0018'
branch_labels = None
depends_on = None

OLD_KINDS = ('units', 'consumers', 'services', 'rates', 'spend', 'budget', 'metrics', 'usage',
             'drivers')
NEW_KINDS = (*OLD_KINDS, 'offerings', 'sla_targets', 'sla_results')


def _kinds(kinds):
    """The kinds a batch may have. SQLite changes a check only by rebuilding the table,
    which drops its triggers: migration 0010's on import_batches are made again."""
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_import_batches_kind_allowed'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_import_batches_kind_allowed'),
            "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")")
    if op.get_bind().dialect.name == 'sqlite':
        for lines in ('usage_lines', 'spend_lines'):
            _sqlite_triggers(lines, 'batch_id', 'import_batches', 'id')


def _sqlite_triggers(lines, column, named, key):
    """Migration 0010's two SQLite triggers that keep a row ``lines`` names."""
    name = f'keep_{lines}_{column}'
    refusal = (f"SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: {lines}.{column} "
               f"still names the row'); ")
    op.execute(f"DROP TRIGGER IF EXISTS {name}_delete")
    op.execute(f"DROP TRIGGER IF EXISTS {name}_update")
    op.execute(f"CREATE TRIGGER {name}_delete AFTER DELETE ON {named} "
               f"WHEN EXISTS (SELECT 1 FROM {lines} WHERE {column} = OLD.{key}) "
               f"BEGIN {refusal}END")
    op.execute(f"CREATE TRIGGER {name}_update AFTER UPDATE OF {key} "
               f"ON {named} WHEN OLD.{key} IS NOT NEW.{key} AND EXISTS (SELECT 1 FROM "
               f"{lines} WHERE {column} = OLD.{key}) BEGIN {refusal}END")


def upgrade():
    _kinds(NEW_KINDS)
    if op.get_bind().dialect.name == 'sqlite':  # ADD COLUMN ... REFERENCES, no rebuild
        op.execute("ALTER TABLE services ADD COLUMN owner_id INTEGER "
                   "CONSTRAINT fk_services_owner_id_users REFERENCES users (id)")
    else:
        op.add_column('services', sa.Column('owner_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_services_owner_id_users'), 'services', 'users',
                              ['owner_id'], ['id'])
    op.create_table(
        'offerings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['service_id'], ['services.id'],
                                name=op.f('fk_offerings_service_id_services')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_offerings')),
        sa.UniqueConstraint('service_id', 'code', name=op.f('uq_offerings_service_id_code')),
    )
    op.create_table(
        'sla_targets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('offering_id', sa.Integer(), nullable=False),
        sa.Column('measure', sa.String(length=64), nullable=False),
        sa.Column('target', sa.Numeric(precision=24, scale=6), nullable=False),
        sa.Column('direction', sa.String(length=8), nullable=False),
        sa.CheckConstraint("direction IN ('higher', 'lower')",
                           name=op.f('ck_sla_targets_direction_allowed')),
        sa.ForeignKeyConstraint(['offering_id'], ['offerings.id'],
                                name=op.f('fk_sla_targets_offering_id_offerings')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_targets')),
        sa.UniqueConstraint('offering_id', 'measure', name=op.f('uq_sla_targets_offering_id_measure')),
    )
    op.create_table(
        'sla_results',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('offering', sa.String(length=64), nullable=False),
        sa.Column('measure', sa.String(length=64), nullable=False),
        sa.Column('value', sa.Numeric(precision=24, scale=6), nullable=False),
        sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'],
                                name=op.f('fk_sla_results_batch_id_import_batches')),
        sa.ForeignKeyConstraint(['period'], ['periods.period'],
                                name=op.f('fk_sla_results_period_periods')),
        sa.ForeignKeyConstraint(['service_id'], ['services.id'],
                                name=op.f('fk_sla_results_service_id_services')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_results')),
        sa.UniqueConstraint('service_id', 'period', 'offering', 'measure',
                            name=op.f('uq_sla_results_service_id_period_offering_measure')),
    )
    with op.batch_alter_table('sla_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_results_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sla_results_period'), ['period'], unique=False)
    with op.batch_alter_table('service_snapshots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_email', sa.String(length=254), nullable=True))
    op.create_table(
        'offering_snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('offering', sa.String(length=64), nullable=False),
        sa.Column('offering_name', sa.String(length=200), nullable=False),
        sa.Column('measure', sa.String(length=64), nullable=True),
        sa.Column('target', sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column('direction', sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(['period'], ['periods.period'],
                                name=op.f('fk_offering_snapshots_period_periods')),
        sa.ForeignKeyConstraint(['service_id'], ['services.id'],
                                name=op.f('fk_offering_snapshots_service_id_services')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_offering_snapshots')),
    )
    with op.batch_alter_table('offering_snapshots', schema=None) as batch_op:
        batch_op.create_index('ix_offering_snapshots_period_service', ['period', 'service_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('offering_snapshots', schema=None) as batch_op:
        batch_op.drop_index('ix_offering_snapshots_period_service')
    op.drop_table('offering_snapshots')
    with op.batch_alter_table('service_snapshots', schema=None) as batch_op:
        batch_op.drop_column('owner_email')
    with op.batch_alter_table('sla_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_results_period'))
        batch_op.drop_index(batch_op.f('ix_sla_results_batch_id'))
    op.drop_table('sla_results')
    op.drop_table('sla_targets')
    op.drop_table('offerings')
    new = "(SELECT id FROM import_batches WHERE kind IN ('offerings', 'sla_targets', " \
          "'sla_results'))"
    op.execute(f"UPDATE job_runs SET batch_id = NULL WHERE batch_id IN {new}")
    op.execute(f"DELETE FROM import_batch_errors WHERE batch_id IN {new}")
    op.execute("DELETE FROM import_batches WHERE kind IN ('offerings', 'sla_targets', "
               "'sla_results')")
    _kinds(OLD_KINDS)
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_services_owner_id_users'), 'services', type_='foreignkey')
        op.drop_column('services', 'owner_id')
        return
    # SQLite drops a column that a foreign key uses only by rebuilding the table, which
    # drops the table's triggers: migration 0010's two on services are made again.
    with op.batch_alter_table('services', schema=None, recreate='always') as batch_op:
        batch_op.drop_column('owner_id')
    _sqlite_triggers('usage_lines', 'service_id', 'services', 'id')
