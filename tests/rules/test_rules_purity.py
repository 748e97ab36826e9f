"""rules/ stays pure: no web, database or spreadsheet imports, no eval, no float, and every
dataclass frozen and keyword-only."""

import ast
import dataclasses
import importlib
import inspect
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parents[2] / "rules"
SOURCES = sorted(RULES.glob("*.py"))
FORBIDDEN = {"flask", "sqlalchemy", "openpyxl", "chargeback", "reports", "flask_sqlalchemy"}


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_forbidden_imports_eval_or_float(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for item in ast.walk(tree):
        if isinstance(item, ast.Import):
            assert not {a.name.split(".")[0] for a in item.names} & FORBIDDEN
        if isinstance(item, ast.ImportFrom) and item.module:
            assert item.module.split(".")[0] not in FORBIDDEN
        if isinstance(item, ast.Name):
            assert item.id not in {"eval", "exec", "float", "compile", "__import__"}, (
                f"{path.name}:{item.lineno} uses {item.id}")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_every_dataclass_is_frozen_and_keyword_only(path):
    module = importlib.import_module(f"rules.{path.stem}")
    for _, cls in inspect.getmembers(module, inspect.isclass):
        if cls.__module__ == module.__name__ and dataclasses.is_dataclass(cls):
            params = cls.__dataclass_params__
            assert params.frozen, cls
            assert all(f.kw_only for f in dataclasses.fields(cls)), cls
