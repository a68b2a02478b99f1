"""The start-up commands import no heavy library (issue 15, item 9). Not timed: the times are
benchmarks/startup.py's output; this checks the cause, which a top-level import would bring back."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _load_startup():
    spec = importlib.util.spec_from_file_location("bench_startup", REPO / "benchmarks" / "startup.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("label", ["python -m harness --help",
                                   "python -m harness run experiments/spam.yaml --dry-run",
                                   "python -m harness meters --seconds 0"])
def test_start_up_commands_import_no_heavy_library(label, tmp_path, monkeypatch):
    bench = _load_startup()
    monkeypatch.setenv("HARNESS_POWERCAP_ROOT", str(tmp_path / "no-powercap"))
    assert bench.heavy_imported(bench.COMMANDS[label]) == []


def test_the_check_sees_a_heavy_import(tmp_path, monkeypatch):
    # analyze loads pandas: the same check must report it, or the test above proves nothing
    bench = _load_startup()
    assert "pandas" in bench.heavy_imported(["-m", "harness", "analyze", str(tmp_path / "none")])


def test_render_flags_a_command_over_target():
    bench = _load_startup()
    rows = [("python -c pass", 0.1, 0.1, None), ("fast", 0.4, 0.3, []), ("slow", 1.5, 1.2, ["pandas"])]
    text = bench.render(rows, 3)
    assert "| `slow` | 1.50 s | 1.20 s | pandas |" in text
    assert text.endswith("over target: slow")


def test_meters_does_not_import_what_run_needs(tmp_path, monkeypatch):
    # cli.py imports only the module of the command given (--help imports every one)
    bench = _load_startup()
    monkeypatch.setenv("HARNESS_POWERCAP_ROOT", str(tmp_path / "no-powercap"))
    argv = bench.COMMANDS["python -m harness meters --seconds 0"]
    assert bench.heavy_imported(argv, ("pydantic", "numpy", "harness.runner")) == []
    assert bench.heavy_imported(["-m", "harness", "--help"], ("harness.runner",)) == ["harness.runner"]
