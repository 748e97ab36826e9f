"""Import benchmark: a generated usage file through ``import_file`` against the bare driver.

    python benchmarks/import.py [--rows 1000000] [--database-url URL]

Without ``--database-url`` the database is a fresh SQLite file in a temporary folder. With
a URL (``postgresql://postgres@127.0.0.1:5432/bench``, ``sqlite:////tmp/bench.db``) that
database is used, and EVERYTHING IN IT IS DROPPED: the schema is dropped and migrated again,
as the test suite does.

One run:

1. generates, deterministically, the reference data (units, ~200 consumers, ~50 services)
   and a usage file of N rows ``period, consumer_code, service_code, quantity``; the first
   N/10 rows are also written as a file of their own;
2. migrates the database and imports the reference data through the product's own import;
3. imports the N/10-row file, then the N-row file, with ``import_file`` (the verb the command
   line and the web app use; every row validated) in one transaction each, and checks that
   the stored lines have the file's count and exact sum of quantities;
4. loads the same N rows into the same ``usage_lines`` table with the bare driver as the
   baseline: sqlite3 ``executemany``, or ``COPY ... FROM STDIN`` on PostgreSQL (psycopg),
   reading the CSV with the csv module and resolving codes to ids with a dict;
5. prints rows/s, the ratio of the product's rate to the baseline's, peak RSS, and PASS or
   FAIL against the goals (>= 10 % of the baseline's rate; peak RSS < 200 MB; peak RSS flat
   from N/10 to N rows). The exit status is 1 when a goal or a check fails.

Each measured run is a child process of its own (this script again, with ``--child``), so
its peak RSS (``ru_maxrss``) is its own; every run starts from an empty ``usage_lines``
table. The figures are also written to ``benchmarks/out/`` as JSON.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from tqdm import tqdm

GOAL_RATIO = 0.10  # the product's rate, as a share of the bare driver's
GOAL_PEAK_MB = 200.0  # peak RSS of the process running the import
GOAL_GROWTH_MB = 10.0  # peak RSS at N rows minus peak RSS at N/10 rows
SEED = 20260101
PERIODS = [f"2026-{month:02d}" for month in range(1, 13)]
N_CONSUMERS = 200
N_SERVICES = 50
PROGRESS_EVERY = 5000  # rows between progress updates (the product reports every 5000)
OUT_DIR = Path(__file__).resolve().parent / "out"
USAGE_COLUMNS = "batch_id, period, consumer_id, service_id, quantity"


# ---------------------------------------------------------------------------------------
# The generated files


def write_reference(folder: Path) -> dict[str, Path]:
    """Units (a root, 3 groups, 12 units), consumers and services, as the product's CSVs."""
    models = ("operational_excellence", "product_leadership", "customer_intimacy")
    units = [("HQ", "Central IT", "", models[0])]
    units += [(f"G{g}", f"Group {g}", "HQ", models[g - 1]) for g in (1, 2, 3)]
    leaves = [f"U{n:02d}" for n in range(1, 13)]
    units += [(code, f"Unit {code}", f"G{n % 3 + 1}", models[n % 3])
              for n, code in enumerate(leaves)]
    files = {
        "units": (["code", "name", "parent_code", "service_model"], units),
        "consumers": (["code", "name", "gl_account"],
                      [(f"CC{n:04d}", f"Cost center {n}", f"6100-{n:04d}")
                       for n in range(1, N_CONSUMERS + 1)]),
        "services": (["code", "unit_code", "name", "uom"],
                     [(f"SVC{n:02d}", leaves[n % len(leaves)], f"Service {n}",
                       "core-hour" if n % 2 else "seat-month")
                      for n in range(1, N_SERVICES + 1)]),
    }
    paths = {}
    for kind, (header, rows) in files.items():
        paths[kind] = folder / f"{kind}.csv"
        with paths[kind].open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(rows)
    return paths


