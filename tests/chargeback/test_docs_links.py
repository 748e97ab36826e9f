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
