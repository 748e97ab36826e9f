"""Every document the README sends a reader to is in the repository: each relative link in
README.md and docs/ (its pages and docs/spec/) names a file of the checkout, never a place
outside it (``../shared/...`` is not in a clone), and a ``#section`` names a heading of the
page it points to."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
EXTERNAL = ("http://", "https://", "mailto:")


def links(document: Path) -> list[str]:
    """The link targets of a Markdown file, code blocks left out."""
    text = FENCE.sub("", document.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)
    return LINK.findall(text)


def anchors(document: Path) -> set[str]:
    """GitHub's anchors for the headings of a Markdown file."""
    text = FENCE.sub("", document.read_text(encoding="utf-8"))
    found = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


def test_there_are_documents_and_links():
    assert ROOT / "docs" / "cli.md" in DOCUMENTS
    assert ROOT / "docs" / "spec" / "interfaces.md" in DOCUMENTS
    assert "docs/cli.md" in links(ROOT / "README.md")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: str(d.relative_to(ROOT)))
def test_every_relative_link_resolves_inside_the_repository(document):
    broken = []
    for target in links(document):
        if target.startswith(EXTERNAL):
            continue
        path_part, _, anchor = target.partition("#")
        resolved = (document.parent / path_part).resolve() if path_part else document
        if ROOT not in resolved.parents and resolved != ROOT:
            broken.append(f"{target}: outside the repository")
        elif not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading #{anchor} in {resolved.name}")
    assert broken == []


def test_the_import_contract_is_in_the_repository():
    """The README's contract for import files is the repository's copy in docs/spec/."""
    readme = links(ROOT / "README.md")
    assert "docs/spec/interfaces.md" in readme
    assert not [t for t in readme if "shared" in t.split("/")]


CITED = re.compile(r"\bdocs/[\w./-]*?\.md\b")
SOURCES = ("chargeback", "rules", "reports", "scripts", "migrations", "tests", "benchmarks")
SOURCE_SUFFIXES = {".py", ".html", ".js", ".cfg", ".toml", ".txt"}


def cited_documents() -> dict[str, list[str]]:
    """``docs/....md`` named in the code (docstrings, comments, templates) -> where."""
    found: dict[str, list[str]] = {}
    files = [ROOT / "setup.cfg", ROOT / "Makefile"] + [
        path for top in SOURCES if (ROOT / top).is_dir()
        for path in sorted((ROOT / top).rglob("*")) if path.suffix in SOURCE_SUFFIXES]
    for path in files:
        if not path.is_file() or path == Path(__file__).resolve():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for name in CITED.findall(line):
                found.setdefault(name, []).append(f"{path.relative_to(ROOT)}:{number}")
    return found


def test_every_document_the_code_cites_exists():
    """A docstring or a page that sends a reader to ``docs/x.md`` sends them somewhere."""
    cited = cited_documents()
    assert "docs/catalog.md" in cited and "docs/closing.md" in cited
    missing = {name: where for name, where in cited.items() if not (ROOT / name).is_file()}
    assert missing == {}


def test_the_contracts_import_table_lists_every_kind_with_its_columns():
    """docs/spec/interfaces.md's import table names every kind the importer reads, with
    its columns: required, then (after ``·``) optional, as the importer (and ``chargeback
    import --help``) has them. (The shared contract lists units' ``parent_code`` among the
    required columns; the importer lets it be left out, a root having no parent, and the
    project's copy says so.)"""
    from chargeback.importing.schemas import SCHEMAS, columns

    text = (ROOT / "docs" / "spec" / "interfaces.md").read_text(encoding="utf-8")
    table = text[text.index("| kind | columns"):].split("\n\n")[0].splitlines()[2:]
    listed = {}
    for row in table:
        kind, cell = (c.strip() for c in row.strip("|").split("|", 1))
        parts = [re.sub(r"\([^)]*\)", "", part) for part in cell.strip(" |").split(" · ")]
        listed[kind] = tuple([c.strip() for c in part.split(",") if c.strip()]
                             for part in (parts + [""])[:2])
    assert sorted(listed) == sorted(SCHEMAS)
    for kind, (required, optional) in listed.items():
        assert sorted(required + optional) == sorted(sum(columns(kind), [])), kind
        assert sorted(columns(kind)[0]) == sorted(required), kind
