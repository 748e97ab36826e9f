"""Pages benchmark: the portfolio and a unit page of a closed month of 400,000 charge lines.

    python benchmarks/pages.py --database-url postgresql://postgres@127.0.0.1:5432/bench
                               [--units 200] [--consumers 2000] [--repeat 30]

EVERYTHING IN THE DATABASE IS DROPPED: the schema is dropped and migrated again. Without
``--database-url`` a SQLite file in a temporary folder is used (the target is set for
PostgreSQL, the production database).

One run:

1. generates a holding company (``scripts/scale_company.py``): ``--units`` units under ten
   groups, ``--consumers`` business consumers, every unit sharing all its spend by headcount
   over every consumer, so one month has ``units x consumers`` charge lines (400,000 at the
   defaults), plus the data centre's compute sold to every unit (internal charges);
2. imports it and closes the month the way a customer does (``close_and_publish``: allocate,
   rate, freeze, seal, pack); not timed, but the close's seconds are printed;
3. asks, in-process (Flask's test client, signed in as central IT; a bearer token for the
   API), for the portfolio page, a unit's page (a leaf with 2,000 consumers), the unit's
   charge lines page and the API's portfolio, three times to warm up, then ``--repeat``
   times each, and takes the median and the 95th percentile;
4. **baseline**, in the same run on the same database: the bare SQL a page reading the
   month's charges live would need at the least, ``SELECT count(*), sum(amount) FROM charges
   WHERE period = ?`` with the bare driver; each page's median is given as a ratio to it;
5. prints the table, the number of SQL statements each request made, and whether each page
   answered under the target (150 ms); the figures also go to ``benchmarks/out/pages.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.scale_company import load_company, write_company  # noqa: E402

MONTH = "2026-01"
TARGET_MS = 150
OUT = Path(__file__).resolve().parent / "out"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--consumers", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--reuse", action="store_true",
                        help="measure the month an earlier run closed in this database")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="chargeback-pages-"))
    url = args.database_url or f"sqlite:///{workdir / 'pages.db'}"
    app = make_app(url, workdir)
    with app.app_context():
        if not args.reuse:
            prepare(app, workdir, args)
        token, lines, engine = credentials()
    figures = measure(app, engine, token, args.repeat)  # each request its own app context
    figures["charge_lines"] = lines
    report(figures, url, args)


def make_app(url: str, workdir: Path):
    from chargeback import create_app

    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark",
                       "CHARGEBACK_PACK_DIR": str(workdir / "packs"),
                       "CHARGEBACK_PASSWORD_HASH": "scrypt:1024:8:1", "TESTING": True})


def prepare(app, workdir: Path, args) -> None:
    """A fresh schema, the company imported, its month closed (printed, not timed)."""
    from flask_migrate import upgrade

    from chargeback.db_setup import drop_every_table
    from chargeback.extensions import db
    from chargeback.services.publication import close_and_publish

    drop_every_table(db.engine)
    upgrade()
    folder = write_company(workdir / "company", units=args.units, consumers=args.consumers,
                           months=[MONTH])
    start = time.perf_counter()
    load_company(app.test_cli_runner(), folder)
    print(f"imported {args.units} units and {args.consumers} consumers in "
          f"{time.perf_counter() - start:.1f} s", flush=True)
    start = time.perf_counter()
    close_and_publish(db.session, MONTH, "benchmark", pack_dir=workdir / "packs",
                      default_currency="USD")
    print(f"closed {MONTH} in {time.perf_counter() - start:.1f} s", flush=True)


def credentials() -> tuple[str, int, object]:
    """Central IT's user and an API token; the month's charge lines; the engine."""
    from sqlalchemy import func, select

    from chargeback.extensions import db
    from chargeback.models import Charge
    from chargeback.services import tokens
    from chargeback.services.queries import people
    from chargeback.services.users import create_user

    user = people.by_email(db.session, "cit@bench.example") or create_user(
        db.session, "cit@bench.example", "central_it", "a long password", "benchmark",
        hash_method="scrypt:1024:8:1")
    _, token = tokens.create(db.session, user, "benchmark", "benchmark")
    lines = db.session.scalar(select(func.count()).select_from(Charge).where(
        Charge.period == MONTH))
    db.session.commit()
    return token, lines, db.engine


def measure(app, engine, token: str, repeat: int) -> dict:
    from sqlalchemy import event

    web, api = app.test_client(), app.test_client()
    page = web.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    web.post("/login", data={"email": "cit@bench.example", "password": "a long password",
                             "csrf_token": csrf})
    headers = {"Authorization": f"Bearer {token}"}
    asks = {"portfolio page": (web, f"/portfolio?period={MONTH}", {}),
            "unit page (U001)": (web, f"/units/U001?period={MONTH}", {}),
            "unit charge lines page": (web, f"/units/U001/charges?period={MONTH}", {}),
            "API portfolio": (api, f"/api/v1/portfolio?period={MONTH}", headers)}
    figures = {"pages": {}}
    for name, (client, url, extra) in asks.items():
        times, statements = [], []

        def count(*_args, seen=statements):
            seen.append(1)

        for n in range(3 + repeat):
            event.listen(engine, "before_cursor_execute", count)
            start = time.perf_counter()
            response = client.get(url, headers=extra)
            elapsed = time.perf_counter() - start
            event.remove(engine, "before_cursor_execute", count)
            assert response.status_code == 200, (url, response.status_code)
            if n >= 3:
                times.append(elapsed)
        figures["pages"][name] = {"url": url, **_stats(times),
                                  "statements": len(statements) // (3 + repeat)}
    figures["baseline"] = _stats(_baseline(engine, repeat))
    return figures


def _baseline(engine, repeat: int) -> list[float]:
    """``count(*)`` and ``sum(amount)`` of the month's charges with the bare driver."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        marker = "%s" if engine.dialect.name == "postgresql" else "?"
        query = f"SELECT count(*), sum(amount) FROM charges WHERE period = {marker}"
        times = []
        for n in range(3 + repeat):
            start = time.perf_counter()
            cursor.execute(query, (MONTH,))
            cursor.fetchall()
            if n >= 3:
                times.append(time.perf_counter() - start)
        return times
    finally:
        raw.close()


def _stats(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    return {"median_ms": round(statistics.median(ordered) * 1000, 2),
            "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 2)}


def report(figures: dict, url: str, args) -> None:
    base = figures["baseline"]["median_ms"]
    database = url.split(":", 1)[0]
    print(f"\n{args.units} units, {args.consumers} consumers, {figures['charge_lines']:,} "
          f"charge lines in {MONTH}; {database}; {platform.python_version()}")
    print(f"baseline (bare SELECT count(*), sum(amount) of the month's charges): "
          f"{base:.1f} ms median")
    print(f"{'request':<26}{'median ms':>10}{'p95 ms':>9}{'x baseline':>12}{'SQL':>5}  "
          f"under {TARGET_MS} ms")
    for name, page in figures["pages"].items():
        ratio = page["median_ms"] / base if base else float("nan")
        page["x_baseline"] = round(ratio, 2)
        ok = "yes" if page["median_ms"] < TARGET_MS else "NO"
        print(f"{name:<26}{page['median_ms']:>10.1f}{page['p95_ms']:>9.1f}{ratio:>12.2f}"
              f"{page['statements']:>5}  {ok}")
    OUT.mkdir(exist_ok=True)
    (OUT / "pages.json").write_text(json.dumps({**figures, "database": database,
                                                "units": args.units,
                                                "consumers": args.consumers}, indent=2))


if __name__ == "__main__":
    main()
