"""Closing, importing and publishing never race: each case runs both sides at once in real
processes (or injects the fault), on the database of the run (PostgreSQL in CI as well).

- an import while a month closes waits for the close and is refused in the closed month;
- the same file imported twice at once, or re-saved with other line endings, a byte order
  mark and quotes, is stored once;
- a published pack is never overwritten, and a download checks its checksum;
- a failure between the close's commit and its pack's rename leaves the month unpublished
  (not closed), and the next run finishes or undoes the publication;
- a journal line changed behind the product's back is found by ``chargeback verify`` and
  no pack re-issues it;
- allocation rules that could not be applied are refused when stored.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select, text

from chargeback.extensions import db
from chargeback.models import (
    AuditEntry,
    Charge,
    Consumer,
    ImportBatch,
    JournalLine,
    PackFile,
    Period,
    ScorecardVersion,
    SpendLine,
    Unit,
    UnitTreeSnapshot,
    UsageLine,
)
from chargeback.services import publication
from tests.chargeback.helpers import write_csv
from tests.chargeback.lock_waits import (
    FOLDER_VARIABLE,
    arrived,
    probed_cli,
    release,
    released_when,
    someone_waits,
    statements_tracked,
)
from tests.chargeback.test_close_end_to_end import DATA, load_company, run

pytestmark = pytest.mark.slow


def env(app, **extra) -> dict:
    return {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": "x", "CHARGEBACK_PACK_DIR": app.config["CHARGEBACK_PACK_DIR"],
            **extra}


def cli(*args) -> list[str]:
    return [str(Path(sys.executable).with_name("chargeback")), *args]


def count(model, *where) -> int:
    db.session.rollback()  # see what other processes committed
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


# A paused side waits at most this long: the test releases it (``lock_waits``) as soon as
# the other side is queued behind it, so only a broken lock makes a test wait it out.
PAUSE = 30


@pytest.fixture
def statements(tmp_path):
    """The statements this process runs, written down (``lock_waits``)."""
    with statements_tracked(tmp_path / "statements") as folder:
        yield folder


def marks_for(tmp_path, point: str) -> Path:
    marks = tmp_path / f"marks-{point}"
    marks.mkdir(exist_ok=True)
    return marks


def paused(app, tmp_path, point: str, seconds: int, *args) -> subprocess.Popen:
    """``chargeback *args`` in a process of its own, paused at most ``seconds`` at the
    failpoint ``point``: returned once it is there (or has ended without getting there)."""
    marks = marks_for(tmp_path, point)
    process = subprocess.Popen(cli(*args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=env(app, CHARGEBACK_FAILPOINT=f"{point}:{seconds}",
                                                  CHARGEBACK_FAILPOINT_DIR=str(marks)))
    wait_for(lambda: (marks / point).exists() or process.poll() is not None)
    return process


def once_queued(app, tmp_path, point: str, paused_process, statements):
    """A block inside which ``paused_process`` (paused at ``point``) is released as soon as
    another session waits for a lock: the side the block runs."""
    engine = db.engine
    return released_when(lambda: someone_waits(engine, statements, but=paused_process.pid),
                         marks_for(tmp_path, point), point)


def queued_behind(app, tmp_path, point: str, first, statements, *args):
    """``chargeback *args`` run while ``first`` is paused at ``point``, ``first`` released
    once that run waits for a lock (or has ended); the run's result and ``first``'s
    output."""
    second = subprocess.Popen(probed_cli(*args), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True,
                              env=env(app, **{FOLDER_VARIABLE: str(statements)}))
    engine = db.engine
    wait_for(lambda: someone_waits(engine, statements, but=first.pid)
             or second.poll() is not None)
    queued = second.poll() is None and first.poll() is None
    release(marks_for(tmp_path, point), point)
    out, err = second.communicate(timeout=120)
    first_out, _ = first.communicate(timeout=120)
    assert queued, ("the second run did not queue behind the first", out, err, first_out)
    return subprocess.CompletedProcess(second.args, second.returncode, out, err), first_out


def pack_dir(app) -> Path:
    return Path(app.config["CHARGEBACK_PACK_DIR"])


# --- an import while the month closes ----------------------------------------------------


def test_an_import_during_a_close_waits_and_is_refused_in_the_closed_month(
        app, runner, tmp_path, statements):
    load_company(runner)
    usage_before = count(UsageLine, UsageLine.period == "2026-03")
    close = paused(app, tmp_path, "close.before-commit", PAUSE, "close", "2026-03")
    assert list(pack_dir(app).glob(".*.pending")), close.communicate()[0]  # not committed
    late = write_csv(tmp_path, "late.csv", "period,consumer_code,service_code,quantity\n"
                                           "2026-03,LAB1,CPU,777777\n")
    with once_queued(app, tmp_path, "close.before-commit", close, statements):
        result = runner.invoke(args=["import", "usage", str(late)])
    out, _ = close.communicate(timeout=120)
    assert close.returncode == 0, out
    assert result.exit_code == 1, result.output
    assert "line 2: period: period 2026-03 is closed" in result.stderr
    assert count(UsageLine, UsageLine.period == "2026-03") == usage_before
    assert count(Period, Period.period == "2026-03", Period.status == "closed") == 1
    usage_charged = db.session.scalar(select(func.sum(Charge.quantity)).where(
        Charge.period == "2026-03", Charge.method == "usage"))
    used = db.session.scalar(select(func.sum(UsageLine.quantity)).where(
        UsageLine.period == "2026-03"))
    assert Decimal(usage_charged) == Decimal(used)  # every usage line is in the close


def test_a_unit_moved_while_a_month_closes_moves_after_the_close(app, runner, tmp_path,
                                                                 statements):
    """The close reads the tree once and keeps that tree as the month's: a move saved while
    it runs waits for its commit (PostgreSQL: the reference lock; SQLite: one writer), so
    the month's snapshot is the tree its figures were allocated and rolled up on."""
    load_company(runner)
    close = paused(app, tmp_path, "close.after-gather", PAUSE, "close", "2026-03")
    units = (DATA / "units.csv").read_text().replace(
        "LAB,Innovation Lab,GRP,", "LAB,Innovation Lab,HQ,")
    with once_queued(app, tmp_path, "close.after-gather", close, statements):
        moved = runner.invoke(args=["import", "units",
                                    str(write_csv(tmp_path, "units.csv", units))])
    frozen = count(Period, Period.period == "2026-03",
                   Period.status.in_(("publishing", "closed")))
    assert frozen == 1  # the move waited for the close's commit
    out, _ = close.communicate(timeout=120)
    assert close.returncode == 0, out
    assert moved.exit_code == 0, moved.output
    db.session.rollback()
    kept = db.session.scalar(select(UnitTreeSnapshot.parent_code).where(
        UnitTreeSnapshot.period == "2026-03", UnitTreeSnapshot.unit_code == "LAB"))
    assert kept == "GRP"  # as the close allocated it, not as moved meanwhile
    today = db.session.scalar(select(Unit).where(Unit.code == "LAB"))
    assert today.parent.code == "HQ"


