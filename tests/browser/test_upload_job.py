"""A big upload in a real browser: the form answers at once with the upload's page, which
says no runner is running, follows the run by itself and, once the runner has imported the
file, shows what it came to and its batch (the page's script polls and reloads)."""

from __future__ import annotations

import pytest

from chargeback import jobs
from tests.browser.conftest import shot
from tests.browser.test_journeys import sign_in
from tests.chargeback.upload_fixtures import (  # noqa: F401  (fixture)
    USAGE,
    big_uploads_fixture,
    stored_files,
)

pytestmark = pytest.mark.slow


def test_the_upload_page_follows_the_job_to_its_batch(live_server, page, users, company,
                                                      big_uploads, tmp_path):
    base = live_server
    sign_in(page, base, "central_it")
    page.goto(f"{base}/imports")
    upload = tmp_path / "usage-april.csv"
    upload.write_text(USAGE)
    page.select_option("select[name=kind]", "usage")
    page.set_input_files("input[name=file]", str(upload))
    page.click("form[enctype='multipart/form-data'] button[type=submit]")
    page.wait_for_url("**/imports/jobs/*")
    assert page.locator("#runner-missing").is_visible()
    assert page.locator(".run-status").inner_text() == "queued"
    shot(page, "upload-job-queued")

    jobs.bind(company)
    [outcome] = jobs.process_requests()  # what the runner does; the page is not touched
    assert outcome.status == "succeeded", outcome.message
    page.wait_for_selector("a.btn-primary:has-text('Batch')", timeout=15_000)
    assert "usage-april.csv: 2 usage rows imported" in page.content()
    assert page.locator(".run-status").inner_text() == "succeeded"
    shot(page, "upload-job-done")
    assert stored_files(big_uploads) == []
    assert page.console_errors == []
