"""Import benchmark: a generated usage file through ``import_file`` against bare bulk loads.

    python benchmarks/import.py [--rows 1000000] [--flat-rows 3000000] [--repeat 1]
                                [--database-url URL]

Without ``--database-url`` the database is a fresh SQLite file in a temporary folder. With
a URL (``postgresql://postgres@127.0.0.1:5432/bench_import``, ``sqlite:////tmp/bench.db``)
that database is used, and EVERYTHING IN IT IS DROPPED: the schema is dropped and migrated
again, as the test suite does.

One run:

1. generates, deterministically, the reference data (units, 200 consumers, 50 services)
   and a usage file of ``--flat-rows`` rows ``period, consumer_code, service_code,
   quantity``; its first ``--rows`` rows are also written as a file of their own;
2. migrates the database and imports the reference data through the product's own import;
3. **product**: imports the ``--rows`` file with ``import_file`` (the verb the command line,
   the web app and the API use; every row validated, one transaction) and checks that the
   stored lines have the file's count and exact sum of quantities;
4. **bare**: loads the same rows with the bare driver into a table with the same columns
   and no constraint, no key and no index: ``COPY ... FROM STDIN`` (psycopg) on PostgreSQL,
   ``executemany`` (sqlite3) on SQLite, the CSV read with the csv module and the codes
   resolved to ids with a dict: the fastest a program can put these rows in a table;
5. **same constraints**: the same bare load into ``usage_lines`` itself, with the product's
   constraints and indexes as migrated;
6. imports the ``--flat-rows`` file with ``import_file`` too, for the peak memory at a
   second size (``--flat-rows 10000000`` is the ten-million-row run; 0 skips it);
7. prints rows/s, CPU seconds (the process's and, on PostgreSQL, the server backend's, read
   from /proc when the server runs on this machine), the ratios of the product to the bare
   load (the goal) and to the same-constraints load, in wall time and in CPU time, peak RSS
   at both sizes, and PASS or FAIL against the goals (>= 25 % of bare COPY on PostgreSQL,
   >= 20 % of bare executemany on SQLite, in CPU time as the issue measured it, in wall
   time when the server's CPU cannot be read; peak RSS < 200 MB at both sizes, and flat:
   + < 10 MB from the first size to the second). The exit status is 1 when a goal or a
   check fails.

``--repeat R`` runs steps 3-5 R times, interleaved, and keeps each one's fastest run (the
machine may be shared). Each measured run is a child process of its own (this script again,
with ``--child``), so its peak RSS (``ru_maxrss``) is its own; every run starts from empty
tables. The figures are also written to ``benchmarks/out/`` as JSON.
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

GOAL_RATIO = {"postgresql": 0.25, "sqlite": 0.20}  # product rate / bare load rate
GOAL_PEAK_MB = 200.0  # peak RSS of the process running the import
GOAL_GROWTH_MB = 10.0  # peak RSS at --flat-rows minus peak RSS at --rows
SEED = 20260101
PERIODS = [f"2026-{month:02d}" for month in range(1, 13)]
N_CONSUMERS = 200
N_SERVICES = 50
PROGRESS_EVERY = 5000  # rows between progress updates (the product reports every 5000)
OUT_DIR = Path(__file__).resolve().parent / "out"
USAGE_COLUMNS = "batch_id, period, consumer_id, service_id, quantity"
BARE_TABLE = "bench_bare_usage"
BARE_DDL = (f"CREATE TABLE {BARE_TABLE} (batch_id integer, period varchar(7), "
            "consumer_id integer, service_id integer, quantity numeric(24, 6))")


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


def write_usage(folder: Path, rows: int, flat_rows: int) -> dict:
    """``usage-<rows>.csv`` and, when ``flat_rows`` is larger, ``usage-<flat_rows>.csv``
    (whose first ``rows`` rows are the first file), with their counts and sums.

    Quantities are whole numbers (seat-months) or have three decimals (core-hours); the sums
    are kept exactly, in thousandths.
    """
    rng = random.Random(SEED)
    total = max(rows, flat_rows)
    consumers = [f"CC{n:04d}" for n in range(1, N_CONSUMERS + 1)]
    services = [f"SVC{n:02d}" for n in range(1, N_SERVICES + 1)]
    header = ["period", "consumer_code", "service_code", "quantity"]
    sizes = sorted({rows, total})
    paths = {size: folder / f"usage-{size}.csv" for size in sizes}
    milli = dict.fromkeys(sizes, 0)
    handles = {size: path.open("w", newline="", encoding="utf-8")
               for size, path in paths.items()}
    try:
        writers = {size: csv.writer(handle) for size, handle in handles.items()}
        for writer in writers.values():
            writer.writerow(header)
        with tqdm(total=total, unit=" rows", unit_scale=True, desc="generating usage files",
                  mininterval=0.5) as bar:
            for n in range(total):
                if rng.random() < 0.5:
                    whole = rng.randint(1, 500)
                    quantity, thousandths = str(whole), whole * 1000
                else:
                    thousandths = rng.randint(1, 9_999_999)
                    quantity = f"{thousandths // 1000}.{thousandths % 1000:03d}"
                row = (rng.choice(PERIODS), rng.choice(consumers), rng.choice(services),
                       quantity)
                for size, writer in writers.items():
                    if n < size:
                        writer.writerow(row)
                        milli[size] += thousandths
                if (n + 1) % PROGRESS_EVERY == 0:
                    bar.update(PROGRESS_EVERY)
            bar.update(total - bar.n)
    finally:
        for handle in handles.values():
            handle.close()
    files = {size: {"path": str(paths[size]), "rows": size,
                    "sum": str(Decimal(milli[size]).scaleb(-3))} for size in sizes}
    return {"ratio": files[rows], "flat": files[total] if total > rows else None}


# ---------------------------------------------------------------------------------------
# Memory


def current_rss_mb() -> float:
    """Resident set size now (Linux: /proc; elsewhere the peak so far stands in for it)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return peak_rss_mb()


