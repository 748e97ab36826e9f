"""`make test`: the whole suite as two pytest processes side by side, the browser tests
(``tests/browser``) in one and everything else in the other.

Why: the browser half spends most of its time waiting on Chromium and the live server,
the other half on its own CPU and the processes it starts; on this project's two cores
they overlap, where one process ran them one after the other (docs/testing.md,
"Figures"). Each process has a database of its own: SQLite gets a temporary file per
session anyway; on PostgreSQL (``CHARGEBACK_TEST_DATABASE_URL``) the browser half uses
the same server's database named with ``_browser`` after it, created if missing. The
other half's output streams as usual; the browser half's is printed when both are done.
The exit status is the first non-zero of the two. Arguments go to both pytest runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

BROWSER = "tests/browser"


def browser_database(url: str | None) -> str | None:
    """The browser half's PostgreSQL database (created if missing); None on SQLite."""
    if not url or not url.startswith("postgresql"):
        return None
    from sqlalchemy import create_engine, make_url, text

    target = make_url(url)
    own = target.set(database=f"{target.database}_browser")
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                    {"name": own.database}).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{own.database}"'))
    server.dispose()
    return own.render_as_string(hide_password=False)


def main(args: list[str]) -> int:
    pytest = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]
    env = dict(os.environ)
    database = browser_database(env.get("CHARGEBACK_TEST_DATABASE_URL"))
    if database:
        env["CHARGEBACK_TEST_DATABASE_URL"] = database
    with tempfile.TemporaryFile("w+") as log:
        browser = subprocess.Popen([*pytest, BROWSER], stdout=log, stderr=subprocess.STDOUT,
                                   env=env)
        rest = subprocess.call([*pytest, f"--ignore={BROWSER}"])
        browsed = browser.wait()
        log.seek(0)
        print(f"\n== {BROWSER} (run beside the rest)", flush=True)
        sys.stdout.write(log.read())
    return rest or browsed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