def test_a_draft_pack_asked_for_while_the_month_closes_waits_and_is_refused(
        app, runner, tmp_path, statements):
    """The scheduler's draft of a month being closed waits for the close and is then told
    the month is closed, instead of writing into the close's tables beside it."""
    from chargeback import jobs

    jobs.bind(app)
    load_company(runner)
    close = paused(app, tmp_path, "close.before-commit", PAUSE, "close", "2026-03")
    with once_queued(app, tmp_path, "close.before-commit", close, statements):
        outcome = jobs.provisional(period="2026-03")
    out, _ = close.communicate(timeout=120)
    assert close.returncode == 0, out
    assert (outcome.status, outcome.message) == (
        "failed", "period 2026-03 is already closed; central IT may reopen it with "
                  "`chargeback reopen 2026-03 --reason ...`")
    assert not (pack_dir(app) / "chargeback-2026-03-provisional.xlsx").exists()


def test_verify_answers_while_a_month_closes(app, runner, tmp_path):
    """Checking the seals only reads: it does not wait for a close (on SQLite it does not
    queue for the write lock the close holds)."""
    load_company(runner)
    run(runner, "close", "2026-03")
    run(runner, "reopen", "2026-03", "--reason", "late usage")
    close = paused(app, tmp_path, "close.before-commit", PAUSE, "close", "2026-03")
    try:
        start = time.monotonic()
        checked = runner.invoke(args=["verify"])
        assert time.monotonic() - start < 8, "verify waited for the close"
        assert close.poll() is None, "the close was not paused all along"
        assert checked.exit_code == 0, (checked.output, checked.stderr)
        assert "1 seal(s) of 1 month(s) verified" in checked.output
    finally:
        release(marks_for(tmp_path, "close.before-commit"), "close.before-commit")
        out, _ = close.communicate(timeout=120)
    assert close.returncode == 0, out


