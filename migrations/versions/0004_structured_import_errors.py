"""A refused batch keeps its errors as rows (line, column, message), not as text.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30

The errors the earlier text column held are split into rows once, here.
"""
import re

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_LINE = re.compile(r"line (\d+): (?:([^:]+): )?(.*)\Z", re.S)


def upgrade():
    errors = op.create_table(
        'import_batch_errors',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('line', sa.Integer(), nullable=True),
        sa.Column('column', sa.String(length=255), nullable=True),
        sa.Column('message', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], ondelete='CASCADE',
                                name=op.f('fk_import_batch_errors_batch_id_import_batches')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batch_errors')),
    )
    with op.batch_alter_table('import_batch_errors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_batch_errors_batch_id'), ['batch_id'],
                              unique=False)
    connection = op.get_bind()
    rows = []
    for batch_id, text in connection.execute(sa.text(
            "SELECT id, errors FROM import_batches WHERE errors IS NOT NULL")):
        for position, line in enumerate(text.splitlines(), start=1):
            found = _LINE.match(line)
            rows.append({"batch_id": batch_id, "position": position,
                         "line": int(found.group(1)) if found else None,
                         "column": found.group(2) if found else None,
                         "message": found.group(3) if found else line})
    if rows:
        op.bulk_insert(errors, rows)
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_column('errors')


def downgrade():
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('errors', sa.Text(), nullable=True))
    connection = op.get_bind()
    texts: dict[int, list[str]] = {}
    for batch_id, line, column, message in connection.execute(sa.text(
            "SELECT batch_id, line, \"column\", message FROM import_batch_errors "
            "ORDER BY batch_id, position")):
        parts = ([f"line {line}"] if line is not None else []) + ([column] if column else [])
        texts.setdefault(batch_id, []).append(": ".join(parts + [message]))
    for batch_id, lines in texts.items():
        connection.execute(sa.text("UPDATE import_batches SET errors = :errors WHERE id = :id"),
                           {"errors": "\n".join(lines), "id": batch_id})
    with op.batch_alter_table('import_batch_errors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_batch_errors_batch_id'))
    op.drop_table('import_batch_errors')