def write_usage(folder: Path, rows: int) -> dict:
    """``usage-N.csv`` and ``usage-<N/10>.csv`` (its first tenth), with their count and sum.

    Quantities are whole numbers (seat-months) or have three decimals (core-hours); the sums
    are kept exactly, in thousandths.
    """
    rng = random.Random(SEED)
    small_rows = max(rows // 10, 1)
    big = folder / f"usage-{rows}.csv"
    small = folder / f"usage-{small_rows}.csv"
    consumers = [f"CC{n:04d}" for n in range(1, N_CONSUMERS + 1)]
    services = [f"SVC{n:02d}" for n in range(1, N_SERVICES + 1)]
    header = ["period", "consumer_code", "service_code", "quantity"]
    milli = small_milli = 0
    with big.open("w", newline="", encoding="utf-8") as fb, \
            small.open("w", newline="", encoding="utf-8") as fs, \
            tqdm(total=rows, unit=" rows", unit_scale=True, desc="generating usage file",
                 mininterval=0.5) as bar:
        big_writer, small_writer = csv.writer(fb), csv.writer(fs)
        big_writer.writerow(header)
        small_writer.writerow(header)
        for n in range(rows):
            if rng.random() < 0.5:
                whole = rng.randint(1, 500)
                quantity, thousandths = str(whole), whole * 1000
            else:
                thousandths = rng.randint(1, 9_999_999)
                quantity = f"{thousandths // 1000}.{thousandths % 1000:03d}"
            row = (rng.choice(PERIODS), rng.choice(consumers), rng.choice(services), quantity)
            big_writer.writerow(row)
            milli += thousandths
            if n < small_rows:
                small_writer.writerow(row)
                small_milli += thousandths
            if (n + 1) % PROGRESS_EVERY == 0:
                bar.update(PROGRESS_EVERY)
        bar.update(rows - bar.n)
    return {
        "big": {"path": str(big), "rows": rows, "sum": str(Decimal(milli).scaleb(-3))},
        "small": {"path": str(small), "rows": small_rows,
                  "sum": str(Decimal(small_milli).scaleb(-3))},
    }


# ---------------------------------------------------------------------------------------
# Memory


def current_rss_mb() -> float:
    """Resident set size now (Linux: /proc; elsewhere the peak so far stands in for it)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return peak_rss_mb()


def peak_rss_mb() -> float:
    """This process's peak resident set size (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


# ---------------------------------------------------------------------------------------
# The child processes (each does one step and writes its figures to a JSON file)


def _sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith(
        "postgresql://") else url


def make_app(url: str, folder: Path):
    from chargeback import create_app

    return create_app({
        "SQLALCHEMY_DATABASE_URI": _sqlalchemy_url(url),
        "SECRET_KEY": "benchmark-only",
        "CHARGEBACK_PACK_DIR": str(folder / "packs"),
    })


def child_setup(args) -> dict:
    """Drop and migrate the schema (as tests/conftest.py does), import the reference data."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from chargeback.extensions import db
    from chargeback.models import Base
    from chargeback.services.importing import import_file

    app = make_app(args.database_url, args.workdir)
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
            connection.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))
        upgrade()
        summaries = []
        for kind in ("units", "consumers", "services"):
            path = args.workdir / f"{kind}.csv"
            with path.open("rb") as stream:
                result = import_file(db.session, kind, stream, path.name, "benchmark")
            if not result.ok:
                raise SystemExit("reference data refused:\n" + "\n".join(result.errors))
            db.session.commit()
            summaries.append(result.summary())
        db.session.remove()
        db.engine.dispose()
    return {"summaries": summaries}


def _empty_usage_lines(url: str) -> None:
    """Every measured run starts from an empty, compacted usage_lines table (not timed)."""
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(_libpq_url(url), autocommit=True) as conn:
            conn.execute("TRUNCATE usage_lines")
            conn.execute("VACUUM ANALYZE")
            conn.execute("CHECKPOINT")
    else:
        import sqlite3

        conn = sqlite3.connect(_sqlite_path(url), isolation_level=None)
        try:
            conn.execute("DELETE FROM usage_lines")
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()


def _libpq_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_path(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).database


def _bar(path: Path, desc: str) -> tqdm:
    return tqdm(total=path.stat().st_size, unit="B", unit_scale=True, desc=desc,
                mininterval=0.5)


def child_product(args) -> dict:
    """``import_file`` of the usage file in one transaction, then commit; timed."""
    from sqlalchemy import text

    from chargeback.extensions import db
    from chargeback.services.importing import import_file

    _empty_usage_lines(args.database_url)
    path = Path(args.file)
    app = make_app(args.database_url, args.workdir)
    with app.app_context():
        db.session.execute(text("SELECT 1"))  # connect before the clock starts
        db.session.commit()
        start_rss = current_rss_mb()
        bar = _bar(path, f"product import {args.rows:,} rows")
        start = time.perf_counter()
        with path.open("rb") as stream:
            result = import_file(db.session, "usage", stream, path.name, "benchmark",
                                 progress=lambda position: bar.update(max(position - bar.n, 0)))
        db.session.commit()
        seconds = time.perf_counter() - start
        peak = peak_rss_mb()
        bar.update(bar.total - bar.n)
        bar.close()
        if not result.ok:
            raise SystemExit("usage file refused:\n" + "\n".join(result.errors[:20]))
        count, total = _count_and_sum(args.database_url, result.batch_id)
        db.session.remove()
        db.engine.dispose()
    return {"rows_read": result.rows, "status": result.status, "seconds": seconds,
            "start_rss_mb": start_rss, "peak_rss_mb": peak, "stored_rows": count,
            "stored_sum": str(total)}


def child_baseline(args) -> dict:
    """The same rows with the bare driver: executemany (SQLite) or COPY (PostgreSQL)."""
    _empty_usage_lines(args.database_url)
    path = Path(args.file)
    if args.database_url.startswith("postgresql"):
        seconds, start_rss, peak, batch_id = _baseline_postgresql(args.database_url, path,
                                                                 args.rows)
    else:
        seconds, start_rss, peak, batch_id = _baseline_sqlite(args.database_url, path,
                                                             args.rows)
    count, total = _count_and_sum(args.database_url, batch_id)
    return {"seconds": seconds, "start_rss_mb": start_rss, "peak_rss_mb": peak,
            "stored_rows": count, "stored_sum": str(total)}


def _usage_rows(raw, consumers: dict, services: dict, batch_id: int, bar: tqdm):
    """The CSV's rows as (batch_id, period, consumer_id, service_id, quantity) tuples."""
    reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
    next(reader)
    for n, (period, consumer, service, quantity) in enumerate(reader, start=1):
        yield batch_id, period, consumers[consumer], services[service], quantity
        if n % PROGRESS_EVERY == 0:
            bar.update(raw.tell() - bar.n)
    bar.update(raw.tell() - bar.n)


def _baseline_sqlite(url: str, path: Path, rows: int):
    import sqlite3

    conn = sqlite3.connect(_sqlite_path(url), isolation_level=None)
    # The product's engine settings (chargeback/db_setup.py), so both check the same keys.
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=30000")
    try:
        batch_id = conn.execute(
            "INSERT INTO import_batches (kind, filename, sha256, replace, status, rows, "
            "error_count, actor) VALUES ('usage', 'baseline', ?, 0, 'stored', 0, 0, "
            "'benchmark') RETURNING id", ("0" * 64,)).fetchone()[0]
        conn.executemany("INSERT OR IGNORE INTO periods (period, status, close_count) "
                         "VALUES (?, 'open', 0)", [(p,) for p in PERIODS])
        consumers = dict(conn.execute("SELECT code, id FROM consumers"))
        services = dict(conn.execute("SELECT code, id FROM services"))
        start_rss = current_rss_mb()
        bar = _bar(path, f"baseline executemany {rows:,} rows")
        start = time.perf_counter()
        conn.execute("BEGIN")
        with path.open("rb") as raw:
            conn.executemany(f"INSERT INTO usage_lines ({USAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                             _usage_rows(raw, consumers, services, batch_id, bar))
        conn.execute("COMMIT")
        seconds = time.perf_counter() - start
        peak = peak_rss_mb()
        bar.close()
    finally:
        conn.close()
    return seconds, start_rss, peak, batch_id


def _baseline_postgresql(url: str, path: Path, rows: int):
    import psycopg

    with psycopg.connect(_libpq_url(url)) as conn:
        batch_id = conn.execute(
            "INSERT INTO import_batches (kind, filename, sha256, replace, status, rows, "
            "error_count, actor) VALUES ('usage', 'baseline', %s, false, 'stored', 0, 0, "
            "'benchmark') RETURNING id", ("0" * 64,)).fetchone()[0]
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO periods (period, status, close_count) "
                            "VALUES (%s, 'open', 0) ON CONFLICT DO NOTHING",
                            [(p,) for p in PERIODS])
        consumers = dict(conn.execute("SELECT code, id FROM consumers").fetchall())
        services = dict(conn.execute("SELECT code, id FROM services").fetchall())
        conn.commit()
        start_rss = current_rss_mb()
        bar = _bar(path, f"baseline COPY {rows:,} rows")
        start = time.perf_counter()
        with path.open("rb") as raw, conn.cursor() as cur, \
                cur.copy(f"COPY usage_lines ({USAGE_COLUMNS}) FROM STDIN") as copy:
            for row in _usage_rows(raw, consumers, services, batch_id, bar):
                copy.write_row(row)
        conn.commit()
        seconds = time.perf_counter() - start
        peak = peak_rss_mb()
        bar.close()
    return seconds, start_rss, peak, batch_id


def _count_and_sum(url: str, batch_id: int) -> tuple[int, Decimal]:
    """The stored lines of a batch: their count and exact sum of quantities (not timed)."""
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(_libpq_url(url)) as conn:
            count, total = conn.execute(
                "SELECT count(*), coalesce(sum(quantity), 0) FROM usage_lines "
                "WHERE batch_id = %s", (batch_id,)).fetchone()
        return count, Decimal(total)
    import sqlite3

    # SQLite keeps a NUMERIC column's values as INTEGER or REAL; the file's quantities have
    # at most 7 significant digits, so each one's shortest repr is its decimal text again.
    conn = sqlite3.connect(_sqlite_path(url))
    try:
        count, total = 0, Decimal(0)
        for (quantity,) in conn.execute("SELECT quantity FROM usage_lines WHERE batch_id = ?",
                                        (batch_id,)):
            count += 1
            total += Decimal(repr(quantity))
    finally:
        conn.close()
    return count, total


CHILDREN = {"setup": child_setup, "product": child_product, "baseline": child_baseline}


# ---------------------------------------------------------------------------------------
# The parent: generate, run the children, report


def run_child(step: str, url: str, workdir: Path, file: dict | None = None) -> dict:
    out = workdir / f"result-{step}.json"
    command = [sys.executable, str(Path(__file__).resolve()), "--child", step,
               "--database-url", url, "--workdir", str(workdir), "--result", str(out)]
    if file:
        command += ["--file", file["path"], "--rows", str(file["rows"])]
    # A key of its own, so that create_app neither reads nor writes instance/secret_key.
    env = {**os.environ, "SECRET_KEY": "benchmark-only"}
    if subprocess.run(command, env=env).returncode != 0:
        raise SystemExit(f"the {step} step failed; see above")
    return json.loads(out.read_text())


def database_label(url: str) -> str:
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(_libpq_url(url)) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
        from sqlalchemy.engine import make_url

        return f"PostgreSQL {version} ({make_url(url).render_as_string(hide_password=True)})"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version} ({_sqlite_path(url)})"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(rows: int, url: str, small: dict, big: dict, base: dict, files: dict,
           reference: dict) -> tuple[str, bool, dict]:
    baseline_name = "COPY" if url.startswith("postgresql") else "executemany"
    rate = {name: run["rows"] / run["seconds"] for name, run in
            (("small", small), ("big", big), ("base", base))}
    ratio = rate["big"] / rate["base"]
    growth = big["peak_rss_mb"] - small["peak_rss_mb"]
    checks = {
        f"product rate >= {GOAL_RATIO:.0%} of the bare driver's": (
            ratio >= GOAL_RATIO, f"{ratio:.1%}"),
        f"product peak RSS < {GOAL_PEAK_MB:.0f} MB at {rows:,} rows": (
            big["peak_rss_mb"] < GOAL_PEAK_MB, f"{big['peak_rss_mb']:.1f} MB"),
        f"peak RSS flat from {small['rows']:,} to {rows:,} rows (< +{GOAL_GROWTH_MB:.0f} MB)": (
            growth < GOAL_GROWTH_MB, f"{growth:+.1f} MB"),
    }
    for name, run, file in (("product", small, files["small"]), ("product", big, files["big"]),
                            ("baseline", base, files["big"])):
        same = (run["stored_rows"] == file["rows"]
                and Decimal(run["stored_sum"]) == Decimal(file["sum"]))
        checks[f"{name} {file['rows']:,} rows stored: count and sum of quantities = file"] = (
            same, f"{run['stored_rows']:,} rows, sum {run['stored_sum']} "
                  f"(file: {file['rows']:,}, {file['sum']})")
    lines = [
        f"import benchmark: {rows:,} usage rows on {database_label(url)}",
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs; file {Path(files['big']['path']).stat().st_size / 2**20:.1f} MB",
        "reference data: " + "; ".join(reference["summaries"]),
        "",
        f"{'run':<26}{'rows':>11}{'seconds':>10}{'rows/s':>10}{'peak RSS':>11}"
        f"{'RSS at start':>14}{'peak - start':>14}",
    ]
    for label, run in (("product import_file", small), ("product import_file", big),
                       (f"baseline {baseline_name}", base)):
        lines.append(
            f"{label:<26}{run['rows']:>11,}{run['seconds']:>10.2f}"
            f"{run['rows'] / run['seconds']:>10,.0f}{run['peak_rss_mb']:>8.1f} MB"
            f"{run['start_rss_mb']:>11.1f} MB"
            f"{run['peak_rss_mb'] - run['start_rss_mb']:>11.1f} MB")
    lines += ["", f"ratio product/baseline: {ratio:.1%} of the bare driver's rate "
                  f"({rate['big']:,.0f} / {rate['base']:,.0f} rows/s)", ""]
    ok = True
    for name, (passed, value) in checks.items():
        ok = ok and passed
        lines.append(f"{verdict(passed)}  {name}: {value}")
    figures = {
        "rows": rows, "database": database_label(url), "python": platform.python_version(),
        "cpus": os.cpu_count(), "product_small": small, "product": big, "baseline": base,
        "baseline_kind": baseline_name, "ratio": ratio, "growth_mb": growth,
        "checks": {name: passed for name, (passed, _) in checks.items()}, "ok": ok,
    }
    return "\n".join(lines), ok, figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="rows of the usage file (default 1000000)")
    parser.add_argument("--database-url",
                        help="SQLAlchemy-style URL, e.g. postgresql://postgres@127.0.0.1:5432/"
                             "bench; everything in it is dropped (default: a fresh SQLite file "
                             "in a temporary folder)")
    parser.add_argument("--workdir", type=Path,
                        help="folder for the generated files (default: a temporary folder, "
                             "removed at the end)")
    parser.add_argument("--child", choices=CHILDREN, help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        figures = CHILDREN[args.child](args)
        args.result.write_text(json.dumps(figures))
        return 0
    if args.rows < 10:
        parser.error("--rows must be at least 10")
    with tempfile.TemporaryDirectory(prefix="chargeback-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
        write_reference(workdir)
        files = write_usage(workdir, args.rows)
        reference = run_child("setup", url, workdir)
        small = run_child("product", url, workdir, files["small"])
        big = run_child("product", url, workdir, files["big"])
        base = run_child("baseline", url, workdir, files["big"])
        for run, file in ((small, files["small"]), (big, files["big"]), (base, files["big"])):
            run["rows"] = file["rows"]
        text, ok, figures = report(args.rows, url, small, big, base, files, reference)
    print("\n" + text)
    OUT_DIR.mkdir(exist_ok=True)
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    out = OUT_DIR / f"import-{dialect}-{args.rows}.json"
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nfigures written to {out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