# --- the same file twice ----------------------------------------------------------------


def test_the_same_file_imported_twice_at_once_is_stored_once(app, runner, tmp_path):
    load_company(runner)
    rows = "".join(f"2026-04,LAB{1 + n % 2},CPU,{n % 97 + 1}.5\n" for n in range(40_000))
    usage = write_csv(tmp_path, "usage-2026-04.csv",
                      "period,consumer_code,service_code,quantity\n" + rows)
    budget = write_csv(tmp_path, "budget.csv", "period,unit_code,amount\n2026-04,WW,1.00\n")
    run(runner, "import", "budget", str(budget))  # the month exists, open
    processes = [subprocess.Popen(cli("import", "usage", str(usage)), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, env=env(app))
                 for _ in range(2)]
    outputs = [p.communicate(timeout=300)[0] for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    assert sum("already imported" in out for out in outputs) == 1, outputs
    assert count(UsageLine, UsageLine.period == "2026-04") == 40_000
    assert count(ImportBatch, ImportBatch.kind == "usage", ImportBatch.status == "stored") == 2


def test_a_file_saved_again_with_crlf_a_bom_and_quotes_is_already_imported(
        app, runner, tmp_path):
    load_company(runner)
    total = db.session.scalar(select(func.sum(SpendLine.amount)))
    lines = (DATA / "spend.csv").read_text().splitlines()
    quoted = [",".join(f'"{cell}"' for cell in line.split(",")) for line in lines]
    again = tmp_path / "spend-resaved.csv"
    again.write_bytes(("\ufeff" + "\r\n".join(quoted) + "\r\n").encode("utf-8"))
    result = run(runner, "import", "spend", str(again))
    assert "already imported" in result.output
    assert db.session.scalar(select(func.sum(SpendLine.amount))) == total


# --- published packs ---------------------------------------------------------------------


def test_a_published_pack_is_never_overwritten_and_downloads_check_it(app, runner, tmp_path):
    load_company(runner)
    path = Path(run(runner, "close", "2026-03").stdout.strip().splitlines()[-1])
    published, stamp = path.read_bytes(), path.stat().st_mtime_ns
    moved = write_csv(tmp_path, "consumers.csv", (DATA / "consumers.csv").read_text()
                      .replace("LAB1,Materials lab,6100-001,", "LAB1,Materials lab,6100-001,ALT"))
    run(runner, "import", "consumers", str(moved))
    again = run(runner, "pack", "2026-03")
    assert Path(again.stdout.strip()) == path and "left as it is" in again.stderr
    assert path.read_bytes() == published and path.stat().st_mtime_ns == stamp
    refused = runner.invoke(args=["pack", "2026-03", "--out", str(path)])
    assert refused.exit_code == 1 and "never overwritten" in refused.stderr
    assert path.read_bytes() == published

    path.write_bytes(published[:-10] + b"tampered!!")
    changed = runner.invoke(args=["pack", "2026-03"])
    assert changed.exit_code == 1 and "not the pack that was published" in changed.stderr
    assert _download(app, path.name) == 409

    path.unlink()
    restored = run(runner, "pack", "2026-03")
    assert "written again from the frozen figures" in restored.stderr
    assert _cells(path) == _cells_of(published, tmp_path)  # the same figures, cell for cell
    assert _download(app, path.name) == 200


def test_two_restores_of_a_changed_pack_at_once_take_turns(app, runner, tmp_path, statements):
    """Two `chargeback pack --restore` at once: the second waits for the first's commit,
    then finds the file it wrote, recorded, and leaves it as it is: one file set aside, one
    audit entry, and the recorded checksum is the file's."""
    import hashlib

    from chargeback.models import AuditEntry, PackFile

    load_company(runner)
    path = Path(run(runner, "close", "2026-03").stdout.strip().splitlines()[-1])
    path.write_bytes(path.read_bytes() + b"tampered")
    point = "pack.restore-before-commit"
    first = paused(app, tmp_path, point, PAUSE, "pack", "2026-03", "--restore")
    second, first_out = queued_behind(app, tmp_path, point, first, statements,
                                      "pack", "2026-03", "--restore")
    assert first.returncode == 0, first_out
    assert "set aside" in first_out
    assert second.returncode == 0, (second.stdout, second.stderr)
    assert "published and intact" in second.stderr
    assert len(list(path.parent.glob(f"{path.name}.changed-*"))) == 1
    assert count(AuditEntry, AuditEntry.action == "pack.restore") == 1
    recorded = db.session.scalar(select(PackFile.sha256).where(PackFile.path == str(path)))
    assert recorded == hashlib.sha256(path.read_bytes()).hexdigest()


def finance_client(app):
    """A test client signed in as finance (the user is made on first use)."""
    from chargeback.services.queries import people
    from chargeback.services.users import create_user
    from tests.chargeback.web.conftest import PASSWORD, USERS, sign_in
    from tests.conftest import FAST_HASH

    email, role, units = USERS["finance"]
    if people.by_email(db.session, email) is None:
        create_user(db.session, email, role, PASSWORD, "test", units, hash_method=FAST_HASH)
        db.session.commit()
    return sign_in(app.test_client(), "finance")


def _download(app, name: str) -> int:
    pack = db.session.scalar(select(PackFile).where(PackFile.path.like(f"%{name}")))
    return finance_client(app).get(f"/packs/{pack.id}/download").status_code


def _cells(path: Path) -> list:
    book = openpyxl.load_workbook(path)
    return [(sheet.title, [tuple(r) for r in sheet.iter_rows(values_only=True)])
            for sheet in book.worksheets]


def _cells_of(data: bytes, folder: Path) -> list:
    copy = folder / "published-copy.xlsx"
    copy.write_bytes(data)
    return _cells(copy)


# --- a failure between the commit and the rename ------------------------------------------


def test_a_publication_interrupted_after_the_commit_is_finished_by_the_next_run(
        app, runner, monkeypatch):
    load_company(runner)
    _interrupt_the_rename(monkeypatch)
    result = runner.invoke(args=["close", "2026-03"])
    assert result.exit_code != 0
    monkeypatch.undo()
    month = _month("2026-03")
    assert month.status == "publishing" and month.closed_at is None  # not closed: no pack
    assert list(pack_dir(app).glob(".chargeback-2026-03.xlsx.pending"))
    assert not (pack_dir(app) / "chargeback-2026-03.xlsx").exists()
    portfolio = finance_client(app).get("/portfolio").get_data(as_text=True)
    assert "No closed period yet" in portfolio  # a month being published is not shown

    run(runner, "verify", "2026-03")  # any next run finishes the publication first
    month = _month("2026-03")
    assert month.status == "closed" and month.closed_at is not None
    final = pack_dir(app) / "chargeback-2026-03.xlsx"
    pack = db.session.scalar(select(PackFile).where(PackFile.period == "2026-03"))
    assert final.exists() and pack.published_at is not None
    import hashlib

    assert hashlib.sha256(final.read_bytes()).hexdigest() == pack.sha256
    assert not list(pack_dir(app).glob(".*.pending"))


def test_a_publication_whose_pack_was_lost_is_undone(app, runner, monkeypatch):
    load_company(runner)
    _interrupt_the_rename(monkeypatch)
    assert runner.invoke(args=["close", "2026-03"]).exit_code != 0
    monkeypatch.undo()
    for pending in pack_dir(app).glob(".*.pending"):
        pending.unlink()
    run(runner, "verify")
    month = _month("2026-03")
    assert month.status == "open" and month.close_count == 0
    assert count(Charge, Charge.period == "2026-03") == 0
    assert count(AuditEntry, AuditEntry.action == "period.close.undone") == 1
    with pytest.raises(publication.PublicationLost, match="another run undid this close"):
        publication.publish(db.session, "2026-03")  # a late run is not told "published"
    path = run(runner, "close", "2026-03").stdout.strip()  # and it closes again, whole
    assert path.endswith("chargeback-2026-03.xlsx") and Path(path).exists()


def _interrupt_the_rename(monkeypatch) -> None:
    """The process stops right after the close's commit: the rename never happens."""
    real = os.replace

    def stop(source, target):
        if str(source).endswith(".pending"):
            raise KeyboardInterrupt("killed before the rename")
        return real(source, target)

    monkeypatch.setattr(os, "replace", stop)


def _month(period: str) -> Period:
    db.session.rollback()
    return db.session.get(Period, period)


# --- a changed journal line ---------------------------------------------------------------


def test_a_journal_line_changed_in_the_database_is_found_and_not_reissued(
        app, runner, tmp_path):
    load_company(runner)
    path = Path(run(runner, "close", "2026-03").stdout.strip().splitlines()[-1])
    assert "verified" in run(runner, "verify", "2026-03").output
    cover = dict(openpyxl.load_workbook(path)["Cover"].iter_rows(min_row=2, values_only=True))
    from chargeback.models import PeriodSeal

    assert cover["Seal"] == db.session.scalar(select(PeriodSeal.seal))
    line = db.session.scalar(select(JournalLine).where(JournalLine.period == "2026-03",
                                                       JournalLine.debit > 0).limit(1))
    db.session.execute(text("UPDATE journal_lines SET debit = debit + 5000, credit = "
                            "credit + 5000 WHERE id = :id"), {"id": line.id})
    db.session.commit()
    found = runner.invoke(args=["verify", "2026-03"])
    assert found.exit_code == 1
    assert "2026-03 r1: journal:" in found.stderr and "journal lines of" in found.stderr
    copy = runner.invoke(args=["pack", "2026-03", "--out", str(tmp_path / "copy.xlsx")])
    assert copy.exit_code == 1 and "no longer match its seal" in copy.stderr
    assert not (tmp_path / "copy.xlsx").exists()


def test_an_audit_entry_removed_afterwards_breaks_the_seal(app, runner):
    load_company(runner)
    run(runner, "close", "2026-03")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "rules.save")
                              .limit(1))
    db.session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": entry.id})
    db.session.commit()
    found = runner.invoke(args=["verify"])
    assert found.exit_code == 1 and ": audit: audit entries" in found.stderr


