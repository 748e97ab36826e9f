"""A big upload is a job run: what was uploaded, with which rights, and the batch it made.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

Job runs get the upload's kind, the uploader's file name (shown, never used as a path),
the generated name it is stored under in the upload folder, its size in bytes, the replace
flag, the unit scope computed when it was uploaded (JSON ``{"units": null}`` for every
unit, else the list of codes), and the import batch it came to. Every column is empty for
the other jobs.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('upload_kind', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('upload_filename', sa.String(length=255),
                                      nullable=True))
        batch_op.add_column(sa.Column('upload_name', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('upload_bytes', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('upload_replace', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('upload_scope', sa.JSON(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_job_runs_batch_id_import_batches'),
                                    'import_batches', ['batch_id'], ['id'])


def downgrade():
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_job_runs_batch_id_import_batches'),
                                 type_='foreignkey')
        batch_op.drop_column('upload_scope')
        batch_op.drop_column('upload_replace')
        batch_op.drop_column('upload_bytes')
        batch_op.drop_column('upload_name')
        batch_op.drop_column('upload_filename')
        batch_op.drop_column('upload_kind')
        batch_op.drop_column('batch_id')
