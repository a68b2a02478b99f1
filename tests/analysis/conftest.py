"""Fixtures of the analysis tests; the synthetic data itself is in tests/helpers/synthetic.py
(imported by name from any folder: tests/helpers is on pytest's pythonpath)."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthetic import fabricate, write_run


@pytest.fixture
def synthetic_run(tmp_path) -> Path:
    return write_run(tmp_path / "run", fabricate())
