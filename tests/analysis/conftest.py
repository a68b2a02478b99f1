"""Fixtures of the analysis tests; the synthetic data itself is in synthetic.py (imported by name:
a module called conftest would clash with the other test folders' conftest.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # when loaded by path from another folder's tests
from synthetic import fabricate, write_run  # noqa: E402


@pytest.fixture
def synthetic_run(tmp_path) -> Path:
    return write_run(tmp_path / "run", fabricate())
