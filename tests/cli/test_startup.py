"""The start-up commands import no heavy library (issue 15, item 9). Not timed: the times are
benchmarks/startup.py's output; this checks the cause, which a top-level import would bring back."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load_startup():
    spec = importlib.util.spec_from_file_location("bench_startup", REPO / "benchmarks" / "startup.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("label", ["python -m harness --help",
                                   "python -m harness meters --seconds 0"])
def test_start_up_commands_import_no_heavy_library(label, tmp_path, monkeypatch):
    bench = _load_startup()
    monkeypatch.setenv("HARNESS_POWERCAP_ROOT", str(tmp_path / "no-powercap"))
    assert bench.heavy_imported(bench.COMMANDS[label]) == []


_FIRST_OUTPUT = """
import runpy, sys
heavy = {heavy!r}

class Tap:
    def __init__(self, inner):
        self.inner, self.told = inner, False

    def write(self, text):
        if not self.told and text.strip():
            self.told = True
            print("HEAVY_AT_FIRST_OUTPUT:" + ",".join(m for m in heavy if m in sys.modules), file=sys.stderr)
        return self.inner.write(text)

    def __getattr__(self, name):
        return getattr(self.inner, name)

sys.stdout = Tap(sys.stdout)
sys.argv = ["harness", *sys.argv[1:]]
try:
    runpy.run_module("harness", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
"""


@pytest.mark.slow
def test_dry_run_prints_its_plan_before_importing_a_heavy_library(tmp_path, monkeypatch):
    # --dry-run then checks what a run checks (dataset, sha256, columns, every level and repetition:
    # pandas and scikit-learn, issue 15 item 6); its start, the plan, needs none of them.
    import subprocess

    bench = _load_startup()
    monkeypatch.setenv("HARNESS_POWERCAP_ROOT", str(tmp_path / "no-powercap"))
    p = subprocess.run([sys.executable, "-c", _FIRST_OUTPUT.format(heavy=bench.HEAVY), "run",
                        "experiments/spam.yaml", "--dry-run", "--results-dir", str(tmp_path / "r")],
                       cwd=REPO, env=bench._env(), capture_output=True, text=True, timeout=600)
    line = next(x for x in p.stderr.splitlines() if x.startswith("HEAVY_AT_FIRST_OUTPUT:"))
    assert line == "HEAVY_AT_FIRST_OUTPUT:", line
    assert p.stdout.startswith("spec spam: 3,600 trials"), p.stdout[:200]


@pytest.mark.slow
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


@pytest.mark.slow
def test_meters_does_not_import_what_run_needs(tmp_path, monkeypatch):
    # harness.cli imports only the module of the command given (--help imports every command's
    # module, and those import their libraries only when the command runs)
    bench = _load_startup()
    monkeypatch.setenv("HARNESS_POWERCAP_ROOT", str(tmp_path / "no-powercap"))
    argv = bench.COMMANDS["python -m harness meters --seconds 0"]
    assert bench.heavy_imported(argv, ("pydantic", "numpy", "harness.run.runner")) == []
    assert bench.heavy_imported(["-m", "harness", "meters", "--help"], ("harness.cli.run",)) == []
    assert bench.heavy_imported(["-m", "harness", "--help"], ("harness.cli.run", "harness.run.runner")) == [
        "harness.cli.run"]