# --- allocation rules that could not be applied -------------------------------------------


@pytest.mark.parametrize(("rules", "message"), [
    ('{"unit": "WW", "rules": [{"pool": "labr", "method": "fixed", "splits": '
     '[{"consumer": "LINE1", "percent": 100}]}]}',
     "pool: WW has no spend in cost pool 'labr' (its pools: desktop)"),
    ('{"unit": "WW", "rules": [{"pool": "desktop", "method": "driver", "driver": "seats"}]}',
     "driver: no 'seats' driver quantity was ever imported (drivers: headcount)"),
    ('{"unit": "WW", "rules": [{"pool": "desktop", "method": "fixed", "splits": ['
     '{"consumer": "LINE1", "percent": "33.3333333"}, '
     '{"consumer": "LINE2", "percent": "66.6666667"}]}]}',
     "splits[0].percent: '33.3333333' has more than 6 decimals"),
    ('{"unit": "WW", "rules": [{"pool": "desktop", "method": "fixed", "splits": ['
     '{"consumer": "LINE1", "percent": "abc"}, {"consumer": "LINE2", "percent": 40}]}]}',
     "splits[0].percent: 'abc' is not a percentage"),
])
def test_rules_naming_what_was_never_imported_are_refused(app, runner, tmp_path, rules,
                                                          message):
    load_company(runner)
    path = tmp_path / "rules.json"
    path.write_text(rules)
    result = runner.invoke(args=["rules", "import", str(path)])
    assert result.exit_code == 1 and message in result.stderr, result.stderr


