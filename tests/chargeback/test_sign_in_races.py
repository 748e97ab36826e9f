"""Failed sign-ins counted by two workers at once (issue 12: the limit was kept per worker,
so 2 workers allowed twice the failures). Two real processes, each an app of its own as a
gunicorn worker is, try wrong passwords on one account at the same moment from addresses
of their own; the account's soft lock must let exactly its number of failures through,
whatever the interleaving: the count is read and written under a row lock."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from chargeback.extensions import db
from chargeback.services.users import create_user
from tests.chargeback.test_races import env, wait_for
from tests.conftest import FAST_HASH

pytestmark = pytest.mark.slow

LOCK_AFTER = 5
ATTEMPTS = 8

WORKER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from chargeback import create_app

    worker, folder = int(sys.argv[1]), Path(sys.argv[2])
    app = create_app({"WTF_CSRF_ENABLED": False, "CHARGEBACK_SIGNIN_LOCK_FAILURES": __LOCK_AFTER__,
                      "CHARGEBACK_SIGNIN_FREE_FAILURES": 1000,
                      "CHARGEBACK_SIGNIN_ADDRESS_FAILURES": 1000})
    client = app.test_client()
    client.get("/login")  # everything imported and connected before the start
    (folder / f"ready-{worker}").touch()
    while not (folder / "go").exists():  # both start at once, when both are ready
        time.sleep(0.001)
    answers = []
    for n in range(__ATTEMPTS__):
        response = client.post("/login", data={"email": "fin@example.com",
                                               "password": f"guess {worker} {n}"},
                               environ_base={"REMOTE_ADDR": f"10.{worker}.0.{n}"})
        answers.append(response.status_code)
    print(json.dumps(answers))
""").replace("__LOCK_AFTER__", str(LOCK_AFTER)).replace("__ATTEMPTS__", str(ATTEMPTS))


def test_two_workers_failing_at_once_get_the_lock_count_and_no_more(app, tmp_path):
    create_user(db.session, "fin@example.com", "finance", "correct horse battery", "test",
                hash_method=FAST_HASH)
    db.session.commit()
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(n), str(tmp_path)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env(app))
               for n in (1, 2)]
    wait_for(lambda: all((tmp_path / f"ready-{n}").exists() for n in (1, 2))
             or any(worker.poll() is not None for worker in workers))
    (tmp_path / "go").touch()
    answers = []
    for worker in workers:
        out, err = worker.communicate(timeout=180)
        assert worker.returncode == 0, err[-2000:]
        answers += json.loads(out.strip().splitlines()[-1])
    assert sorted(set(answers)) == [401, 429], answers
    assert answers.count(401) == LOCK_AFTER, answers  # checked: exactly the lock's count
    assert answers.count(429) == 2 * ATTEMPTS - LOCK_AFTER
