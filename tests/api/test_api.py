"""The Python API (harness/api.py, re-exported by ``harness``): a spec run from a dict or a file, its
trials and tables as the command gives them, errors as HarnessError subclasses, and the meters as a
library (a block, a decorator, a meter reused), with a run's probe, mirror and wrap handling."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml

import harness
from clitools import harness as cli
from fake_powercap import make_die_powercap
from harness import api
from harness.errors import DatasetError, HarnessError, MeterError, ResultsError, SpecError, UsageError

REPO = Path(__file__).resolve().parents[2]


def busy(seconds: float = 0.05) -> int:
    """Keep this process's CPU busy for about ``seconds`` (the estimate meter counts CPU time)."""
    end, x = time.perf_counter() + seconds, 0
    while time.perf_counter() < end:
        x += sum(range(1000))
    return x


# ---------------------------------------------------------------- the public names


def test_public_names_are_the_apis_and_none_is_shadowed_by_a_module():
    # ``harness.run`` would be the subpackage harness/run once any code imports harness.run.runner
    package = REPO / "harness"
    names = [n for n in harness.__all__ if n != "__version__"]
    assert set(names) == set(api.__all__)
    for name in names:
        assert not (package / name).exists() and not (package / f"{name}.py").exists(), name
        assert getattr(harness, name) is getattr(api, name)
        assert name in dir(harness)
    import importlib

    importlib.import_module("harness.run.runner")  # binds the subpackage as the package's attribute ``run``

    assert harness.run_spec is api.run_spec
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        harness.nothing_here  # noqa: B018


def test_import_harness_loads_no_heavy_library_and_not_the_api():
    # the start-up boundary of a fresh process: the API loads on first use, pandas only when a
    # function needs it (measure does not)
    code = ("import sys, harness\n"
            "first = [m for m in ('harness.api', 'pandas', 'sklearn', 'pydantic', 'numpy') if m in sys.modules]\n"
            "harness.measure, harness.EnergyMeter\n"
            "then = [m for m in ('pandas', 'sklearn', 'pydantic') if m in sys.modules]\n"
            "print(first, then)")
    p = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[] []"


# ---------------------------------------------------------------- run a spec


@pytest.mark.slow
def test_dict_spec_and_the_same_spec_as_a_file_are_one_run(tiny, tmp_path, monkeypatch):
    spec, data = tiny
    monkeypatch.chdir(tmp_path)  # data.csv is in data/, not here: base_dir must be what finds it
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    out = io.StringIO()
    run_dir = harness.run_spec(spec, base_dir=data, results_dir=tmp_path / "out", progress=False, out=out)
    assert run_dir == tmp_path / "out" / "tiny"
    assert "done: 8 trials" in out.getvalue()
    assert len(pd.read_csv(run_dir / "trials.csv")) == 8
    assert {s: signal.getsignal(s) for s in handlers} == handlers  # the caller's handlers are back

    (data / "tiny.yaml").write_text(yaml.safe_dump(spec))
    out = io.StringIO()
    again = harness.run_spec(data / "tiny.yaml", results_dir=tmp_path / "out", progress=False, out=out)
    assert again == run_dir
    assert "8 of 8 trials already done, 0 to go" in out.getvalue()  # same design: resumed, nothing redone


INTERRUPTING = """
import os, signal
from pathlib import Path
from sklearn.tree import DecisionTreeClassifier


class InterruptingTree(DecisionTreeClassifier):
    # Ctrl-C during its second fit, as a user pressing it in a notebook
    def fit(self, X, y, sample_weight=None):
        count = Path(os.environ["FITS_FILE"])
        n = int(count.read_text()) + 1 if count.exists() else 1
        count.write_text(str(n))
        if n == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return super().fit(X, y, sample_weight=sample_weight)
"""


@pytest.mark.slow
def test_ctrl_c_keeps_the_finished_trials_raises_and_the_same_call_resumes(tiny, tmp_path, monkeypatch):
    spec, data = tiny
    (tmp_path / "interrupting.py").write_text(INTERRUPTING)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("FITS_FILE", str(tmp_path / "fits"))
    spec = {**spec, "algorithms": [{"name": "tree", "class": "interrupting:InterruptingTree"}],
            "hygiene": {**spec["hygiene"], "shuffle": False}}
    call = dict(base_dir=data, results_dir=tmp_path / "out", progress=False, out=io.StringIO(),
                allow_import=["interrupting"])
    with pytest.raises(KeyboardInterrupt):
        harness.run_spec(spec, **call)
    assert len(pd.read_csv(tmp_path / "out/tiny/trials.csv")) == 1  # the first trial, kept
    out = io.StringIO()
    assert harness.run_spec(spec, **{**call, "out": out}) == tmp_path / "out/tiny"
    assert "1 of 4 trials already done, 3 to go" in out.getvalue()
    assert len(pd.read_csv(tmp_path / "out/tiny/trials.csv")) == 4