def test_rules_closing_a_circle_of_internal_charges_are_refused(app, runner, tmp_path):
    """DC charges ALT (ALT's consumer uses DC's compute): ALT charging DC back is a cycle."""
    load_company(runner)
    consumers = write_csv(tmp_path, "consumers.csv", (DATA / "consumers.csv").read_text()
                          + "C-DC,Data center as a consumer,6900-DC,DC\n")
    run(runner, "import", "consumers", str(consumers))
    path = tmp_path / "rules.json"
    path.write_text('{"unit": "ALT", "rules": [{"pool": "all", "method": "fixed", "splits": '
                    '[{"consumer": "C-DC", "percent": 100}]}]}')
    result = runner.invoke(args=["rules", "import", str(path)])
    assert result.exit_code == 1
    assert "internal charges form a cycle: ALT -> DC -> ALT" in result.stderr, result.stderr


def test_a_rule_set_is_checked_only_in_the_months_it_would_govern(app, runner, tmp_path):
    """ALT's set from 2026-05 takes over from May: a set from 2026-04 that charges DC would
    close a circle only in May (where DC's compute serves ALT), so it is accepted; the same
    set from 2026-05 is refused."""
    load_company(runner)
    run(runner, "close", "2026-03")
    run(runner, "import", "consumers", str(write_csv(
        tmp_path, "consumers.csv",
        (DATA / "consumers.csv").read_text() + "C-DC,Data center as a consumer,6900-DC,DC\n")))
    run(runner, "import", "spend", str(write_csv(
        tmp_path, "spend.csv", "period,unit_code,cost_pool,amount,tower,account,description\n"
        "2026-04,ALT,labor,100.00,end_user,6020,Staff\n")))
    run(runner, "import", "usage", str(write_csv(
        tmp_path, "usage.csv", "period,consumer_code,service_code,quantity\n"
        "2026-05,C-ALT,CPU,10\n")))
    later = tmp_path / "later.json"
    later.write_text('{"unit": "ALT", "effective_from": "2026-05", "rules": [{"pool": "all", '
                     '"method": "fixed", "splits": [{"consumer": "LAB1", "percent": 100}]}]}')
    run(runner, "rules", "import", str(later))
    charging_dc = ('{"unit": "ALT", "effective_from": "%s", "rules": [{"pool": "all", '
                   '"method": "fixed", "splits": [{"consumer": "C-DC", "percent": 100}]}]}')
    april = tmp_path / "april.json"
    april.write_text(charging_dc % "2026-04")
    run(runner, "rules", "import", str(april))
    may = tmp_path / "may.json"
    may.write_text(charging_dc % "2026-05")
    result = runner.invoke(args=["rules", "import", str(may)])
    assert result.exit_code == 1
    assert "ALT -> DC -> ALT in 2026-05" in result.stderr, result.stderr


