"""A month is closed when its pack is published; each close seals its month; "already
imported" is a unique constraint on a batch's content; a scoring method is checked by its
registry, not by the database (its name may be up to 32 characters); a rule's charge
line names its pool and driver or percent as data.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

Periods get the status ``publishing`` (the close committed, its pack not yet renamed into
place); pack files get ``published_at`` (every earlier pack counts as published when it
was written); ``period_seals`` holds the hash chain; import batches get the checksum of
their parsed rows, unique per kind among stored batches (earlier batches have none).
"""
import re
from decimal import Decimal

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


METHOD_NAME = 32  # rules.methods.METHOD_NAME_LENGTH


def upgrade():
    with op.batch_alter_table('criteria', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_criteria_method_allowed'), type_='check')
        batch_op.alter_column('method', existing_type=sa.String(length=8),
                              type_=sa.String(length=METHOD_NAME), existing_nullable=False)
    with op.batch_alter_table('criterion_results', schema=None) as batch_op:
        batch_op.alter_column('method', existing_type=sa.String(length=8),
                              type_=sa.String(length=METHOD_NAME), existing_nullable=False)
    with op.batch_alter_table('periods', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=8),
                              type_=sa.String(length=16), existing_nullable=False)
        batch_op.drop_constraint(op.f('ck_periods_status_allowed'), type_='check')
        batch_op.create_check_constraint(
            'status_allowed', "status IN ('open', 'publishing', 'closed')")
    with op.batch_alter_table('pack_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True),
                                      nullable=True))
    op.execute("UPDATE pack_files SET published_at = created_at")
    op.create_table(
        'period_seals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('previous', sa.String(length=64), nullable=False),
        sa.Column('seal', sa.String(length=64), nullable=False),
        sa.Column('parts', sa.JSON(), nullable=False),
        sa.Column('audit_from', sa.Integer(), nullable=False),
        sa.Column('audit_to', sa.Integer(), nullable=False),
        sa.Column('audit_gaps', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.CheckConstraint("state IN ('current', 'superseded', 'undone')",
                           name=op.f('ck_period_seals_state_allowed')),
        sa.ForeignKeyConstraint(['period'], ['periods.period'],
                                name=op.f('fk_period_seals_period_periods')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_period_seals')),
        sa.UniqueConstraint('previous', name=op.f('uq_period_seals_previous')),
        sa.UniqueConstraint('seal', name=op.f('uq_period_seals_seal')),
    )
    with op.batch_alter_table('period_seals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_period_seals_period'), ['period'], unique=False)
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_sha256', sa.String(length=64), nullable=True))
        batch_op.create_index('uq_import_batches_kind_content', ['kind', 'content_sha256'],
                              unique=True, sqlite_where=sa.text("status = 'stored'"),
                              postgresql_where=sa.text("status = 'stored'"))
    _charge_rules()


BASIS = re.compile(r"^pool (?P<pool>\S+) (?:by (?P<driver>\S+)|fixed (?P<percent>[0-9.]+)%)$")
charges = sa.table('charges', sa.column('method', sa.String), sa.column('basis', sa.Text),
                   sa.column('pool', sa.String), sa.column('driver', sa.String),
                   sa.column('percent', sa.Numeric(24, 6)))


def _charge_rules():
    """A rule's charge line names its pool and driver or percent as data: the lines stored
    before get them from their basis, written by the close as "pool P by D" or "pool P
    fixed N%" (one update per distinct basis)."""
    with op.batch_alter_table('charges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pool', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('driver', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('percent', sa.Numeric(24, 6), nullable=True))
    bind = op.get_bind()
    for basis, in bind.execute(sa.select(charges.c.basis).distinct()
                               .where(charges.c.method.in_(("driver", "fixed")))).all():
        found = BASIS.match(basis or "")
        if found is None:
            continue
        percent = found.group("percent")
        bind.execute(charges.update().where(charges.c.basis == basis).values(
            pool=found.group("pool"), driver=found.group("driver"),
            percent=Decimal(percent) if percent else None))


def downgrade():
    with op.batch_alter_table('charges', schema=None) as batch_op:
        batch_op.drop_column('percent')
        batch_op.drop_column('driver')
        batch_op.drop_column('pool')
    with op.batch_alter_table('criterion_results', schema=None) as batch_op:
        batch_op.alter_column('method', existing_type=sa.String(length=METHOD_NAME),
                              type_=sa.String(length=8), existing_nullable=False)
    with op.batch_alter_table('criteria', schema=None) as batch_op:
        batch_op.alter_column('method', existing_type=sa.String(length=METHOD_NAME),
                              type_=sa.String(length=8), existing_nullable=False)
        batch_op.create_check_constraint('method_allowed',
                                         "method IN ('linear', 'binary', 'bands')")
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_index('uq_import_batches_kind_content')
        batch_op.drop_column('content_sha256')
    with op.batch_alter_table('period_seals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_period_seals_period'))
    op.drop_table('period_seals')
    with op.batch_alter_table('pack_files', schema=None) as batch_op:
        batch_op.drop_column('published_at')
    op.execute("UPDATE periods SET status = 'open' WHERE status = 'publishing'")
    with op.batch_alter_table('periods', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_periods_status_allowed'), type_='check')
        batch_op.create_check_constraint('status_allowed', "status IN ('open', 'closed')")
        batch_op.alter_column('status', existing_type=sa.String(length=16),
                              type_=sa.String(length=8), existing_nullable=False)
