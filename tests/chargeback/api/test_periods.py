"""Periods: list, close as a queued job (202), 409 on a closed month, reopen; job runs; packs."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from sqlalchemy import select

from chargeback.models import AuditEntry, JobRun, PackFile, Period


def test_periods_are_listed_for_finance_not_unit_heads(api):
    periods = api("finance").get("/api/v1/periods").get_json()
    assert [(p["period"], p["status"], p["close_count"]) for p in periods] == [
        ("2026-03", "closed", 1)]
    assert periods[0]["closed_by"] and periods[0]["closed_at"].endswith("Z")
    assert api("finance").get("/api/v1/periods/2026-03").get_json()["status"] == "closed"
    assert api("finance").get("/api/v1/periods/2026-09").status_code == 404
    assert api("finance").get("/api/v1/periods/2026-13").status_code == 404
    assert api("unit_head").get("/api/v1/periods").status_code == 403


def test_closing_a_closed_period_is_409(api, session):
    response = api("central_it").post("/api/v1/periods/2026-03/close")
    assert response.status_code == 409
    assert response.get_json()["errors"] == {"period": ["2026-03 is closed."]}
    assert session.scalar(select(JobRun)) is None
    assert api("central_it").post("/api/v1/periods/2030-01/close").status_code == 404


def test_closing_a_period_whose_close_is_being_published_is_409(api, session):
    session.get(Period, "2026-03").status = "publishing"  # committed, pack not yet renamed
    session.commit()
    response = api("central_it").post("/api/v1/periods/2026-03/close")
    assert response.status_code == 409
    assert response.get_json()["errors"] == {"period": ["2026-03 is publishing."]}
    assert session.scalar(select(JobRun)) is None


def test_close_answers_202_with_the_queued_run(api, session):
    cit = api("central_it")
    session.add(Period(period="2026-04", status="open"))
    session.commit()
    response = cit.post("/api/v1/periods/2026-04/close")
    assert response.status_code == 202
    run = response.get_json()
    assert (run["job"], run["period"], run["status"], run["requested_by"]) == (
        "close-month", "2026-04", "queued", "cit@example.com")
    assert response.headers["Location"].endswith(f"/api/v1/job-runs/{run['id']}")
    again = cit.post("/api/v1/periods/2026-04/close")
    assert again.status_code == 202 and again.get_json()["id"] == run["id"]
    assert cit.get(f"/api/v1/job-runs/{run['id']}").get_json()["status"] == "queued"
    listed = api("finance").get("/api/v1/job-runs").get_json()
    assert [r["id"] for r in listed["items"]] == [run["id"]]
    assert api("finance").get("/api/v1/job-runs/4242").status_code == 404
    assert api("finance").post("/api/v1/periods/2026-04/close").status_code == 403


def test_reopen_needs_a_reason_and_a_closed_month(api, session):
    cit = api("central_it")
    missing = cit.post("/api/v1/periods/2026-03/reopen", json={})
    assert missing.status_code == 422 and "reason" in missing.get_json()["errors"]
    for blank in ("", "   ", " \t\n"):  # spaces alone are no reason: the same 422
        refused = cit.post("/api/v1/periods/2026-03/reopen", json={"reason": blank})
        assert refused.status_code == 422, blank
        assert list(refused.get_json()["errors"]) == ["reason"], blank
    # words after a line break or a space are a reason (a textarea may send them so)
    reopened = cit.post("/api/v1/periods/2026-03/reopen", json={"reason": "\n late GL credit"})
    assert reopened.status_code == 200 and reopened.get_json()["status"] == "open"
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "period.reopen"))
    assert (entry.actor, entry.reason) == ("cit@example.com", "late GL credit")
    twice = cit.post("/api/v1/periods/2026-03/reopen", json={"reason": "again"})
    assert twice.status_code == 409 and "is not closed" in twice.get_json()["message"]


def test_packs_list_and_download(api, session):
    finance = api("finance")
    packs = finance.get("/api/v1/packs").get_json()
    assert [(p["period"], p["kind"], p["revision"], p["filename"], p["on_server"])
            for p in packs] == [("2026-03", "final", 1, "chargeback-2026-03.xlsx", True)]
    assert finance.get("/api/v1/packs?period=2026-02").get_json() == []
    download = finance.get(f"/api/v1/packs/{packs[0]['id']}/download")
    assert download.status_code == 200
    assert download.mimetype.endswith("spreadsheetml.sheet")
    assert "chargeback-2026-03.xlsx" in download.headers["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(download.data))
    assert "Journal" in workbook.sheetnames
    assert api("unit_head").get(f"/api/v1/packs/{packs[0]['id']}/download").status_code == 403
    Path(session.get(PackFile, packs[0]["id"]).path).unlink()
    gone = finance.get(f"/api/v1/packs/{packs[0]['id']}/download")
    assert gone.status_code == 404 and "chargeback pack 2026-03" in gone.get_json()["message"]
    assert finance.get("/api/v1/packs").get_json()[0]["on_server"] is False


def test_a_changed_pack_file_is_named_by_verify_and_restored(api, session, runner):
    """A published pack changed on the server: the download refuses it and says what to
    run; `chargeback verify` names it (exit 1); `chargeback pack --restore` sets it aside,
    writes the pack again from the frozen figures and records the new checksum, audited;
    the download then serves it, with the original's cells."""
    finance = api("finance")
    listed = finance.get("/api/v1/packs").get_json()[0]
    pack = session.get(PackFile, listed["id"])
    path, recorded = Path(pack.path), pack.sha256
    original = openpyxl.load_workbook(path)
    assert runner.invoke(args=["verify", "2026-03"]).exit_code == 0
    path.write_bytes(path.read_bytes() + b"tampered")
    download = f"/api/v1/packs/{listed['id']}/download"
    refused = finance.get(download)
    assert refused.status_code == 409
    assert "chargeback pack 2026-03 --restore" in refused.get_json()["message"]
    verify = runner.invoke(args=["verify", "2026-03"])
    assert verify.exit_code == 1
    assert "pack chargeback-2026-03.xlsx (final, revision 1) is changed" in verify.stderr
    plain = runner.invoke(args=["pack", "2026-03"])
    assert plain.exit_code == 1 and "--restore" in plain.stderr  # never overwritten unasked
    assert runner.invoke(args=["pack", "2026-03", "--restore", "--out", "x.xlsx"]
                         ).exit_code == 2
    restored = runner.invoke(args=["pack", "2026-03", "--restore"])
    assert restored.exit_code == 0, restored.output
    assert restored.stdout.strip() == str(path)
    aside = list(path.parent.glob("chargeback-2026-03.xlsx.changed-*"))
    assert len(aside) == 1 and aside[0].read_bytes().endswith(b"tampered")
    session.expire_all()
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "pack.restore")
                            ).one()
    assert entry.before["sha256"] == recorded and entry.before["set_aside_as"] == aside[0].name
    assert entry.after["sha256"] == session.get(PackFile, listed["id"]).sha256
    assert runner.invoke(args=["verify", "2026-03"]).exit_code == 0
    served = finance.get(download)
    assert served.status_code == 200
    again = openpyxl.load_workbook(io.BytesIO(served.data))
    assert again.sheetnames == original.sheetnames
    for name in original.sheetnames:
        assert [[c.value for c in row] for row in again[name].iter_rows()] == \
            [[c.value for c in row] for row in original[name].iter_rows()], name


