"""The command line's own description: ``docs/cli.md`` documents every command of the
product with its arguments and options, and ``chargeback --help`` is the product's list."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from chargeback.cli.entry import COMMANDS, command_group

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
THIRD_PARTY = {"db", "openapi"}  # Flask-Migrate's and flask-smorest's: their groups only


def product_commands() -> list[tuple[str, click.Command]]:
    """Every command path of the product (``token create``...), groups included."""
    found = []

    def walk(path: str, command: click.Command) -> None:
        found.append((path, command))
        if isinstance(command, click.Group) and path not in THIRD_PARTY:
            for name, sub in command.commands.items():
                walk(f"{path} {name}", sub)

    for name, lazy in COMMANDS.items():
        walk(name, lazy.load())
    return found


def test_docs_cli_names_every_command_and_its_options():
    missing = []
    for path, command in product_commands():
        if f"`chargeback {path}" not in DOC:
            missing.append(f"chargeback {path}")
        if path.split()[0] in THIRD_PARTY:
            continue
        for param in command.params:
            names = [o for o in param.opts if o.startswith("--")] if isinstance(
                param, click.Option) else [param.human_readable_name]
            if names and not any(name in DOC for name in names):
                missing.append(f"chargeback {path}: {names[0]}")
    assert missing == []


def test_docs_cli_has_the_exit_statuses_and_is_linked():
    for status in ("| 0 |", "| 1 |", "| 2 |"):
        assert status in DOC
    assert "(docs/cli.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_listing_is_the_products_commands_with_a_pointer_to_the_docs():
    listing = CliRunner().invoke(command_group(make_app=lambda **_: None), ["--help"],
                                 prog_name="chargeback", terminal_width=100).output
    commands = listing.split("Commands:")[1].split("\n\n")[0]
    listed = [line.split()[0] for line in commands.splitlines()
              if line.startswith("  ") and not line.startswith("   ")]
    assert listed == sorted(COMMANDS)
    assert "docs/cli.md" in listing
    assert "Options:\n  --help" in listing