# --- two imports at once ------------------------------------------------------------------


def test_two_imports_naming_the_same_new_consumer_at_once_both_land(app, runner, tmp_path,
                                                                    statements):
    """Batches of one kind take turns: the second sees the first's new consumer and updates
    it, instead of inserting it a second time (a unique-key crash)."""
    load_company(runner)
    header = "code,name,gl_account,unit_code\n"
    files = [write_csv(tmp_path, f"consumers-{n}.csv", header + f"LAB9,Lab nine {n},6100-009,\n")
             for n in (1, 2)]
    slow = paused(app, tmp_path, "import.before-checksum", PAUSE, "import", "consumers",
                  str(files[0]))
    fast, out = queued_behind(app, tmp_path, "import.before-checksum", slow, statements,
                              "import", "consumers", str(files[1]))
    assert slow.returncode == 0, out
    assert fast.returncode == 0, fast.stderr
    assert count(Consumer, Consumer.code == "LAB9") == 1
    assert db.session.scalar(select(Consumer.name).where(Consumer.code == "LAB9")) \
        == "Lab nine 2"  # the later batch's value, the earlier one in the audit log


def test_two_imports_locking_months_in_opposite_orders_never_half_store(
        app, runner, tmp_path, statements):
    """Spend for May then June beside usage for June then May: on PostgreSQL each holds a
    month the other wants and the server stops one of them (a deadlock). That one is
    refused whole and recorded ("import the file again"); the other is stored whole. On
    SQLite they simply take turns."""
    load_company(runner)
    spend = write_csv(tmp_path, "spend.csv",
                      "period,unit_code,cost_pool,amount,tower,account,description\n"
                      "2026-05,ALT,labor,100.00,end_user,6020,Staff\n"
                      "2026-06,ALT,labor,200.00,end_user,6020,Staff\n")
    usage = write_csv(tmp_path, "usage.csv", "period,consumer_code,service_code,quantity\n"
                      "2026-06,LAB1,CPU,10\n2026-05,LAB1,CPU,20\n")
    point, marks = "import.month-locked", marks_for(tmp_path, "import.month-locked")
    pause = env(app, CHARGEBACK_FAILPOINT=f"{point}:{PAUSE}",
                CHARGEBACK_FAILPOINT_DIR=str(marks), **{FOLDER_VARIABLE: str(statements)})
    processes = [subprocess.Popen(probed_cli("import", kind, str(path)),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=pause)
                 for kind, path in (("spend", spend), ("usage", usage))]
    # released once each holds its first month (PostgreSQL), or once the one holding its
    # month has the other queued behind it (SQLite's one writer)
    engine = db.engine
    wait_for(lambda: arrived(marks, point) == 2 or (
        arrived(marks, point) == 1 and engine.dialect.name != "postgresql"
        and someone_waits(engine, statements))
        or any(p.poll() is not None for p in processes))
    release(marks, point)
    answers = [p.communicate(timeout=180) for p in processes]
    codes = [p.returncode for p in processes]
    assert all("Traceback" not in err for _, err in answers), answers
    stored = {"spend": count(SpendLine, SpendLine.period.in_(("2026-05", "2026-06"))),
              "usage": count(UsageLine, UsageLine.period.in_(("2026-05", "2026-06")))}
    if db.engine.dialect.name == "postgresql":
        assert sorted(codes) == [0, 1], answers
        loser = ("spend", "usage")[codes.index(1)]
        assert "import the file again" in answers[codes.index(1)][1]
        assert stored[loser] == 0 and stored[{"spend": "usage", "usage": "spend"}[loser]] == 2
        refused = db.session.scalar(select(ImportBatch).where(ImportBatch.kind == loser)
                                    .order_by(ImportBatch.id.desc()).limit(1))
        assert refused.status == "refused" and refused.error_count == 1
    else:
        assert codes == [0, 0], answers
        assert stored == {"spend": 2, "usage": 2}


