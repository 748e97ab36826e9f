"""rule-engine's parser is read from the prebuilt tables (``rules.rule_engine_tables``),
not built again in every process; the tables are of the installed rule-engine's grammar."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import time
start = time.process_time()
from rules import expressions, rule_engine_tables
rule, _ = expressions.parse("charged / spend")
import rule_engine
assert rule_engine.Rule.parser._parser.action is rule_engine_tables._lr_action, (
    "ply built the parser anew: run scripts/rule_engine_tables.py after upgrading rule-engine")
print(time.process_time() - start)
"""


def test_the_parser_comes_from_the_prebuilt_tables():
    """In a fresh interpreter, as a close or a web worker meets its first expression."""
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
