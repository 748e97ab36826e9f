"""Hostile input, generated: every import kind as CSV text and as XLSX (openpyxl), scorecard
and rules JSON files through the command line, JSON rows and scorecard drafts through the API.

Each example is a good file of its kind with at least one *poison* (a mutation that makes it
wrong whatever else is generated: a number beyond the decimal range or in another notation,
a period the database would refuse, a control character or a byte that is not UTF-8 inside a
cell, a quote never closed, a cell beyond the header, a header that is not the kind's, a cell
longer than the limit, a sheet whose cells reach beyond the limits, JSON nested too deep or
with a key twice...) and some *noise* (line endings, a byte order mark, more good rows, odd
but harmless text). For every example: no traceback, exit 1 (command line) or a 4xx in the
API's error shape, a message naming a line or a field, and every table's row count and
numeric sums unchanged.

The examples are derandomised with a fixed budget per test, so CI sees the same ones every
run (``FUZZ_EXAMPLES`` scales them for a longer local hunt).
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.chargeback.api import conftest as api_fixtures
from tests.chargeback.helpers import data_fingerprint
from tests.chargeback.test_close_end_to_end import load_company

company, users, bearer = api_fixtures.company, api_fixtures.users, api_fixtures.bearer

pytestmark = pytest.mark.slow  # about a minute: CI runs it, `make test-fast` leaves it out

SCALE = float(os.environ.get("FUZZ_EXAMPLES", "1"))


def budget(examples: int):
    return settings(max_examples=max(1, int(examples * SCALE)), deadline=None, database=None,
                    derandomize=True, phases=(Phase.explicit, Phase.generate),
                    suppress_health_check=list(HealthCheck))


# --- the company's good rows, kind by kind --------------------------------------------------

KINDS = {  # header, a good row (the end-to-end company: nothing closed)
    "units": (["code", "name", "parent_code", "service_model", "billing_mode",
               "recovery_account", "head_email"],
              ["NEWU", "New unit", "HQ", "customer_intimacy", "showback", "4900-N",
               "n@example.com"]),
    "consumers": (["code", "name", "gl_account", "unit_code"],
                  ["NEWC", "New consumer", "6100-999", ""]),
    "services": (["code", "unit_code", "name", "uom"], ["NEWS", "WW", "New service", "hour"]),
    "rates": (["service_code", "effective_from", "price"], ["CPU", "2026-06", "0.08"]),
    "spend": (["period", "unit_code", "cost_pool", "amount", "tower", "account", "description"],
              ["2026-04", "WW", "desktop", "10.00", "end_user", "6010", "Desktops"]),
    "budget": (["period", "unit_code", "amount"], ["2026-04", "WW", "100.00"]),
    "metrics": (["period", "unit_code", "measure", "value"], ["2026-04", "WW", "seats", "10"]),
    "usage": (["period", "consumer_code", "service_code", "quantity"],
              ["2026-04", "LAB1", "CPU", "1.5"]),
    "drivers": (["period", "consumer_code", "driver", "quantity"],
                ["2026-04", "LAB1", "headcount", "3"]),
    "offerings": (["service_code", "code", "name"], ["CPU", "gold", "Gold compute"]),
    "sla_results": (["period", "service_code", "measure", "value", "offering"],
                    ["2026-04", "CPU", "availability", "99.95", ""]),
    "dependencies": (["service_code", "depends_on"], ["PROTO", "CPU"]),
}
NUMBERS = {"price", "amount", "value", "quantity"}
PERIODS = {"period", "effective_from"}
CELL_LIMIT = 300  # CHARGEBACK_IMPORT_MAX_CELL_CHARS while fuzzing: long cells stay cheap

# A number no import accepts: another notation, other digits, beyond the decimal range.
hostile_numbers = st.one_of(
    st.sampled_from(["1e3", "1E3", "-2e-2", "1e999999999", "-1e-999999999", "9e+99",
                     "NaN", "-Infinity", "inf", "0x10", "1_000", "١٢٣", "１２", "²", "½",
                     "1..2", "--1", "1-", "12 000", "1,23.4", "۱۲", "٫5", "1e", "e3", "."]),
    st.integers(17, 6000).map(lambda n: "9" * n),
    st.integers(7, 400).map(lambda n: "0." + "0" * n + "1"),
    st.from_regex(r"\A-?[0-9]{1,5}(\.[0-9]{1,5})?[eE][-+]?[0-9]{1,12}\Z"),
    st.text(st.characters(categories=["Nd"], exclude_characters="0123456789"), min_size=1,
            max_size=6),
)
hostile_periods = st.one_of(
    st.integers(0, 1899).map(lambda y: f"{y:04d}-01"),
    st.integers(3000, 9999).map(lambda y: f"{y}-12"),
    st.sampled_from(["2026-13", "2026-00", "26-03", "2026/03", "March", "２０２６-０３",
                     "٢٠٢٦-٠٣", "2026-3", "20260-03"]),
)
CONTROLS = [chr(c) for c in (*range(0, 9), 11, 12, *range(14, 32), 127, 0x85, 0x9F)]
controls = st.sampled_from(CONTROLS)
free_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)


@st.composite
def poisoned_rows(draw, kind: str, *, xlsx: bool = False):
    """(header, rows, raw changes) with at least one poison; ``raw`` changes apply to the CSV
    text after it is written (bytes that are not UTF-8, broken quoting)."""
    header, good = KINDS[kind]
    header = list(header)
    rows = [list(good) for _ in range(draw(st.integers(0, 3)))]
    raw: list[tuple[str, object]] = []
    poisons = ["cell_control", "beyond_header", "long_cell", "header"]
    if NUMBERS & set(header):
        poisons += ["number", "number", "number"]
    if PERIODS & set(header):
        poisons += ["period", "period"]
    if kind == "sla_results":  # an availability (a percentage) outside 0..100
        poisons += ["percentage"]
    if not xlsx:
        poisons += ["bad_byte", "open_quote", "stray_quote", "nul"]
    template = list(good)  # a good row as the header now stands
    for _ in range(draw(st.integers(1, 3))):
        poison = draw(st.sampled_from(poisons))
        row = list(template)
        column = draw(st.integers(0, len(header) - 1))
        if poison == "number":
            column = header.index(draw(st.sampled_from(sorted(NUMBERS & set(header)))))
            row[column] = draw(hostile_numbers)
        elif poison == "period":
            column = header.index(draw(st.sampled_from(sorted(PERIODS & set(header)))))
            row[column] = draw(hostile_periods)
        elif poison == "percentage":
            column = header.index("value")
            row[header.index("measure")] = "availability"
            row[column] = draw(st.sampled_from(["100.001", "140", "-5", "-0.01", "1000000"]))
        elif poison in ("cell_control", "nul"):
            # openpyxl refuses to write C0 controls; the reader must refuse the others
            character = "\x00" if poison == "nul" else draw(
                st.sampled_from(["\x7f", "\x85", "\x9f"]) if xlsx else controls)
            row[column] = (row[column] or "x") + character + "x"
        elif poison == "beyond_header":
            row += [""] * draw(st.integers(0, 2)) + [draw(st.text(min_size=1, max_size=5).filter(
                lambda t: t.strip() and t.strip() == t and t.isprintable()))]
        elif poison == "long_cell":
            row[column] = "x" * draw(st.integers(CELL_LIMIT + 1, 4 * CELL_LIMIT))
        elif poison == "header":
            change = draw(st.sampled_from(["unknown", "twice", "missing"]))
            if change == "unknown":
                header = header + [draw(st.sampled_from(["colour", "Period", "amount ", "x"]))]
                rows, row, template = [r + ["1"] for r in rows], row + ["1"], template + ["1"]
            elif change == "twice":
                header = header + [header[0]]
                rows = [r + [r[0]] for r in rows]
                row, template = row + [row[0]], template + [template[0]]
            else:
                header = header[1:]
                rows, row, template = [r[1:] for r in rows], row[1:], template[1:]
        else:  # a change of the CSV text itself, on a row of its own
            raw.append((poison, len(rows) + 2))
        rows.insert(draw(st.integers(0, len(rows))), row)
    if draw(st.booleans()) and "description" in header:  # noise: free text, maybe odd
        rows.append(list(template))
        rows[-1][header.index("description")] = draw(free_text)
    return header, rows, raw


def csv_bytes(header, rows, raw, *, crlf: bool, bom: bool) -> bytes:
    import csv

    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n" if crlf else "\n").writerows([header, *rows])
    lines = out.getvalue().encode("utf-8", "surrogatepass").splitlines(keepends=True)
    for poison, line in raw:
        target = min(line, len(lines)) - 1
        if poison == "bad_byte":
            lines[target] = lines[target].replace(b",", b",\xff", 1) if b"," in lines[target] \
                else b"\xe9" + lines[target]
        elif poison == "open_quote":  # opened after the first comma, and never closed
            head, comma, rest = lines[target].replace(b'"', b"").partition(b",")
            lines[target:] = [head + comma + b'"' + rest
                              + b"".join(lines[target + 1:]).replace(b'"', b"")]
        elif poison == "stray_quote":
            lines[target] = lines[target].replace(b",", b',"ab"c', 1)
        elif poison == "nul":
            lines[target] = lines[target].replace(b",", b",\x00", 1)
    return (b"\xef\xbb\xbf" if bom else b"") + b"".join(lines)


def xlsx_bytes(header, rows, *, numbers_as_numbers: bool) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        cells = []
        for name, value in zip(header, row, strict=False):
            if numbers_as_numbers and name in NUMBERS and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?",
                                                                       value or ""):
                value = float(value) if "." in value else int(value)
            cells.append(value)
        sheet.append(cells + row[len(header):])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- the command line ------------------------------------------------------------------------

LINE = re.compile(r"^line \d+: ")
SUMMARY = re.compile(r": refused, \d+ error\(s\); nothing was stored$")


@pytest.fixture
def fuzzing(runner, app, tmp_path):
    load_company(runner)
    app.config["CHARGEBACK_IMPORT_MAX_CELL_CHARS"] = CELL_LIMIT
    return runner


def refused_by_the_command_line(runner, path: Path, args: list[str], before: dict,
                                names_a_place) -> list[str]:
    result = runner.invoke(args=[*args, str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        repr(result.exception), path.read_bytes()[:300])
    assert "Traceback" not in result.output + result.stderr
    assert result.exit_code == 1, (result.output, path.read_bytes()[:300])
    lines = result.stderr.splitlines()
    assert lines and any(names_a_place(line) for line in lines), lines
    assert data_fingerprint() == before
    return lines


def import_errors_name_their_line(lines: list[str]) -> None:
    *errors, summary = lines
    assert SUMMARY.search(summary), summary
    assert errors and all(LINE.match(e) for e in errors), errors


@pytest.mark.parametrize("kind", list(KINDS))
def test_hostile_csv_files_are_refused_whole(fuzzing, tmp_path, kind):
    before = data_fingerprint()

    @given(data=poisoned_rows(kind), crlf=st.booleans(), bom=st.booleans())
    @budget(12)
    def run(data, crlf, bom):
        path = tmp_path / f"{kind}.csv"
        path.write_bytes(csv_bytes(*data, crlf=crlf, bom=bom))
        lines = refused_by_the_command_line(fuzzing, path, ["import", kind], before,
                                            LINE.match)
        import_errors_name_their_line(lines)

    run()


@pytest.mark.parametrize("kind", list(KINDS))
def test_hostile_xlsx_files_are_refused_whole(fuzzing, tmp_path, kind):
    before = data_fingerprint()

    @given(data=poisoned_rows(kind, xlsx=True), typed=st.booleans())
    @budget(6)
    def run(data, typed):
        header, rows, _ = data
        path = tmp_path / f"{kind}.xlsx"
        path.write_bytes(xlsx_bytes(header, rows, numbers_as_numbers=typed))
        lines = refused_by_the_command_line(fuzzing, path, ["import", kind], before,
                                            LINE.match)
        import_errors_name_their_line(lines)

    run()


@st.composite
def hostile_workbooks(draw):
    """Workbooks hostile as files: cells far beyond the data, a declared dimension beyond
    the limits, a hidden first sheet of good rows in front of a visible bad one, a part that
    unpacks beyond the limit, a header and nothing else, not a workbook at all."""
    header, good = KINDS["budget"]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    sheet.append(good)
    change = draw(st.sampled_from(["far_cell", "dimension", "hidden", "bulk", "header_only",
                                   "not_a_zip", "truncated"]))
    if change == "far_cell":
        column = draw(st.sampled_from(["E", "Z", "AA", "XFD"]))
        sheet[f"{column}{draw(st.integers(2000, 1_048_576))}"] = "x"
    elif change == "hidden":
        sheet.sheet_state = "hidden"
        visible = book.create_sheet("Visible")
        visible.append(header)
        visible.append([good[0], good[1], draw(hostile_numbers)])
    elif change == "bulk":
        for n in range(3000):
            sheet.append(["2026-05", "WW", n, "x" * 200])
    elif change == "header_only":
        sheet.delete_rows(2)
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    if change == "dimension":
        data = _rewrite(data, lambda xml: re.sub(rb'<dimension ref="[^"]*"/>',
                                                 b'<dimension ref="A1:XFD1048576"/>', xml))
    elif change == "not_a_zip":
        data = b"PK\x03\x04" + draw(st.binary(max_size=200))
    elif change == "truncated":
        data = data[:draw(st.integers(10, len(data) - 10))]
    return data


def _rewrite(data: bytes, change) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = {i.filename: source.read(i.filename) for i in source.infolist()}
    parts["xl/worksheets/sheet1.xml"] = change(parts["xl/worksheets/sheet1.xml"])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, part in parts.items():
            target.writestr(name, part)
    return out.getvalue()


def test_hostile_workbooks_are_refused_before_they_are_read(fuzzing, app, tmp_path):
    app.config.update(CHARGEBACK_XLSX_MAX_CELLS=10_000, CHARGEBACK_XLSX_MAX_BYTES=500_000)
    before = data_fingerprint()

    @given(data=hostile_workbooks())
    @budget(14)
    def run(data):
        path = tmp_path / "budget.xlsx"
        path.write_bytes(data)
        lines = refused_by_the_command_line(fuzzing, path, ["import", "budget"], before,
                                            LINE.match)
        import_errors_name_their_line(lines)

    run()


# --- scorecard and rules files --------------------------------------------------------------

SCORECARD = {"unit": "ALT", "effective_from": "2026-05", "criteria": [
    {"key": "csat", "label": "Satisfaction", "expr": "researcher_csat", "direction": "higher",
     "method": "linear", "target": 4.5, "floor": 3.5, "weight": 3},
    {"key": "on_budget", "label": "Within budget", "expr": "spend / budget",
     "direction": "lower", "method": "bands", "weight": 1,
     "bands": [{"at": 1.0, "score": 100}, {"at": 1.1, "score": 40}]}]}
RULES = {"unit": "WW", "effective_from": "2026-05", "rules": [
    {"pool": "desktop", "method": "fixed", "splits": [{"consumer": "LINE1", "percent": 60},
                                                      {"consumer": "LINE2", "percent": 40}]}]}
PLACE = re.compile(r"line \d+|: [\w\[\]().]+: ")  # "line 3", or "where: field: message"
hostile_expressions = st.one_of(
    st.sampled_from(["researcher_csat / 0", "spend / (2 - 2)", "__import__('os')",
                     "spend.real", "open('x')", "1e3 * spend", "spend ** 2", "lambda: 1",
                     "spend if budget else 0", "[spend]", "spend; budget", "", "   ",
                     "spend / 0.0", "Spend", "spend $ budget"]),
    st.integers(21, 1200).map(lambda n: "-" * n + "spend"),
    st.integers(21, 300).map(lambda n: "(" * n + "spend" + ")" * n),
    st.integers(101, 400).map(lambda n: " + ".join(["s"] * n)),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=30
            ).map(lambda t: t + " ! ("),
)
JSON_NUMBERS = st.one_of(
    st.sampled_from(["1e999999999", "-1e999999999", "1e-999999999", "NaN", "Infinity",
                     "1e31", '"1e999999999"', '"١٢"', '"high"', "true", "null", "[1]",
                     '{"a": 1}']),
    st.integers(51, 6000).map(lambda n: "9" * n),
)
DEEP = st.integers(33, 20_000).map(lambda n: "[" * n + "]" * n)


@st.composite
def hostile_json(draw, base: dict, number_paths, text_paths):
    """JSON text of ``base`` with at least one poison: a number beyond range or no number, an
    expression or text no scorecard takes, a period outside the range, a key twice, JSON
    nested too deep, bytes that are not UTF-8, or the document cut short."""
    data = json.loads(json.dumps(base))
    poison = draw(st.sampled_from(["number", "number", "text", "period", "twice", "deep",
                                   "bytes", "cut", "unknown_field"]))
    marker = '"__POISON__"'
    replacement = None
    if poison == "number":
        path = draw(st.sampled_from(number_paths))
        _set(data, path, "__POISON__")
        replacement = draw(JSON_NUMBERS)
    elif poison == "text":
        path, strategy = draw(st.sampled_from(text_paths))
        _set(data, path, draw(strategy))
    elif poison == "period":
        data["effective_from"] = draw(hostile_periods)
    elif poison == "deep":
        data[draw(st.sampled_from(list(data)))] = "__POISON__"
        replacement = draw(DEEP)
    elif poison == "unknown_field":
        data[draw(st.sampled_from(["owner", "Unit", "criterias", "rule"]))] = 1
    text = json.dumps(data, ensure_ascii=draw(st.booleans()))
    if replacement is not None:
        text = text.replace(marker, replacement)
    if poison == "twice":
        key = draw(st.sampled_from(list(data)))
        text = text[:-1] + f", {json.dumps(key)}: {json.dumps(data[key])}" + "}"
    raw = text.encode("utf-8")
    if poison == "bytes":
        raw = raw.replace(b'"', b'"\xff', 1)
    elif poison == "cut":
        raw = raw[:draw(st.integers(0, len(raw) - 1))]
    if draw(st.booleans()):
        raw = b"\xef\xbb\xbf" + raw
    return raw


def _set(data, path: tuple, value) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


SCORECARD_NUMBERS = [("criteria", 0, "target"), ("criteria", 0, "floor"),
                     ("criteria", 0, "weight"), ("criteria", 1, "bands", 0, "at"),
                     ("criteria", 1, "bands", 1, "score")]
SCORECARD_TEXTS = [(("criteria", 0, "expr"), hostile_expressions),
                   (("criteria", 1, "expr"), hostile_expressions),
                   (("criteria", 0, "method"), st.sampled_from(["Linear", "exp", "", "bands"])),
                   (("criteria", 0, "key"), st.sampled_from(["", "Key", "on_budget", "1a"])),
                   (("unit",), st.sampled_from(["", "NOPE", "alt", "A" * 100]))]
RULES_NUMBERS = [("rules", 0, "splits", 0, "percent"), ("rules", 0, "splits", 1, "percent")]
RULES_TEXTS = [(("rules", 0, "pool"), st.sampled_from(["labr", "", "Desktop", "compute"])),
               (("rules", 0, "method"), st.sampled_from(["usage", "Fixed", ""])),
               (("rules", 0, "splits", 0, "consumer"), st.sampled_from(["NOPE", "", "C-WW"])),
               (("unit",), st.sampled_from(["", "NOPE", "ww"]))]


def test_hostile_scorecard_files_are_refused(fuzzing, tmp_path):
    before = data_fingerprint()

    @given(raw=hostile_json(SCORECARD, SCORECARD_NUMBERS, SCORECARD_TEXTS))
    @budget(40)
    def run(raw):
        path = tmp_path / "scorecard.json"
        path.write_bytes(raw)
        refused_by_the_command_line(fuzzing, path, ["scorecard", "import"], before,
                                    PLACE.search)

    run()


def test_hostile_rules_files_are_refused(fuzzing, tmp_path):
    before = data_fingerprint()

    @given(raw=hostile_json(RULES, RULES_NUMBERS, RULES_TEXTS))
    @budget(30)
    def run(raw):
        path = tmp_path / "rules.json"
        path.write_bytes(raw)
        refused_by_the_command_line(fuzzing, path, ["rules", "import"], before, PLACE.search)

    run()


# --- the API ---------------------------------------------------------------------------------


@pytest.fixture
def head(company, bearer, app):
    """A unit head's token on the closed company (GRP, ALT, LAB), tables as built."""
    app.config.update(CHARGEBACK_IMPORT_MAX_CELL_CHARS=CELL_LIMIT,
                      CHARGEBACK_JSON_MAX_BYTES=200_000)
    return bearer("unit_head")


