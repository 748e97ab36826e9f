"""Fixtures of the pack tests; the builders are in ``builders``."""

from __future__ import annotations

import pytest

from reports.model import Pack
from tests.reports.builders import make_pack


@pytest.fixture
def pack() -> Pack:
    return make_pack()