@pytest.mark.parametrize("change", [{"repetitions": "2"}, {"algoritms": ["knn"]}, {"seed": True},
                                    {"sweeps": {"rows": {"row_fractions": [1.5]}}}, {"meter": "rapl+pyrapl"}])
def test_a_dict_spec_is_validated_as_the_yaml_file_is(tiny, tmp_path, change):
    spec, data = tiny
    bad = {**spec, **change}
    with pytest.raises(SpecError) as from_dict:
        harness.run_spec(bad, base_dir=data, results_dir=tmp_path / "out")
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad))
    with pytest.raises(SpecError) as from_file:
        harness.run_spec(tmp_path / "bad.yaml", results_dir=tmp_path / "out")
    assert str(from_dict.value).startswith("<dict spec>: ")
    assert str(from_dict.value).removeprefix("<dict spec>: ") == \
        str(from_file.value).removeprefix(f"{tmp_path / 'bad.yaml'}: ")
    assert not (tmp_path / "out").exists()


def test_bad_input_raises_a_harness_error_and_writes_nothing(tiny, tmp_path, monkeypatch):
    spec, data = tiny
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    cases = [
        (lambda: harness.run_spec(spec, results_dir=out, out=io.StringIO()), DatasetError, "data.csv"),  # not here
        (lambda: harness.run_spec(spec, base_dir=tmp_path / "nowhere", results_dir=out), UsageError, "base_dir"),
        (lambda: harness.run_spec("missing.yaml", results_dir=out), SpecError, "spec file not found"),
        (lambda: harness.run_spec(data / "x.yaml", base_dir=data, results_dir=out), UsageError, "drop base_dir"),
        (lambda: harness.run_spec(["not", "a", "spec"], results_dir=out), UsageError, "path of a YAML spec or a dict"),
        (lambda: harness.run_spec(spec, base_dir=data, name="../x", results_dir=out, out=io.StringIO()),
         ResultsError, "--name"),
        (lambda: harness.load_trials(tmp_path / "no-run"), ResultsError, "no such run directory"),
        (lambda: harness.analyze(tmp_path / "no-run"), ResultsError, "no such run directory"),
        (lambda: harness.analyze(tmp_path, f1_tolerance=1.5), UsageError, "f1_tolerance"),
        (lambda: harness.EnergyMeter("joulemeter"), MeterError, "unknown meter"),
        (lambda: harness.EnergyMeter("rapl"), MeterError, "powercap"),  # no counters here
        (lambda: harness.EnergyMeter("estimate", options={"estimate": {"tdp_w": -1}}), MeterError, "tdp_w"),
        (lambda: harness.EnergyMeter("estimate", baseline_s=-1), MeterError, "baseline"),
        (lambda: harness.measured(meter=harness.EnergyMeter("estimate"), baseline_s=1), UsageError, "open already"),
    ]
    for call, error, words in cases:
        with pytest.raises(error, match=words.replace(".", r"\.")) as caught:
            call()
        assert isinstance(caught.value, HarnessError)
    assert not out.exists()


# ---------------------------------------------------------------- trials and tables


def test_load_trials_is_what_analyze_reads(tiny_run):
    run_dir, _, _ = tiny_run
    trials = harness.load_trials(run_dir)
    assert len(trials) == 8 and set(trials["algorithm"]) == {"decision_tree", "knn"}
    assert trials["energy_estimated"].all() and (trials["meter"] == "estimate").all()
    assert trials.attrs["energy_notes"] == ["estimated energy (CPU-time model, not measured)"]
    assert trials.attrs["incomplete"] == ""
    assert trials["train_energy_j"].dtype == float


def test_load_trials_refuses_a_row_that_fails_its_checksum(tiny_run, tmp_path):
    run_dir, _, _ = tiny_run
    copy = tmp_path / "copy"
    copy.mkdir()
    lines = (run_dir / "trials.csv").read_text().splitlines(keepends=True)
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("f1")] = "0.999"  # edited by hand: its row_sha256 no longer matches
    (copy / "trials.csv").write_text(lines[0] + ",".join(row) + "".join(lines[2:]))
    (copy / "manifest.json").write_text((run_dir / "manifest.json").read_text())
    with pytest.raises(ResultsError, match="row_sha256|checksum"):
        harness.load_trials(copy)