def refused_by_the_api(client, path: str, body: bytes, headers: dict, before: dict) -> dict:
    response = client.post(path, data=body, headers={**headers,
                                                     "Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, (response.status_code, body[:300],
                                               response.get_data(as_text=True)[:500])
    answer = response.get_json()
    assert set(answer) >= {"message", "errors"}, answer
    assert answer["errors"], answer  # a line, a field or the body is named
    assert data_fingerprint() == before
    return answer


@st.composite
def hostile_rows_bodies(draw):
    """``{"rows": [...]}`` of metric rows (what a unit head may import) with a poison."""
    header, good = KINDS["metrics"]
    row = dict(zip(header, ["2026-04", "ALT", "seats", "10"], strict=True))
    rows = [dict(row) for _ in range(draw(st.integers(0, 3)))]
    poison = draw(st.sampled_from(["number", "text_number", "period", "control", "deep",
                                   "twice", "big", "unknown_column", "bytes"]))
    bad = dict(row)
    replacement = None
    if poison == "number":
        bad["value"] = "__POISON__"
        replacement = draw(JSON_NUMBERS.filter(lambda n: not n.startswith(("[", "{"))))
    elif poison == "text_number":
        bad["value"] = draw(hostile_numbers)
    elif poison == "period":
        bad["period"] = draw(hostile_periods)
    elif poison == "control":
        column = draw(st.sampled_from(header))
        bad[column] = bad[column] + draw(controls) + "x"
    elif poison == "deep":
        bad["value"] = "__POISON__"
        replacement = draw(DEEP)
    elif poison == "unknown_column":
        bad["colour"] = "red"
    elif poison == "big":
        rows += [dict(row)] * 3000
    rows.insert(draw(st.integers(0, len(rows))), bad)
    text = json.dumps({"rows": rows})
    if replacement is not None:
        text = text.replace('"__POISON__"', replacement)
    if poison == "twice":
        text = text[:-1] + ', "rows": []}'
    raw = text.encode()
    if poison == "bytes":
        raw = raw.replace(b'"ALT"', b'"AL\xffT"', 1)
    return raw


def test_hostile_json_rows_are_4xx(app, head):
    client = app.test_client()
    before = data_fingerprint()

    @given(body=hostile_rows_bodies())
    @budget(30)
    def run(body):
        refused_by_the_api(client, "/api/v1/imports/metrics/rows", body, head, before)

    run()


def test_hostile_scorecard_drafts_are_4xx(app, head):
    client = app.test_client()
    before = data_fingerprint()
    draft = {key: value for key, value in SCORECARD.items() if key != "unit"}

    @given(body=hostile_json(draft, SCORECARD_NUMBERS, SCORECARD_TEXTS[:4]))
    @budget(30)
    def run(body):
        refused_by_the_api(client, "/api/v1/units/ALT/scorecards", body, head, before)

    run()
