"""Usage and spend lines keep no foreign keys; a trigger on each table they name refuses
to delete (or re-key) a row lines still name.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

A foreign key is checked row by row: on PostgreSQL four trigger calls per usage line took
85 % of a COPY's time. The import resolves every code against the stored rows in its own
transaction and holds those rows ``FOR KEY SHARE`` until it commits, so what the keys
checked on insert holds without them (docs/imports.md, "Bulk path"). What they also did, refuse
to delete a unit, consumer, service, month or batch that lines name, is kept by a trigger
on the named table, which runs only when such a row is deleted or its key changes.

The index on ``usage_lines.batch_id`` goes too: nothing reads usage lines by batch, and it
was a third of the index work of every line stored. On PostgreSQL the lines' id sequences
hand out ids a thousand at a time (a tenth of an INSERT ... SELECT's time was nextval).
"""
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# (lines table, its column, the table it names, that table's key)
REFERENCES = (
    ('usage_lines', 'batch_id', 'import_batches', 'id'),
    ('usage_lines', 'period', 'periods', 'period'),
    ('usage_lines', 'consumer_id', 'consumers', 'id'),
    ('usage_lines', 'service_id', 'services', 'id'),
    ('spend_lines', 'batch_id', 'import_batches', 'id'),
    ('spend_lines', 'period', 'periods', 'period'),
    ('spend_lines', 'unit_id', 'units', 'id'),
)

# Ids a PostgreSQL session takes from the lines' sequences at a time: the sequence is not
# touched (nor WAL-logged) once per inserted line; a session that ends unused leaves a gap.
ID_CACHE = 1000

FUNCTION = 'refuse_named_row_change'

POSTGRESQL_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
-- TG_ARGV: the lines table, its column, the key of this table it holds.
DECLARE
    named boolean;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        EXECUTE format('SELECT ($1).%I IS NOT DISTINCT FROM ($2).%I', TG_ARGV[2], TG_ARGV[2])
            INTO named USING OLD, NEW;
        IF named THEN
            RETURN NULL;
        END IF;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I = ($1).%I)',
                   TG_ARGV[0], TG_ARGV[1], TG_ARGV[2]) INTO named USING OLD;
    IF named THEN
        RAISE EXCEPTION '% on table "%" refused: table "%" still names the row',
                        TG_OP, TG_TABLE_NAME, TG_ARGV[0]
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (%s) is still referenced from %s.%s.',
                                  TG_ARGV[2], TG_ARGV[0], TG_ARGV[1]);
    END IF;
    RETURN NULL;
END
$$
"""


def _trigger(lines: str, column: str) -> str:
    return f'keep_{lines}_{column}'


def _of(lines: str):
    return [(column, named, key) for table, column, named, key in REFERENCES
            if table == lines]


def upgrade():
    for lines in ('usage_lines', 'spend_lines'):  # SQLite copies each table once
        with op.batch_alter_table(lines, schema=None) as batch_op:
            for column, named, _ in _of(lines):
                batch_op.drop_constraint(op.f(f'fk_{lines}_{column}_{named}'),
                                         type_='foreignkey')
            if lines == 'usage_lines':
                batch_op.drop_index(batch_op.f('ix_usage_lines_batch_id'))
    if op.get_bind().dialect.name == 'postgresql':
        for lines in ('usage_lines', 'spend_lines'):
            op.execute(f"ALTER SEQUENCE {lines}_id_seq CACHE {ID_CACHE}")
        op.execute(POSTGRESQL_FUNCTION)
        for lines, column, named, key in REFERENCES:
            op.execute(f"CREATE TRIGGER {_trigger(lines, column)} AFTER DELETE OR UPDATE OF "
                       f"{key} ON {named} FOR EACH ROW EXECUTE FUNCTION "
                       f"{FUNCTION}('{lines}', '{column}', '{key}')")
        return
    for lines, column, named, key in REFERENCES:
        refusal = (f"SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: {lines}.{column} "
                   f"still names the row'); ")
        op.execute(f"CREATE TRIGGER {_trigger(lines, column)}_delete AFTER DELETE ON {named} "
                   f"WHEN EXISTS (SELECT 1 FROM {lines} WHERE {column} = OLD.{key}) "
                   f"BEGIN {refusal}END")
        op.execute(f"CREATE TRIGGER {_trigger(lines, column)}_update AFTER UPDATE OF {key} "
                   f"ON {named} WHEN OLD.{key} IS NOT NEW.{key} AND EXISTS (SELECT 1 FROM "
                   f"{lines} WHERE {column} = OLD.{key}) BEGIN {refusal}END")


def downgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for lines, column, named, _ in REFERENCES:
        if postgresql:
            op.execute(f"DROP TRIGGER IF EXISTS {_trigger(lines, column)} ON {named}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {_trigger(lines, column)}_delete")
            op.execute(f"DROP TRIGGER IF EXISTS {_trigger(lines, column)}_update")
    if postgresql:
        op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
        for lines in ('usage_lines', 'spend_lines'):
            op.execute(f"ALTER SEQUENCE {lines}_id_seq CACHE 1")
    for lines in ('usage_lines', 'spend_lines'):
        with op.batch_alter_table(lines, schema=None) as batch_op:
            if lines == 'usage_lines':
                batch_op.create_index(batch_op.f('ix_usage_lines_batch_id'), ['batch_id'],
                                      unique=False)
            for column, named, key in _of(lines):
                batch_op.create_foreign_key(op.f(f'fk_{lines}_{column}_{named}'), named,
                                            [column], [key])
