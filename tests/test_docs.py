"""The documentation site builds with warnings as errors (mkdocs.yml: strict), and a broken link fails it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings")


def _build(root: Path, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(root / "mkdocs.yml"),
                           "-d", str(site)], capture_output=True, text=True, cwd=root)


def test_the_site_builds_with_warnings_as_errors(tmp_path):
    proc = _build(REPO, tmp_path / "site")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "site/reference/api/index.html").read_text().count("run_spec") > 0


@pytest.mark.slow
def test_a_broken_link_fails_the_build(tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(REPO / "docs", root / "docs")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(REPO / "harness", root / "harness")  # mkdocstrings reads the package's docstrings
    (root / "docs/index.md").write_text((root / "docs/index.md").read_text() + "\n[gone](no-such-page.md)\n")
    proc = _build(root, tmp_path / "site")
    assert proc.returncode != 0 and "no-such-page.md" in proc.stderr
