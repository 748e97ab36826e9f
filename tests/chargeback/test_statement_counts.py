"""A page's statement count does not grow with months, units, consumers or charge lines.

The portfolio page, a unit's page and the API's portfolio each make the same number of SQL
statements on the demo company with two closed months, with four, and on a holding company
of 200 units and 2,000 consumers: sums are ``GROUP BY`` queries, a unit's rating history is
loaded in one go, and nothing is read row by row.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event

from chargeback.demo import demo_months, load_demo_data, load_demo_rules, load_demo_scorecards
from chargeback.extensions import db
from chargeback.services import tokens
from chargeback.services.publication import close_and_publish
from chargeback.services.users import create_user
from scripts.scale_company import load_company, write_company
from tests.chargeback.web.conftest import PASSWORD, csrf_from
from tests.conftest import FAST_HASH
from tests.snapshots import built_once

pytestmark = pytest.mark.slow


@contextmanager
def counting():
    """Count the statements sent to the database inside the block."""
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def close(app, months: list[str]) -> None:
    for month in months:
        close_and_publish(db.session, month, "test",
                          pack_dir=Path(app.config["CHARGEBACK_PACK_DIR"]),
                          default_currency="USD")


def clients(app):
    user = create_user(db.session, "cit@example.com", "central_it", PASSWORD, "test",
                       hash_method=FAST_HASH)
    _, token = tokens.create(db.session, user, "counts", "test")
    db.session.commit()
    web = app.test_client()
    page = web.get("/login").get_data(as_text=True)
    web.post("/login", data={"email": "cit@example.com", "password": PASSWORD,
                             "csrf_token": csrf_from(page)})
    return web, app.test_client(), {"Authorization": f"Bearer {token}"}


def statement_counts(web, api, headers, period: str, unit: str) -> dict[str, int]:
    found = {}
    for name, client, url, extra in (
            ("portfolio page", web, f"/portfolio?period={period}", {}),
            ("unit page", web, f"/units/{unit}?period={period}", {}),
            ("unit charges page", web, f"/units/{unit}/charges?period={period}", {}),
            ("API portfolio", api, f"/api/v1/portfolio?period={period}", headers),
            ("API ratings", api, f"/api/v1/ratings?period={period}", headers)):
        client.get(url, headers=extra)  # warm: the first request of a client signs in
        db.session.remove()
        with counting() as seen:
            response = client.get(url, headers=extra)
        assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
        found[name] = len(seen)
    return found


@pytest.fixture
def demo(app):
    def load():
        load_demo_data(db.session, lambda _: None)
        db.session.commit()
        load_demo_scorecards(db.session, lambda _: None)
        load_demo_rules(db.session, lambda _: None)
        db.session.commit()

    built_once("demo loaded", load)
    return demo_months()


def test_statements_do_not_grow_with_months(app, demo):
    close(app, demo[:2])
    web, api, headers = clients(app)
    two = statement_counts(web, api, headers, demo[1], "ALT")
    close(app, demo[2:4])
    four = statement_counts(web, api, headers, demo[3], "ALT")
    assert four == two, (two, four)
    assert all(n <= 40 for n in two.values()), two


def test_statements_do_not_grow_with_units_consumers_or_charge_lines(app, demo, runner,
                                                                     tmp_path):
    close(app, demo[:2])
    web, api, headers = clients(app)
    small = statement_counts(web, api, headers, demo[1], "ALT")
    from tests.conftest import empty_tables

    empty_tables()
    months = ["2026-01", "2026-02"]
    load_company(runner, write_company(tmp_path / "scale", units=200, consumers=2000,
                                       months=months, spread=20))
    close(app, months)
    web, api, headers = clients(app)
    large = statement_counts(web, api, headers, months[1], "U001")
    assert large == small
