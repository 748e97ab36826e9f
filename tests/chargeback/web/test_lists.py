"""Lists: search, filters, whitelisted sort keys, stable pages, and the unit scope.

Every list page reads ``q``, its filters, ``sort``, ``dir`` and ``page`` from the query
string (``services.queries.listing``): a value it does not know is dropped with a note,
never an error and never a column name that reaches SQL.
"""

from __future__ import annotations

import re

import pytest

from chargeback.models import ImportBatch, JobRun
from chargeback.services.queries import listing
from chargeback.services.queries.imports import LIST as BATCHES


def ids_in(html: str, prefix: str) -> list[str]:
    """The row ids (``id="prefix-CODE"``) of a page, in order."""
    return re.findall(rf'<tr id="{prefix}-([^"]+)"', html)


def batch_files(html: str) -> list[str]:
    return re.findall(r'<td class="text-break">([^<]+?)</td>', html) or \
        re.findall(r"(old-\d\d\.csv)", html)


# --- the module ----------------------------------------------------------------------------


def test_parse_keeps_what_the_spec_allows_and_says_what_it_dropped():
    asked = listing.parse(BATCHES, {"q": " budget\x00 ", "sort": "rows", "dir": "desc",
                                    "kind": "budget", "status": "stored", "page": "3"})
    assert (asked.q, asked.sort, asked.dir, asked.page) == ("budget", "rows", "desc", 3)
    assert asked.filters == (("kind", "budget"), ("status", "stored")) and not asked.notes
    bad = listing.parse(BATCHES, {"sort": "id; DROP TABLE users", "dir": "sideways",
                                  "kind": "nonsense", "page": "x"})
    assert (bad.sort, bad.dir, bad.page, bad.filters) == ("at", "asc", 1, ())
    assert len(bad.notes) == 3
    assert listing.parse(BATCHES, {}).args() == {}  # the defaults stay out of URLs
    assert listing.parse(BATCHES, {"q": "x" * 500}).q == "x" * listing.SEARCH_LIMIT


def test_search_takes_like_wildcards_literally(company, session):
    session.add_all([ImportBatch(kind="budget", filename=name, sha256="0" * 64,
                                 status="stored", rows=1, actor="cit@example.com")
                     for name in ("100%.csv", "1000.csv", "a_b.csv", "axb.csv")])
    session.commit()
    from chargeback.services.queries import imports

    def found(q):
        page = imports.page(session, None, listing.parse(BATCHES, {"q": q}))
        return sorted(b.filename for b in page.items)

    assert found("100%") == ["100%.csv"]
    assert found("a_b") == ["a_b.csv"]
    assert found("A_B.CSV") == ["a_b.csv"]  # any case


def test_rows_page_sorts_in_memory_with_empty_values_last():
    spec = listing.ListSpec(sorts={"given": listing.Sort("Given"),
                                   "n": listing.Sort("N", (lambda r: r[1],), nullable=True)},
                            default_sort="given", search=(lambda r: r[0],), per_page=2)
    rows = [("b", 2), ("a", None), ("c", 1), ("d", 2)]
    up = listing.rows_page(spec, rows, listing.parse(spec, {"sort": "n"}))
    assert up.items == [("c", 1), ("b", 2)] and up.pages == 2
    down = listing.rows_page(spec, rows, listing.parse(spec, {"sort": "n", "dir": "desc",
                                                              "page": "2"}))
    assert down.items == [("c", 1), ("a", None)]  # ties keep the given order; None last
    assert listing.rows_page(spec, rows, listing.parse(spec, {"q": "C"})).items == [("c", 1)]


# --- pages ---------------------------------------------------------------------------------


def test_batches_search_filter_sort_and_stable_pages(company, signed_in, session):
    for number in range(60):
        session.add(ImportBatch(kind="budget", filename=f"old-{number:02d}.csv",
                                sha256="0" * 64, status="stored", rows=number % 3,
                                actor="cit@example.com"))
    session.commit()
    client = signed_in("central_it")
    html = client.get("/imports?q=old-1").get_data(as_text=True)
    assert "10 batches match" in html and "old-19.csv" in html and "old-20.csv" not in html
    # 60 + the company's own batches, sorted by a column most rows share: the two pages
    # together hold every batch once.
    seen = []
    for page in (1, 2):
        html = client.get(f"/imports?sort=rows&dir=asc&kind=budget&page={page}") \
            .get_data(as_text=True)
        seen += re.findall(r'href="/imports/(\d+)"', html)
    budget = session.query(ImportBatch).filter(ImportBatch.kind == "budget").count()
    assert len(seen) == len(set(seen)) == budget
    refused = client.get("/imports?status=refused").get_data(as_text=True)
    assert "old-01.csv" not in refused
    odd = client.get("/imports?sort=filename%20desc;--&dir=up")
    assert odd.status_code == 200 and "is not a sort key here" in odd.get_data(as_text=True)
    # the pager keeps the search
    html = client.get("/imports?q=old").get_data(as_text=True)
    assert re.search(r'href="/imports\?(q=old&amp;page=2|page=2&amp;q=old)"', html), \
        re.findall(r'href="/imports\?[^"]*"', html)


