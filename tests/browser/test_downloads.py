"""Downloads in a real browser: finance downloads the portfolio as CSV and XLSX from its
page, a unit head a unit's month and its charge lines, central IT a sample import file
from the Imports page; each file holds what the page shows."""

from __future__ import annotations

import csv
import io

import openpyxl

from tests.browser.conftest import shot
from tests.browser.test_journeys import sign_in, sign_out


def download(page, selector: str) -> bytes:
    with page.expect_download() as info:
        page.click(selector)
    return open(info.value.path(), "rb").read()


def test_downloads_from_the_pages(live_server, page, users):
    base = live_server
    sign_in(page, base, "finance")
    page.goto(f"{base}/portfolio")
    shot(page, "downloads-portfolio")
    text = download(page, ".download-links >> text=Download CSV").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["Unit", "Name"] and "WW" in {r[0] for r in rows}
    book = openpyxl.load_workbook(io.BytesIO(download(page, ".download-links >> text=XLSX")))
    assert book.sheetnames == ["Portfolio"] and book["Portfolio"].max_row == len(rows)
    sign_out(page)

    sign_in(page, base, "unit_head")
    page.goto(f"{base}/units/ALT")
    shot(page, "downloads-unit-page")
    book = openpyxl.load_workbook(io.BytesIO(download(page, ".download-links >> text=XLSX")))
    assert "By consumer" in book.sheetnames
    page.goto(f"{base}/units/ALT/charges")
    text = download(page, ".download-links >> text=Download CSV").decode("utf-8-sig")
    assert {r[0] for r in list(csv.reader(io.StringIO(text)))[1:]} <= {"ALT"}
    page.goto(f"{base}/portfolio")
    text = download(page, ".download-links >> text=Download CSV").decode("utf-8-sig")
    assert {r[0] for r in list(csv.reader(io.StringIO(text)))[1:]} == {"GRP", "ALT", "LAB"}
    sign_out(page)

    sign_in(page, base, "central_it")
    page.goto(f"{base}/imports")
    sample = download(page, "text=usage.csv").decode()
    assert sample.splitlines()[0] == "period,consumer_code,service_code,quantity"
    shot(page, "downloads-imports-samples")
