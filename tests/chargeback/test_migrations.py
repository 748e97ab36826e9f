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
    assert names == {"operational_excellence", "product_leadership", "customer_intimacy",
                     "venture"}


def test_exact_decimal_keeps_every_digit(app):
    from decimal import Decimal

    value = Decimal("80.83333333333333333333333333")
    column = ExactDecimal()
    assert column.process_result_value(column.process_bind_param(value, None), None) == value


def test_months_closed_before_the_frozen_read_model_are_backfilled(app, runner, tmp_path):
    """A database of revision 0003 with a closed month and a refused batch is upgraded: the
    month's snapshots, spend by pool, internal charges and business charges are filled from
    what it holds, so the month reads as before, and the batch keeps its errors as rows."""
    from chargeback.services.queries import closed_month, portfolio
    from tests.chargeback.test_close_end_to_end import load_company, run

    load_company(runner, ("WW", "ALT", "LAB"))
    run(runner, "close", "2026-03")
    bad = tmp_path / "bad.csv"
    bad.write_text("period,unit_code,measure,value\n2026-04,ALT,seats,abc\n2026-04,NOPE,x,1\n")
    assert runner.invoke(args=["import", "metrics", str(bad)]).exit_code == 1
    before = portfolio.rows(closed_month.load(db.session, "2026-03", "USD"))
    db.session.commit()
    db.session.remove()

    downgrade(revision="0003")
    upgrade()
    db.session.remove()

    assert portfolio.rows(closed_month.load(db.session, "2026-03", "USD")) == before
    errors = db.session.execute(db.text(
        'SELECT line, "column", message FROM import_batch_errors ORDER BY position')).all()
    assert [tuple(e) for e in errors] == [
        (2, "value", "'abc' is not a number"), (3, "unit_code", "unknown unit 'NOPE'")]


def test_months_closed_before_close_settings_were_kept_get_them_at_the_upgrade(app, runner):
    """A month closed before revision 0003 kept no currency or band limits: the upgrade
    gives it its journal's currency and the limits set then, so a later change of either
    setting does not move its bands or its money's label."""
    from decimal import Decimal

    from chargeback.services import settings
    from chargeback.services.queries import closed_month, portfolio
    from tests.chargeback.test_close_end_to_end import load_company, run

    load_company(runner, ("WW", "ALT", "LAB"))
    settings.set_thresholds(db.session, Decimal(80), Decimal(60), Decimal(40), "test")
    db.session.commit()
    run(runner, "close", "2026-03")
    before = portfolio.rows(closed_month.load(db.session, "2026-03", "USD"))
    db.session.commit()
    db.session.remove()

    downgrade(revision="0002")  # the month's currency and band limits are gone
    upgrade()
    db.session.remove()

    settings.set_thresholds(db.session, Decimal(95), Decimal(85), Decimal(75), "test")
    db.session.execute(db.text("DELETE FROM settings WHERE key = 'currency'"))
    db.session.commit()
    month = closed_month.load(db.session, "2026-03", "EUR")
    assert month.currency == "USD"  # the journal's, not today's EUR
    assert (month.limits.exceeds, month.limits.meets, month.limits.watch) == (80, 60, 40)
    assert portfolio.rows(month) == before