def test_units_list_filters_sorts_and_keeps_the_scope(company, signed_in):
    admin = signed_in("admin")
    every = ids_in(admin.get("/units").get_data(as_text=True), "unit")
    assert every[0] == "HQ" and set(every) == {"HQ", "GRP", "DC", "ALT", "LAB", "WW"}
    assert ids_in(admin.get("/units?billing=showback").get_data(as_text=True),
                  "unit") == ["LAB"]
    assert ids_in(admin.get("/units?q=walla").get_data(as_text=True), "unit") == ["WW"]
    by_code = ids_in(admin.get("/units?sort=code&dir=desc").get_data(as_text=True), "unit")
    assert by_code == sorted(every, reverse=True)
    head = signed_in("unit_head")
    assert set(ids_in(head.get("/units").get_data(as_text=True), "unit")) == {
        "GRP", "ALT", "LAB"}
    assert ids_in(head.get("/units?q=walla").get_data(as_text=True), "unit") == []


def test_consumers_list_is_scoped_and_searchable(company, signed_in):
    admin = signed_in("finance")
    assert set(ids_in(admin.get("/consumers").get_data(as_text=True), "consumer")) == {
        "LAB1", "LAB2", "LINE1", "LINE2", "C-ALT"}
    assert ids_in(admin.get("/consumers?kind=unit").get_data(as_text=True),
                  "consumer") == ["C-ALT"]
    assert ids_in(admin.get("/consumers?q=6200").get_data(as_text=True),
                  "consumer") == ["LINE1", "LINE2"]
    assert ids_in(admin.get("/consumers?sort=name&dir=desc").get_data(as_text=True),
                  "consumer") == ["LAB1", "LAB2", "LINE2", "LINE1", "C-ALT"]  # by name
    assert ids_in(signed_in("unit_head").get("/consumers").get_data(as_text=True),
                  "consumer") == ["C-ALT"]
    assert ids_in(signed_in("other_head").get("/consumers").get_data(as_text=True),
                  "consumer") == []


def test_services_list_is_scoped_with_its_unit_filter(company, signed_in):
    admin = signed_in("central_it")
    html = admin.get("/services").get_data(as_text=True)
    assert ids_in(html, "service") == ["CPU", "PROTO"]
    assert ids_in(admin.get("/services?unit=DC").get_data(as_text=True), "service") == ["CPU"]
    head = signed_in("unit_head").get("/services").get_data(as_text=True)
    assert ids_in(head, "service") == ["PROTO"]
    assert 'value="DC"' not in head  # the unit filter offers their units only
    asked_other = signed_in("unit_head").get("/services?unit=DC").get_data(as_text=True)
    assert ids_in(asked_other, "service") == ["PROTO"] and "is not one of" in asked_other


def test_users_and_runs_and_packs_filter(company, signed_in, session):
    admin = signed_in("admin")
    heads = admin.get("/admin/users?role=unit_head").get_data(as_text=True)
    assert "head@example.com" in heads and "fin@example.com" not in heads
    assert "ww@example.com" in admin.get("/admin/users?q=WW@").get_data(as_text=True)
    session.add_all([JobRun(job="provisional", period="2026-04", status="failed",
                            requested_by="cit@example.com", message="disk full"),
                     JobRun(job="close-month", period="2026-04", status="succeeded",
                            requested_by="scheduler")])
    session.commit()
    runs = admin.get("/jobs?status=failed").get_data(as_text=True)
    assert "disk full" in runs and "scheduler</td>" not in runs
    assert "disk full" not in admin.get("/jobs?q=scheduler").get_data(as_text=True)
    packs = admin.get("/packs?kind=provisional").get_data(as_text=True)
    assert "No pack matches" in packs
    assert "chargeback-2026-03.xlsx" in admin.get("/packs?kind=final&q=2026-03").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/units", "/consumers", "/services", "/imports", "/packs",
                                 "/jobs", "/admin/users"])
def test_every_list_survives_hostile_parameters(company, signed_in, url):
    client = signed_in("admin")
    for query in ("?sort=__class__&dir=%00", "?q=%00%27%22--", "?page=-1&sort=",
                  "?q=" + "x" * 5000, "?kind=%E2%80%AE&status=x&role=y&job=z&unit=;"):
        assert client.get(url + query).status_code == 200, url + query
