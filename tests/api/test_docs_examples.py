"""docs/api.md's examples run as written: every ```python block, in order, in one namespace (as the
cells of one notebook), in a fresh folder without energy counters (``auto`` is the estimate meter).
A block whose first line is ``# not run: <why>`` is left out, and only such a block."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
NOT_RUN = "# not run:"


def blocks() -> list[str]:
    return BLOCK.findall(DOC.read_text(encoding="utf-8"))


def test_the_page_has_examples_and_says_which_are_not_run():
    found = blocks()
    assert len(found) >= 8
    skipped = [b for b in found if b.startswith(NOT_RUN)]
    assert len(skipped) == 1 and "torch" in skipped[0]  # the PyTorch loop: torch is not a dependency
    assert all(NOT_RUN not in b for b in found if not b.startswith(NOT_RUN))


@pytest.mark.slow
def test_every_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    out = io.StringIO()
    for i, code in enumerate(b for b in blocks() if not b.startswith(NOT_RUN)):
        with contextlib.redirect_stdout(out):
            try:
                exec(compile(code, f"{DOC.name} python block {i + 1}", "exec"), namespace)
            except Exception as e:  # name the block in the failure
                raise AssertionError(f"block {i + 1} of {DOC} failed: {e!r}\n{code}") from e
    printed = out.getvalue()
    assert "results/first-try" in printed and "done: 8 trials" in printed
    assert "repetitions: must be an integer" in printed
    assert namespace["trials"].shape[0] == 8
    assert "tradeoff" in namespace["tables"] and namespace["m"].energy_j > 0
    assert len(namespace["fit_once"].windows) == 2
    assert (tmp_path / "results" / "first-try" / "trials.csv").is_file()