@pytest.mark.slow
def test_analyze_and_compare_give_the_commands_tables_and_write_nothing(tiny_run, tmp_path):
    run_dir, _, _ = tiny_run
    before = sorted(p.name for p in run_dir.iterdir())
    tables = harness.analyze(run_dir, n_resamples=200)
    versus = harness.compare(run_dir, "knn", n_resamples=200)
    assert sorted(p.name for p in run_dir.iterdir()) == before  # no analysis/ folder

    proc = cli("analyze", run_dir, "--out", tmp_path / "a", "--bootstrap", 200)
    assert proc.returncode == 0, proc.stderr
    proc = cli("compare", run_dir, "--candidate", "knn", "--out", tmp_path / "c", "--bootstrap", 200)
    assert proc.returncode == 0, proc.stderr
    written = {p.stem: p for p in (tmp_path / "a").glob("*.csv")}
    assert set(tables) == set(written)
    for name, frame in tables.items():  # the frame is what the command writes as CSV
        assert frame.to_csv(index=False) == written[name].read_text(), name
        assert frame.attrs["title"] in (tmp_path / "a" / f"{name}.md").read_text()
    assert tables["tradeoff"]["energy_basis"].eq("estimated energy (CPU-time model, not measured)").all()
    assert versus.to_csv(index=False) == (tmp_path / "c" / "compare_knn.csv").read_text()


@pytest.mark.slow
def test_a_tuning_run_gives_its_strategy_tables(tiny, tmp_path):
    spec, data = tiny
    spec = {**spec, "name": "tune", "algorithms": ["decision_tree"],
            "sweeps": {"full": {"row_fractions": [1.0], "feature_fractions": [1.0]}},
            "tuning": {"strategies": ["grid", "random"], "budget": 4, "validation": {"folds": 3},
                       "spaces": {"decision_tree": {"max_depth": [1, 2, 4, None], "min_samples_leaf": [1, 8]}}}}
    run_dir = harness.run_spec(spec, base_dir=data, results_dir=tmp_path / "out", progress=False, out=io.StringIO())
    tables = harness.analyze(run_dir, n_resamples=200)
    assert set(tables) == {"tuning_strategies", "tuning_comparison"}
    assert set(tables["tuning_strategies"]["strategy"]) == {"grid", "random"}
    with pytest.raises(UsageError, match="a tuning run"):
        harness.load_trials(run_dir)
    with pytest.raises(UsageError, match="a tuning run"):
        harness.compare(run_dir, "decision_tree")
    with pytest.raises(UsageError, match="intensity"):
        harness.analyze(run_dir, intensity=300)


# ---------------------------------------------------------------- meters as a library


def test_measure_a_cpu_busy_block_with_the_estimate_meter():
    with harness.measure("estimate") as m:
        with pytest.raises(UsageError, match="still open"):
            m.energy_j  # noqa: B018
        busy(0.05)
    assert m.energy_j > 0 and m.duration_s >= 0.05
    assert m.domains_j == {"cpu": m.energy_j}
    assert m.estimated is True and "ESTIMATED" in m.note and "not measured" in m.note
    assert m.meter == "estimate" and m.power_w == pytest.approx(m.energy_j / m.duration_s)
    assert m.below_resolution is False
    assert "ESTIMATED" in repr(m)
    with pytest.raises(UsageError, match="idle power"):
        m.net_energy_j  # noqa: B018


def test_the_estimate_warning_is_given_once(monkeypatch):
    monkeypatch.setattr(api, "_estimate_warned", False)
    with pytest.warns(harness.EstimatedEnergyWarning, match="not measured"):
        harness.EnergyMeter("estimate").close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with harness.measure("estimate") as m:
            pass
    assert m.estimated  # said by every window all the same


def test_a_block_that_raises_is_still_measured():
    with pytest.raises(ZeroDivisionError):
        with harness.measure("estimate") as m:
            busy(0.01)
            1 / 0  # noqa: B018
    assert m.energy_j > 0