def test_verify_names_a_missing_pack_file(api, session, runner):
    pack = session.get(PackFile, api("finance").get("/api/v1/packs").get_json()[0]["id"])
    Path(pack.path).unlink()
    verify = runner.invoke(args=["verify"])
    assert verify.exit_code == 1 and "chargeback-2026-03.xlsx" in verify.stderr
    assert "is missing" in verify.stderr
    assert "chargeback pack 2026-03 --restore" in verify.stderr
    api("central_it").post("/api/v1/periods/2026-03/reopen", json={"reason": "late usage"})
    gone = api("finance").get(f"/api/v1/packs/{pack.id}/download")
    assert gone.status_code == 404  # and no promise of a command that would refuse
    assert "is reopened for corrections" in gone.get_json()["message"]
    assert "--restore" not in gone.get_json()["message"]


def test_verify_leaves_a_provisional_draft_to_its_nightly_run(api, session, runner, tmp_path):
    """A provisional draft is rewritten in place by its nightly run, which records the new
    checksum after: verify, which checks booked figures and their packs, leaves it out
    (a changed draft is still refused at its download), so it raises no false alarm."""
    import datetime as dt

    draft = tmp_path / "chargeback-2026-04-provisional.xlsx"
    draft.write_bytes(b"rewritten since its checksum was recorded")
    if session.get(Period, "2026-04") is None:
        session.add(Period(period="2026-04"))
        session.flush()
    session.add(PackFile(period="2026-04", kind="provisional", revision=1, path=str(draft),
                         sha256="0" * 64, created_by="scheduler",
                         published_at=dt.datetime(2026, 4, 20, 1, 30)))
    session.commit()
    verify = runner.invoke(args=["verify"])
    assert verify.exit_code == 0, verify.output
    assert "provisional" not in verify.output