# --- scorecards and rule sets saved at once ----------------------------------------------


def test_two_scorecard_versions_saved_at_once_get_two_numbers(app, runner, tmp_path,
                                                              statements):
    """A version's number is taken under its unit's row lock: a second save waits for the
    first, instead of taking the same number (a unique-key crash). Start months far ahead,
    where no month row exists to serialise them."""
    load_company(runner)
    card = (DATA / "scorecard-ALT.json").read_text()
    files = []
    for start in ("2027-01", "2027-02"):
        path = tmp_path / f"alt-{start}.json"
        path.write_text(card.replace('"effective_from": "2026-01"',
                                     f'"effective_from": "{start}"'))
        files.append(path)
    first = paused(app, tmp_path, "scorecard.numbered", PAUSE, "scorecard", "import",
                   str(files[0]))
    second, out = queued_behind(app, tmp_path, "scorecard.numbered", first, statements,
                                "scorecard", "import", str(files[1]))
    assert first.returncode == 0, out
    assert second.returncode == 0, second.stderr
    db.session.rollback()
    numbers = db.session.execute(
        select(ScorecardVersion.effective_from, ScorecardVersion.version)
        .join(Unit, Unit.id == ScorecardVersion.unit_id).where(Unit.code == "ALT")
        .order_by(ScorecardVersion.version)).all()
    assert [n for _, n in numbers] == [1, 2, 3]
    assert [start for start, _ in numbers[1:]] == ["2027-01", "2027-02"]