def test_an_open_meter_is_reused_for_many_windows(monkeypatch):
    import harness.meters as meters

    opened = []
    real = meters.open_meter
    monkeypatch.setattr(meters, "open_meter", lambda *a, **k: opened.append(a) or real(*a, **k))
    calls = []
    meter = harness.EnergyMeter("estimate", sync=lambda: calls.append(1))
    windows = []
    for _ in range(20):
        with meter.window() as w:
            busy(0.002)
        windows.append(w)
    with meter.window() as outer:  # windows nest
        with meter.window() as inner:
            busy(0.01)
        busy(0.01)
    assert len(opened) == 1 and len(calls) == 2 * 22  # sync as each window starts and ends
    assert all(w.energy_j > 0 for w in windows)
    assert outer.energy_j > inner.energy_j > 0
    handle = meter.begin()
    assert meter.end(handle) is handle and handle.duration_s >= 0
    with pytest.raises(UsageError, match="once"):
        meter.end(handle)
    meter.close()
    meter.close()  # twice is fine
    assert meter.closed
    with pytest.raises(UsageError, match="closed"):
        with meter.window():
            pass


def test_decorator_with_and_without_arguments(monkeypatch):
    @harness.measured(meter="estimate")
    def work(n, fail=False):
        busy(0.005)
        if fail:
            raise ValueError("bad")
        return n * 2

    assert work(3) == 6 and work(4) == 8
    with pytest.raises(ValueError):
        work(5, fail=True)
    assert len(work.windows) == 3 and work.last is work.windows[-1]
    assert all(w.estimated and w.energy_j > 0 for w in work.windows)
    assert work.__name__ == "work"
    meter = work.meter
    work.close()
    assert meter.closed

    @harness.measured
    def plain():
        return "x"

    assert plain() == "x" and len(plain.windows) == 1 and plain.last.duration_s >= 0
    plain.close()

    shared = harness.EnergyMeter("estimate")
    one, two = harness.measured(meter=shared)(lambda: 1), harness.measured(meter=shared)(lambda: 2)
    assert one() + two() == 3 and one.meter is shared is two.meter
    one.close()
    assert not shared.closed  # the decorator closes only a meter it opened
    shared.close()


def test_measure_reads_rapl_as_a_run_does(powercap):
    # package + dram counted, core (inside the package) only reported; the probe passes on moving counters
    fake = powercap(sockets=1)
    fake.start({"package-0": 20.0, "package-0/core": 12.0, "package-0/dram": 3.0})
    with harness.EnergyMeter("rapl", sync=fake.sync, baseline_s=0.3) as meter:
        assert meter.total_domains == ["package-0", "package-0/dram"]
        assert meter.baseline["total_w"] == pytest.approx(23.0, rel=0.1)
        with meter.window() as w:
            time.sleep(0.3)
    assert not w.estimated and w.note == ""
    assert w.power_w == pytest.approx(23.0, rel=0.1)
    assert w.domains_j["package-0/core"] / w.duration_s == pytest.approx(12.0, rel=0.1)
    assert abs(w.net_energy_j) < 0.1 * w.energy_j


def test_measure_counts_mirrored_dies_once(powercap):
    fake = powercap(builder=make_die_powercap, start_uj=[38419855704, 38419855704])
    fake.start({"package-0-die-0": 68.0, "package-0-die-0/core": 0.6},
               mirror={"package-0-die-1": "package-0-die-0", "package-0-die-1/core": "package-0-die-0/core"})
    with harness.measure("rapl", sync=fake.sync) as m:
        time.sleep(0.3)
    assert m.power_w == pytest.approx(68.0, rel=0.15)  # not 136 W


def test_measure_corrects_counters_that_wrap(powercap):
    # a 1 J range at 23 W wraps about every 45 ms: a 0.5 s window holds ~11 wraps
    fake = powercap(sockets=1, max_energy_range_uj=1_000_000)
    fake.start({"package-0": 20.0, "package-0/dram": 3.0})
    with harness.measure("rapl", options={"rapl": {"max_power_w": 100.0}}, sync=fake.sync) as m:
        time.sleep(0.5)
    assert m.power_w == pytest.approx(23.0, rel=0.05)


def test_frozen_counters_are_refused_as_in_a_run(powercap):
    powercap(sockets=1)  # counters never move
    with pytest.raises(MeterError, match="did not advance"):
        harness.EnergyMeter("rapl")


def test_auto_falls_back_to_the_estimate_and_says_why():
    with harness.EnergyMeter() as meter:
        assert meter.name == "estimate" and meter.estimated
        assert "rapl" in meter.reasons and "ESTIMATED" in meter.summary()
        json.dumps(meter.reasons)
