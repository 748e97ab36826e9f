"""Big uploads through the API: 202 with the job run at once, imported by the job runner
(``chargeback jobs work``), followed at the run's URL to the batch and its row errors."""

from __future__ import annotations

import io

from sqlalchemy import select

from chargeback.extensions import db
from chargeback.models import JobRun
from chargeback.services import job_runs
from tests.chargeback.upload_fixtures import (  # noqa: F401  (fixture)
    BAD_USAGE,
    THRESHOLD,
    USAGE,
    USAGE_ROWS,
    big_uploads_fixture,
    data_fingerprint,
    stored_files,
    usage_lines,
)


def upload(client, kind: str, text: str, name: str = "file.csv", **form):
    return client.post(f"/api/v1/imports/{kind}",
                       data={"file": (io.BytesIO(text.encode()), name), **form},
                       content_type="multipart/form-data")


def work_once(runner) -> str:
    result = runner.invoke(args=["jobs", "work", "--once"])
    assert result.exit_code == 0, result.output + (result.stderr or "")
    return result.output


def test_a_big_upload_answers_202_at_once_and_the_worker_imports_it(api, big_uploads,
                                                                    runner):
    cit = api("central_it")
    before = data_fingerprint()
    response = upload(cit, "usage", USAGE, "usage-april.csv")
    assert response.status_code == 202, response.get_json()
    run = response.get_json()
    location = response.headers["Location"]
    assert location.endswith(f"/api/v1/job-runs/{run['id']}")
    assert (run["job"], run["status"], run["progress"], run["batch_id"], run["batch_url"]) == (
        "import", "queued", 0, None, None)
    assert run["upload"] == {"kind": "usage", "filename": "usage-april.csv",
                             "bytes": len(USAGE), "replace": False}
    assert data_fingerprint() == before and usage_lines() == []  # nothing imported yet
    assert cit.get(location).get_json()["status"] == "queued"

    output = work_once(runner)
    assert f"run {run['id']} import -: succeeded: usage-april.csv: 2 usage rows imported" \
        in output
    done = cit.get(location).get_json()
    assert (done["status"], done["progress"]) == ("succeeded", 100)
    assert done["batch_url"] == f"/api/v1/imports/{done['batch_id']}"
    batch = cit.get(done["batch_url"]).get_json()
    assert (batch["status"], batch["rows"], batch["actor"], batch["errors"]) == (
        "stored", 2, "cit@example.com", [])
    assert usage_lines() == USAGE_ROWS
    assert stored_files(big_uploads) == []
    assert work_once(runner) == "nothing is queued\n"


def test_a_bad_file_s_job_ends_refused_with_the_direct_answer_s_errors(api, app,
                                                                      big_uploads, runner):
    cit = api("central_it")
    before = data_fingerprint()
    app.config["CHARGEBACK_UPLOAD_JOB_BYTES"] = 10**9
    direct = upload(cit, "usage", BAD_USAGE)
    assert direct.status_code == 422
    app.config["CHARGEBACK_UPLOAD_JOB_BYTES"] = THRESHOLD
    queued = upload(cit, "usage", BAD_USAGE)
    assert queued.status_code == 202
    work_once(runner)
    run = cit.get(queued.headers["Location"]).get_json()
    assert run["status"] == "failed" and "refused, 2 error(s); nothing was stored" in \
        run["message"]
    batch = cit.get(run["batch_url"]).get_json()
    assert batch["status"] == "refused"
    assert batch["errors"] == direct.get_json()["batch"]["errors"]
    assert batch["errors"][0].startswith("line 3: period: period 2026-03 is closed")
    assert data_fingerprint() == before and stored_files(big_uploads) == []


def test_json_rows_above_the_threshold_are_a_job_too(api, big_uploads, runner):
    rows = [{"period": "2026-04", "consumer_code": "C-ALT", "service_code": "CPU",
             "quantity": 9000},
            {"period": "2026-04", "consumer_code": "LAB1", "service_code": "CPU",
             "quantity": "1250.5"}]
    cit = api("central_it")
    response = cit.post("/api/v1/imports/usage/rows", json={"rows": rows,
                                                            "filename": "push.json"})
    assert response.status_code == 202 and response.get_json()["upload"]["kind"] == "usage"
    work_once(runner)
    assert cit.get(response.headers["Location"]).get_json()["status"] == "succeeded"
    assert usage_lines() == USAGE_ROWS


def test_a_unit_head_follows_their_own_upload_only(api, big_uploads, runner):
    head = api("unit_head")  # GRP: ALT and LAB
    text = "period,unit_code,measure,value\n2026-04,ALT,seats,120\n2026-04,WW,seats,900\n"
    response = upload(head, "metrics", text)
    assert response.status_code == 202
    location = response.headers["Location"]
    assert head.get(location).status_code == 200
    assert api("other_head").get(location).status_code == 403
    assert api("finance").get(location).status_code == 200
    assert head.get("/api/v1/job-runs").status_code == 403  # the list stays finance's
    close = job_runs.start(db.engine, "close-month", "2026-04", "scheduler")
    assert head.get(f"/api/v1/job-runs/{close.id}").status_code == 403
    work_once(runner)
    run = head.get(location).get_json()
    assert run["status"] == "failed"
    errors = head.get(run["batch_url"]).get_json()["errors"]
    assert errors == ["line 3: unit_code: 'WW' is not one of your units (ALT, GRP, LAB); "
                      "a unit head imports for their own units only"]


def test_roles_and_flags_are_checked_before_anything_is_stored(api, big_uploads):
    refused = upload(api("finance"), "usage", USAGE)
    assert refused.status_code == 403
    replace = upload(api("central_it"), "budget", "period,unit_code,amount\n" + "2026-04,ALT,1\n"
                     * 10, replace="true")
    assert replace.status_code == 422
    assert upload(api("central_it"), "usage", USAGE, replace="maybe").status_code == 422
    db.session.rollback()
    assert db.session.scalar(select(JobRun)) is None and stored_files(big_uploads) == []
