"""Fixtures of the analysis tests; the synthetic data itself is in synthetic.py (imported by name:
a module called conftest would clash with the other test folders' conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthetic import fabricate, write_run


@pytest.fixture
def synthetic_run(tmp_path) -> Path:
    return write_run(tmp_path / "run", fabricate())