def test_two_rule_sets_saved_at_once_cannot_together_close_a_circle(app, runner, tmp_path,
                                                                    statements):
    """WW charging the lab's consumer is fine alone, and so is the lab charging WW's; saved
    at once, both checks would pass and the next close would find a circle. Rule sets are
    saved one at a time: the second is checked with the first in force, and refused."""
    load_company(runner)
    run(runner, "import", "consumers", str(write_csv(
        tmp_path, "consumers.csv", (DATA / "consumers.csv").read_text()
        + "C-LAB,Lab as a consumer,6900-LAB,LAB\nC-WW,Plant IT as a consumer,6900-WW,WW\n")))
    sets = {}
    for unit, receiver in (("WW", "C-LAB"), ("LAB", "C-WW")):
        sets[unit] = tmp_path / f"rules-{unit}.json"
        sets[unit].write_text(f'{{"unit": "{unit}", "effective_from": "2027-01", '
                              f'"rules": [{{"pool": "all", "method": '
                              f'"fixed", "splits": [{{"consumer": "{receiver}", '
                              '"percent": 100}]}]}')
    first = paused(app, tmp_path, "rules.checked", PAUSE, "rules", "import", str(sets["WW"]))
    second, out = queued_behind(app, tmp_path, "rules.checked", first, statements,
                                "rules", "import", str(sets["LAB"]))
    assert first.returncode == 0, out
    assert second.returncode == 1, second.stdout
    assert "internal charges form a cycle" in second.stderr, second.stderr


def test_a_rule_set_before_every_open_month_is_still_checked(app, runner, tmp_path):
    """ALT's stored set starts in 2026-03, the only month with data: a set from 2026-01
    governs no month yet, and is checked as it would stand in 2026-01 against the latest
    month's usage (where DC's compute serves ALT), so its circle is refused now."""
    load_company(runner)  # ALT's rules are stored from 2026-03
    run(runner, "import", "consumers", str(write_csv(
        tmp_path, "consumers.csv",
        (DATA / "consumers.csv").read_text() + "C-DC,Data center as a consumer,6900-DC,DC\n")))
    early = tmp_path / "early.json"
    early.write_text('{"unit": "ALT", "effective_from": "2026-01", "rules": [{"pool": "all", '
                     '"method": "fixed", "splits": [{"consumer": "C-DC", "percent": 100}]}]}')
    result = runner.invoke(args=["rules", "import", str(early)])
    assert result.exit_code == 1, result.output
    assert "ALT -> DC -> ALT in 2026-01" in result.stderr, result.stderr
