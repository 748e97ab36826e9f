"""Help: a page per role linked from every page, and one glossary for the help and the pack."""

from __future__ import annotations

import html
import io

import openpyxl
import pytest
from sqlalchemy import select

from chargeback.models import PackFile
from reports import glossary
from tests.chargeback.web.conftest import USERS

SECTIONS = ("each-month", "bands", "score", "charges", "glossary")


@pytest.mark.parametrize("who", ["admin", "central_it", "finance", "unit_head"])
def test_each_role_lands_on_its_own_help_page(company, signed_in, who):
    client = signed_in(who)
    role = USERS[who][1]
    response = client.get("/help")
    assert response.status_code == 302 and response.location.endswith(f"/help/{role}")
    page = client.get(f"/help/{role}").get_data(as_text=True)
    for section in SECTIONS:
        assert f'id="{section}"' in page, section
    assert "sum(weight × score) / sum(weights)" in page
    assert "33.34, 33.33 and 33.33" in page


def test_what_to_do_each_month_depends_on_the_role(company, signed_in):
    client = signed_in("unit_head")
    head = client.get("/help/unit_head").get_data(as_text=True)
    finance = client.get("/help/finance").get_data(as_text=True)
    assert "Import your units' metrics" in head and "submit it" in head
    assert "Post the Journal sheet" in finance and "Import your units" not in finance
    assert client.get("/help/nobody").status_code == 404


def test_the_bands_shown_are_the_current_setting(company, signed_in, session):
    from decimal import Decimal

    from chargeback.services import settings

    settings.set_thresholds(session, Decimal(95), Decimal(75), Decimal(55), "test")
    session.commit()
    page = signed_in("finance").get("/help/finance").get_data(as_text=True)
    assert "95 or more" in page and "55 to below 75" in page and "below 55" in page


@pytest.mark.parametrize("who", ["admin", "finance", "unit_head"])
def test_every_page_links_to_help(company, signed_in, who):
    client = signed_in(who)
    for url in ("/portfolio", "/units", "/imports", "/statements", "/profile"):
        page = client.get(url, follow_redirects=True).get_data(as_text=True)
        assert 'id="help-link"' in page, url


def test_help_and_the_pack_s_cover_define_the_same_words(company, signed_in, session):
    client = signed_in("finance")
    pack = session.scalar(select(PackFile).where(PackFile.kind == "final"))
    download = client.get(f"/packs/{pack.id}/download")
    assert download.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(download.data), read_only=True)
    cover = [(row[0], row[1]) for row in book["Cover"].iter_rows(min_row=2, values_only=True)
             if str(row[0]).startswith("Term ")]
    assert cover == glossary.cover_rows()
    page = html.unescape(client.get("/help/finance").get_data(as_text=True))
    for item, meaning in cover:
        word = item.removeprefix("Term ")
        assert f'glossary-word">{word}</dt>' in page and meaning in page, word


def test_the_glossary_names_every_band_and_billing_mode():
    from rules.vocabulary import BANDS

    words = {term.word for term in glossary.TERMS}
    assert set(BANDS) <= words and {"Chargeback", "Showback", "Revision"} <= words
    assert len(words) == len(glossary.TERMS)  # no word defined twice
