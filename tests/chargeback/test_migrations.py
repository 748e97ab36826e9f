"""The migrations build exactly the models' schema, and go down and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from chargeback.extensions import db
from chargeback.models import Base
from chargeback.models.types import ExactDecimal


def _differences():
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "render_as_batch": True,
            "include_object": lambda obj, name, type_, *_: name != "apscheduler_jobs",
        })
        return compare_metadata(context, Base.metadata)


def test_migrated_schema_equals_the_models(app):
    assert _differences() == []


def test_downgrade_to_base_and_upgrade_again(app):
    downgrade(revision="base")
    tables = set(inspect(db.engine).get_table_names()) - {"alembic_version", "apscheduler_jobs"}
    assert tables == set()
    upgrade()
    assert set(inspect(db.engine).get_table_names()) >= set(Base.metadata.tables)
    assert _differences() == []
    names = {row.code for row in db.session.execute(db.text("SELECT code FROM service_models"))}
    assert names == {"operational_excellence", "product_leadership", "customer_intimacy"}


def test_exact_decimal_keeps_every_digit(app):
    from decimal import Decimal

    value = Decimal("80.83333333333333333333333333")
    column = ExactDecimal()
    assert column.process_result_value(column.process_bind_param(value, None), None) == value
