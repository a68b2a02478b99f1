"""Shared fixtures. Every test gets its own feature cache so no test reads a stale file from
another test or from the user's ~/.cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Figures are drawn to files, never shown: the edge that chooses the backend for the tests (the
# harness chooses it only in the commands that draw, harness.cli.analyze.file_backend).
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True, scope="session")
def _session_cache(tmp_path_factory):
    old = os.environ.get("HARNESS_CACHE_DIR")
    os.environ["HARNESS_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop("HARNESS_CACHE_DIR", None)
    else:
        os.environ["HARNESS_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


def write_spec(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
