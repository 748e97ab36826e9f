"""The pack's charts are native chart objects that a spreadsheet program draws: LibreOffice
exports the workbook to PDF and the charts' titles are in it."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile

import pytest

from reports.pack import write_pack
from tests.reports.builders import make_pack

TITLES = ("Spend against budget by unit",
          "Attainment by unit against its own scorecard and the band limits",
          "Holding IT: the last 2 closed months")


def _tools() -> tuple[str, str] | None:
    soffice, pdftotext = shutil.which("soffice"), shutil.which("pdftotext")
    if soffice and pdftotext:
        return soffice, pdftotext
    if os.environ.get("CHARGEBACK_REQUIRE_LIBREOFFICE") == "1":
        pytest.fail("LibreOffice (soffice) and pdftotext are required here")
    pytest.skip("LibreOffice (soffice) or pdftotext is not installed")


def test_the_workbook_holds_three_charts_and_no_pictures(tmp_path):
    path = write_pack(make_pack(), tmp_path / "pack.xlsx")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        charts = [archive.read(n).decode() for n in names if n.startswith("xl/charts/chart")]
        drawing = archive.read("xl/worksheets/_rels/sheet2.xml.rels").decode()
    assert len(charts) == 3 and not [n for n in names if n.startswith("xl/media/")]
    assert "drawing" in drawing  # on the Summary, the second sheet
    for title in TITLES:
        assert sum(title.split(":")[0] in xml for xml in charts) == 1, title


@pytest.mark.slow
def test_libreoffice_draws_the_charts_with_their_titles(tmp_path):
    soffice, pdftotext = _tools()
    path = write_pack(make_pack(), tmp_path / "pack.xlsx")
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=180)
    text = subprocess.run([pdftotext, "-layout", str(tmp_path / "pack.pdf"), "-"],
                          check=True, capture_output=True, text=True).stdout
    words = " ".join(text.split())
    for title in TITLES:
        assert title in words, title
