"""Print a pack as a spreadsheet program does and keep pictures of chosen sheets' pages.

    python scripts/pack_screenshots.py [PACK.xlsx] [--out build/screenshots]
        [--sheet Summary --sheet "Why they differ"]

LibreOffice (``soffice --headless``) exports the workbook to PDF with the print setup the
pack gives every sheet (header and footer, repeated heading rows, page breaks), and
poppler's ``pdftoppm`` turns the pages of the chosen sheets into PNG files:
``summary-1.png``, ``why-they-differ-1.png``, ... A page belongs to the sheet its printed
page header names. Without
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
        pages = _pages_by_sheet(pdf, args.sheet)
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


def _pages_by_sheet(pdf: Path, sheets: list[str]) -> dict[str, list[int]]:
    """Page numbers of each sheet, read from the printed page header ("Chargeback pack
    YYYY-MM", then the sheet's name: the pack prints it on every page)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    found: dict[str, list[int]] = {}
    for number, page in enumerate(text.split("\f"), 1):
        lines = [line for line in page.splitlines() if line.strip()]
        if not lines:
            continue
        head = re.split(r"\s{2,}", lines[0].strip())
        sheet = head[1].split(": ")[0] if len(head) > 1 else None
        if sheet in sheets:
            found.setdefault(sheet, []).append(number)
    return found


def _slug(sheet: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", sheet.lower()).strip("-")


if __name__ == "__main__":
    sys.exit(main())