def server_cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) of the PostgreSQL backend serving this run, read from
    /proc when the server runs on this machine; 0 when it cannot be read (SQLite runs in
    the process itself, and its time is the process's)."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb() -> float:
    """This process's peak resident set size (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


# ---------------------------------------------------------------------------------------
# The child processes (each does one step and writes its figures to a JSON file)


def _sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith(
        "postgresql://") else url


def _is_postgresql(url: str) -> bool:
    return url.startswith("postgresql")


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

    from chargeback.db_setup import drop_every_table
    from chargeback.extensions import db
    from chargeback.services.importing import import_file

    app = make_app(args.database_url, args.workdir)
    with app.app_context():
        drop_every_table(db.engine)  # the bare table of an earlier run included
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


def _fresh_tables(url: str) -> None:
    """Every measured run starts from empty, compacted tables and no usage batch (not
    timed): the same file is imported again by each repeat. The bare table is made anew."""
    statements = ["DELETE FROM usage_lines", "DELETE FROM usage_totals",
                  "DELETE FROM import_batches WHERE kind = 'usage'",
                  f"DROP TABLE IF EXISTS {BARE_TABLE}", BARE_DDL]
    if _is_postgresql(url):
        import psycopg

        with psycopg.connect(_libpq_url(url), autocommit=True) as conn:
            conn.execute("TRUNCATE usage_lines, usage_totals")
            for statement in statements[2:]:
                conn.execute(statement)
            conn.execute("VACUUM ANALYZE")
            conn.execute("CHECKPOINT")
        return
    import sqlite3

    conn = sqlite3.connect(_sqlite_path(url), isolation_level=None)
    try:
        for statement in statements:
            conn.execute(statement)
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

    _fresh_tables(args.database_url)
    path = Path(args.file)
    app = make_app(args.database_url, args.workdir)
    with app.app_context():
        backend = (db.session.execute(text("SELECT pg_backend_pid()")).scalar()
                   if _is_postgresql(args.database_url) else None)  # connect before the clock
        db.session.commit()
        start_rss = current_rss_mb()
        bar = _bar(path, f"product import {args.rows:,} rows")
        server = server_cpu_seconds(backend)
        start, cpu = time.perf_counter(), time.process_time()
        with path.open("rb") as stream:
            result = import_file(db.session, "usage", stream, path.name, "benchmark",
                                 progress=lambda position: bar.update(max(position - bar.n, 0)))
        db.session.commit()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        server = server_cpu_seconds(backend) - server
        peak = peak_rss_mb()
        bar.update(bar.total - bar.n)
        bar.close()
        if not result.ok:
            raise SystemExit("usage file refused:\n" + "\n".join(result.errors[:20]))
        count, total = _count_and_sum(args.database_url, "usage_lines", result.batch_id)
        db.session.remove()
        db.engine.dispose()
    return {"rows_read": result.rows, "status": result.status, "seconds": seconds,
            "cpu_seconds": cpu, "server_cpu_seconds": server, "start_rss_mb": start_rss, "peak_rss_mb": peak,
            "stored_rows": count, "stored_sum": str(total)}


def child_bare(args) -> dict:
    return _bare_load(args, BARE_TABLE)


def child_same(args) -> dict:
    return _bare_load(args, "usage_lines")


def _bare_load(args, table: str) -> dict:
    """The same rows with the bare driver into ``table``: COPY (PostgreSQL) or executemany
    (SQLite), in one transaction; timed."""
    _fresh_tables(args.database_url)
    path = Path(args.file)
    load = _load_postgresql if _is_postgresql(args.database_url) else _load_sqlite
    seconds, cpu, server, start_rss, peak, batch_id = load(args.database_url, path, args.rows,
                                                           table)
    count, total = _count_and_sum(args.database_url, table, batch_id)
    return {"seconds": seconds, "cpu_seconds": cpu, "server_cpu_seconds": server,
            "start_rss_mb": start_rss,
            "peak_rss_mb": peak, "stored_rows": count, "stored_sum": str(total)}


def _usage_rows(raw, consumers: dict, services: dict, batch_id: int, bar: tqdm):
    """The CSV's rows as (batch_id, period, consumer_id, service_id, quantity) tuples."""
    reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
    next(reader)
    for n, (period, consumer, service, quantity) in enumerate(reader, start=1):
        yield batch_id, period, consumers[consumer], services[service], quantity
        if n % PROGRESS_EVERY == 0:
            bar.update(raw.tell() - bar.n)
    bar.update(raw.tell() - bar.n)


BATCH_ROW = ("INSERT INTO import_batches (kind, filename, sha256, replace, status, rows, "
             "error_count, actor) VALUES ('usage', 'baseline', '{zeros}', {false}, 'stored', "
             "0, 0, 'benchmark') RETURNING id")


def _load_sqlite(url: str, path: Path, rows: int, table: str):
    import sqlite3

    conn = sqlite3.connect(_sqlite_path(url), isolation_level=None)
    # The product's engine settings (chargeback/db_setup.py).
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=30000")
    try:
        batch_id = conn.execute(BATCH_ROW.format(zeros="0" * 64, false=0)).fetchone()[0]
        conn.executemany("INSERT OR IGNORE INTO periods (period, status, close_count) "
                         "VALUES (?, 'open', 0)", [(p,) for p in PERIODS])
        consumers = dict(conn.execute("SELECT code, id FROM consumers"))
        services = dict(conn.execute("SELECT code, id FROM services"))
        start_rss = current_rss_mb()
        bar = _bar(path, f"executemany into {table} {rows:,} rows")
        start, cpu = time.perf_counter(), time.process_time()
        conn.execute("BEGIN")
        with path.open("rb") as raw:
            conn.executemany(f"INSERT INTO {table} ({USAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                             _usage_rows(raw, consumers, services, batch_id, bar))
        conn.execute("COMMIT")
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        peak = peak_rss_mb()
        bar.close()
    finally:
        conn.close()
    return seconds, cpu, 0.0, start_rss, peak, batch_id


def _load_postgresql(url: str, path: Path, rows: int, table: str):
    import psycopg

    with psycopg.connect(_libpq_url(url)) as conn:
        batch_id = conn.execute(BATCH_ROW.format(zeros="0" * 64, false="false")).fetchone()[0]
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO periods (period, status, close_count) "
                            "VALUES (%s, 'open', 0) ON CONFLICT DO NOTHING",
                            [(p,) for p in PERIODS])
        consumers = dict(conn.execute("SELECT code, id FROM consumers").fetchall())
        services = dict(conn.execute("SELECT code, id FROM services").fetchall())
        conn.commit()
        start_rss = current_rss_mb()
        bar = _bar(path, f"COPY into {table} {rows:,} rows")
        server = server_cpu_seconds(conn.info.backend_pid)
        start, cpu = time.perf_counter(), time.process_time()
        with path.open("rb") as raw, conn.cursor() as cur, \
                cur.copy(f"COPY {table} ({USAGE_COLUMNS}) FROM STDIN") as copy:
            for row in _usage_rows(raw, consumers, services, batch_id, bar):
                copy.write_row(row)
        conn.commit()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        server = server_cpu_seconds(conn.info.backend_pid) - server
        peak = peak_rss_mb()
        bar.close()
    return seconds, cpu, server, start_rss, peak, batch_id


def _count_and_sum(url: str, table: str, batch_id: int) -> tuple[int, Decimal]:
    """The stored lines of a batch: their count and exact sum of quantities (not timed)."""
    if _is_postgresql(url):
        import psycopg

        with psycopg.connect(_libpq_url(url)) as conn:
            count, total = conn.execute(
                f"SELECT count(*), coalesce(sum(quantity), 0) FROM {table} "
                "WHERE batch_id = %s", (batch_id,)).fetchone()
        return count, Decimal(total)
    import sqlite3

    # SQLite keeps a NUMERIC column's values as INTEGER or REAL; the file's quantities have
    # at most 7 significant digits, so each one's shortest repr is its decimal text again.
    conn = sqlite3.connect(_sqlite_path(url))
    try:
        count, total = 0, Decimal(0)
        for (quantity,) in conn.execute(f"SELECT quantity FROM {table} WHERE batch_id = ?",
                                        (batch_id,)):
            count += 1
            total += Decimal(repr(quantity))
    finally:
        conn.close()
    return count, total


CHILDREN = {"setup": child_setup, "product": child_product, "bare": child_bare,
            "same": child_same}


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
    figures = json.loads(out.read_text())
    if file:
        figures["rows"] = file["rows"]
    return figures


def fastest(runs: list[dict]) -> dict:
    best = min(runs, key=lambda run: run["seconds"])
    return {**best, "all_seconds": [round(run["seconds"], 3) for run in runs]}


def database_label(url: str) -> str:
    if _is_postgresql(url):
        import psycopg

        with psycopg.connect(_libpq_url(url)) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
        from sqlalchemy.engine import make_url

        return f"PostgreSQL {version} ({make_url(url).render_as_string(hide_password=True)})"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version} ({_sqlite_path(url)})"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(url: str, runs: dict, files: dict, reference: dict) -> tuple[str, bool, dict]:
    dialect = "postgresql" if _is_postgresql(url) else "sqlite"
    driver = "COPY" if dialect == "postgresql" else "executemany"
    product, flat = runs["product"], runs["flat"]
    rate = {name: run["rows"] / run["seconds"] for name, run in runs.items() if run}
    ratio, same_ratio = rate["product"] / rate["bare"], rate["product"] / rate["same"]
    cpu = {name: run["cpu_seconds"] + run["server_cpu_seconds"]
           for name, run in runs.items() if run}
    cpu_ratio = cpu["bare"] / cpu["product"]
    # The goal is read in CPU time, as the issue measured it (wall time on a shared machine
    # is noise), when the server's share can be read too; in wall time otherwise.
    by_cpu = dialect == "sqlite" or runs["bare"]["server_cpu_seconds"] > 0
    goal, judged = GOAL_RATIO[dialect], cpu_ratio if by_cpu else ratio
    rows = product["rows"]
    checks = {
        f"product >= {goal:.0%} of bare {driver} into a table without constraints, in "
        f"{'CPU' if by_cpu else 'wall'} time": (judged >= goal, f"{judged:.1%}"),
        f"product peak RSS < {GOAL_PEAK_MB:.0f} MB at {rows:,} rows": (
            product["peak_rss_mb"] < GOAL_PEAK_MB, f"{product['peak_rss_mb']:.1f} MB"),
    }
    if flat:
        growth = flat["peak_rss_mb"] - product["peak_rss_mb"]
        checks[f"product peak RSS < {GOAL_PEAK_MB:.0f} MB at {flat['rows']:,} rows"] = (
            flat["peak_rss_mb"] < GOAL_PEAK_MB, f"{flat['peak_rss_mb']:.1f} MB")
        checks[f"peak RSS flat from {rows:,} to {flat['rows']:,} rows "
               f"(< +{GOAL_GROWTH_MB:.0f} MB)"] = (growth < GOAL_GROWTH_MB, f"{growth:+.1f} MB")
    for name, run in runs.items():
        if not run:
            continue
        file = files["flat"] if name == "flat" else files["ratio"]
        same_rows = (run["stored_rows"] == file["rows"]
                     and Decimal(run["stored_sum"]) == Decimal(file["sum"]))
        checks[f"{name} {file['rows']:,} rows stored: count and sum of quantities = file"] = (
            same_rows, f"{run['stored_rows']:,} rows, sum {run['stored_sum']} "
                       f"(file: {file['rows']:,}, {file['sum']})")
    labels = {"product": "product import_file", "bare": f"bare {driver}, no constraints",
              "same": f"{driver} into usage_lines", "flat": "product import_file"}
    lines = [
        f"import benchmark: {rows:,} usage rows on {database_label(url)}",
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs; file {Path(files['ratio']['path']).stat().st_size / 2**20:.1f}"
        " MB",
        "reference data: " + "; ".join(reference["summaries"]),
        "",
        f"{'run':<34}{'rows':>11}{'seconds':>9}{'rows/s':>10}{'CPU s':>8}{'server':>8}"
        f"{'peak RSS':>11}{'RSS at start':>14}",
    ]
    for name, run in runs.items():
        if run:
            lines.append(
                f"{labels[name]:<34}{run['rows']:>11,}{run['seconds']:>9.2f}"
                f"{run['rows'] / run['seconds']:>10,.0f}{run['cpu_seconds']:>8.2f}"
                f"{run['server_cpu_seconds']:>8.2f}"
                f"{run['peak_rss_mb']:>8.1f} MB{run['start_rss_mb']:>11.1f} MB")
    lines += [
        "",
        f"ratio product / bare {driver} (no constraints): wall time {ratio:.1%} "
        f"({rate['product']:,.0f} / {rate['bare']:,.0f} rows/s), CPU time "
        f"{cpu_ratio:.1%} ({cpu['bare']:.2f} / {cpu['product']:.2f} s)",
        f"ratio product / {driver} into usage_lines (same constraints): wall time "
        f"{same_ratio:.1%} ({rate['product']:,.0f} / {rate['same']:,.0f} rows/s), CPU time "
        f"{cpu['same'] / cpu['product']:.1%} ({cpu['same']:.2f} / {cpu['product']:.2f} s)",
    ]
    if len(product["all_seconds"]) > 1:
        lines.append("fastest of: " + "; ".join(
            f"{name} {run['all_seconds']}" for name, run in runs.items() if run and name != "flat"))
    lines.append("")
    ok = True
    for name, (passed, value) in checks.items():
        ok = ok and passed
        lines.append(f"{verdict(passed)}  {name}: {value}")
    figures = {
        "rows": rows, "database": database_label(url), "python": platform.python_version(),
        "cpus": os.cpu_count(), "runs": runs, "driver": driver, "ratio_bare": ratio,
        "ratio_same_constraints": same_ratio, "cpu_ratio_bare": cpu_ratio,
        "cpu_ratio_same_constraints": cpu["same"] / cpu["product"],
        "checks": {name: passed for name, (passed, _) in checks.items()}, "ok": ok,
    }
    return "\n".join(lines), ok, figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="rows of the file the ratios are measured on (default 1000000)")
    parser.add_argument("--flat-rows", type=int, default=3_000_000,
                        help="rows of a second, larger file imported for the peak memory at a "
                             "second size (default 3000000; 10000000 for the ten-million-row "
                             "run; 0 skips it)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the product and both bare loads this many times, "
                             "interleaved, and keep each one's fastest (default 1)")
    parser.add_argument("--database-url",
                        help="SQLAlchemy-style URL, e.g. postgresql://postgres@127.0.0.1:5432/"
                             "bench_import; everything in it is dropped (default: a fresh "
                             "SQLite file in a temporary folder)")
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
    if args.rows < 10 or args.repeat < 1:
        parser.error("--rows must be at least 10 and --repeat at least 1")
    with tempfile.TemporaryDirectory(prefix="chargeback-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
        write_reference(workdir)
        files = write_usage(workdir, args.rows, args.flat_rows)
        reference = run_child("setup", url, workdir)
        measured: dict[str, list[dict]] = {"product": [], "bare": [], "same": []}
        for _ in range(args.repeat):
            for step in measured:
                measured[step].append(run_child(step, url, workdir, files["ratio"]))
        runs = {step: fastest(found) for step, found in measured.items()}
        runs["flat"] = run_child("product", url, workdir, files["flat"]) if files["flat"] \
            else None
        text, ok, figures = report(url, runs, files, reference)
    print("\n" + text)
    OUT_DIR.mkdir(exist_ok=True)
    dialect = "postgresql" if _is_postgresql(url) else "sqlite"
    out = OUT_DIR / f"import-{dialect}-{args.rows}-{args.flat_rows}.json"
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nfigures written to {out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
