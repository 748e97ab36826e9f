"""Write ``rules/rule_engine_tables.py``: rule-engine's parser tables, built once here.

rule-engine builds its LALR parser tables (ply) when it is imported, 0.3-0.5 s of CPU in
every process that parses an expression: each close, each scorecard saved. ply reads
prebuilt tables instead when a module ``rule_engine.parser.parsetab`` holds tables of the
same grammar (its signature); ``rules.expressions`` puts this file there before importing
rule-engine. Run again after upgrading rule-engine (``tests/rules/test_expressions_tables.py``
says when): a stale file is only slower, ply then builds the tables as before.

    .venv/bin/python scripts/rule_engine_tables.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "rules" / "rule_engine_tables.py"


def main() -> None:
    import rule_engine
    from rule_engine._vendor.ply import yacc

    with tempfile.TemporaryDirectory() as folder:
        yacc.yacc(module=rule_engine.Rule.parser, debug=False, write_tables=True,
                  outputdir=folder, tabmodule="rule_engine_tables")
        tables = (Path(folder) / "rule_engine_tables.py").read_text()
    header = (f'"""rule-engine {rule_engine.__version__}\'s parser tables, written by '
              'scripts/rule_engine_tables.py; do not edit."""\n')
    TARGET.write_text(header + tables)
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
