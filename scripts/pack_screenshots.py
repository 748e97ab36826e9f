"""Print a pack as a spreadsheet program does and keep pictures of chosen sheets' pages.

    python scripts/pack_screenshots.py [PACK.xlsx] [--out build/screenshots]
        [--sheet Summary --sheet "Why they differ"]

LibreOffice (``soffice --headless``) exports the workbook to PDF with the print setup the
pack gives every sheet (header and footer, repeated heading rows, page breaks), and
poppler's ``pdftoppm`` turns the pages of the chosen sheets into PNG files:
``summary-1.png``, ``why-they-differ-1.png``, ... A page belongs to a sheet when its text
begins with the sheet's header row or names the sheet in its printed page header. Without
PACK, the newest pack of the demo (``instance/packs``) is used: run ``make demo`` first.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

DEFAULT_SHEETS = ("Summary", "Why they differ")


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    pack = args.pack or _newest_demo_pack()
    if pack is None:
        print("no pack given and none in instance/packs: run `make demo` first", file=sys.stderr)
        return 2
    missing = [tool for tool in ("soffice", "pdftoppm", "pdftotext") if not shutil.which(tool)]
    if missing:
        print(f"missing: {', '.join(missing)} (Debian: libreoffice-calc-nogui, poppler-utils)",
              file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        pdf = _to_pdf(pack, Path(work))
        pages = _pages_by_sheet(pdf, _headers(pack, args.sheet))
        for sheet in args.sheet:
            if not pages.get(sheet):
                print(f"no printed page of {sheet!r} found in {pack.name}", file=sys.stderr)
                return 1
            for n, page in enumerate(pages[sheet], 1):
                target = args.out / f"{_slug(sheet)}-{n}"
                subprocess.run(["pdftoppm", "-png", "-r", "90", "-singlefile", "-f",
                                str(page), "-l", str(page), str(pdf), str(target)], check=True)
                print(f"{target}.png  ({sheet}, page {page} of the printed pack)")
    return 0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pack", nargs="?", type=Path, help="the pack (.xlsx)")
    parser.add_argument("--out", type=Path, default=Path("build/screenshots"))
    parser.add_argument("--sheet", action="append", help="a sheet to picture (repeatable)")
    args = parser.parse_args(argv)
    args.sheet = args.sheet or list(DEFAULT_SHEETS)
    return args


def _newest_demo_pack() -> Path | None:
    packs = sorted(Path("instance/packs").glob("chargeback-*.xlsx"))
    return packs[-1] if packs else None


def _to_pdf(pack: Path, work: Path) -> Path:
    subprocess.run(["soffice", f"-env:UserInstallation=file://{work}/profile", "--headless",
                    "--convert-to", "pdf", "--outdir", str(work), str(pack)],
                   check=True, capture_output=True, timeout=300)
    return work / (pack.stem + ".pdf")


def _headers(pack: Path, sheets: list[str]) -> dict[str, str]:
    """Each sheet's header row as one line of words, to recognise its first page."""
    book = openpyxl.load_workbook(pack, read_only=True)
    found = {}
    for sheet in sheets:
        row = next(book[sheet].iter_rows(max_row=1, values_only=True))
        found[sheet] = " ".join(str(v) for v in row[:4] if v is not None)
    return found


def _pages_by_sheet(pdf: Path, headers: dict[str, str]) -> dict[str, list[int]]:
    """Page numbers of each sheet: from a page starting with its header row, or naming it
    in the printed header, up to the next sheet's first page."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    found: dict[str, list[int]] = {}
    current = None
    for number, page in enumerate(text.split("\f"), 1):
        words = " ".join(page.split())
        starts = [s for s, header in headers.items()
                  if header in words[:400] or re.search(rf"\b{re.escape(s)}\b", words[:120])]
        if starts:
            current = starts[0]
        elif current and _is_new_sheet(words):
            current = None
        if current:
            found.setdefault(current, []).append(number)
    return found


def _is_new_sheet(words: str) -> bool:
    """A page that begins another table (a header row in bold is not visible in text, so
    any page starting with a known first header word of another sheet)."""
    return bool(re.match(r"^(Period|Unit|Item|Journal|Criterion|Group|Section)\b", words))


def _slug(sheet: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", sheet.lower()).strip("-")


if __name__ == "__main__":
    sys.exit(main())
