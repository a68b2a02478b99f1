"""The study's own footprint (harness.run.footprint): every session of a run records its time split
into parts that add up to the session's wall time, its energy over the whole session on the run's
meter (a fake RAPL tree here: the counter's own watts), and analyze, the API and MLflow show it."""

import datetime as dt
import json
import math

import pytest
from clitools import harness
from faultkit import make_run
from fake_powercap import no_real_powercap, powercap  # noqa: F401 (fixtures)

PARTS = ("phases_s", "cooldown_s", "baseline_s", "warmup_s", "other_s")


def _session_wall(session) -> float:
    start, end = (dt.datetime.fromisoformat(session[k]) for k in ("started_at", "finished_at"))
    return (end - start).total_seconds()


@pytest.mark.slow
def test_parts_add_up_to_the_session_and_analyze_shows_them(tmp_path):
    spec = make_run(tmp_path, repetitions=2, cooldown=0.05)
    proc = harness("run", spec, "--results-dir", tmp_path / "out", "--quiet")
    assert proc.returncode == 0, proc.stderr
    m = json.loads((tmp_path / "out/tiny/manifest.json").read_text())
    f = m["sessions"][-1]["footprint"]
    assert f["units"] == 12 and f["cooldown_s"] >= 11 * 0.05 * 0.9  # 11 cool-downs (none before the first)
    assert sum(f[p] for p in PARTS) == pytest.approx(f["wall_s"], rel=1e-9) and f["other_s"] >= 0
    assert f["wall_s"] == pytest.approx(_session_wall(m["sessions"][-1]), rel=0.02, abs=0.02)
    assert f["energy_estimated"] and f["energy_j"] >= f["phases_energy_j"] > 0  # busy CPU of the session
    assert "waits" in f["energy_note"] and "no estimated energy" in f["energy_note"]
    assert m["footprint"]["units"] == 12 and m["footprint"]["sessions"] == 1
    out = harness("analyze", tmp_path / "out/tiny", "--out", tmp_path / "an", "--intensity", "100")
    assert out.returncode == 0, out.stderr
    assert "Footprint: what this study itself cost" in out.stdout and "Carbon of the total" in out.stdout
    # one share of measured work, the same in the manifest and in analyze's table (setup included in both)
    whole = m["footprint"]["wall_s"] + m["footprint"]["setup_s"]
    assert m["footprint"]["measured_share"] == pytest.approx(m["footprint"]["phases_s"] / whole)
    table = next(line for line in out.stdout.splitlines() if "trials' measured phases" in line)
    assert f"{100 * m['footprint']['measured_share']:.1f}%" in table, table


def test_a_resumed_run_adds_its_sessions(tmp_path):
    spec = make_run(tmp_path, repetitions=2)
    assert harness("run", spec, "--results-dir", tmp_path, "--quiet").returncode == 0
    path = tmp_path / "tiny/trials.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:1 + 5]))
    assert harness("run", spec, "--results-dir", tmp_path, "--quiet").returncode == 0
    m = json.loads((tmp_path / "tiny/manifest.json").read_text())
    assert [s["footprint"]["units"] for s in m["sessions"]] == [12, 7]
    assert m["footprint"]["units"] == 19 and m["footprint"]["sessions"] == 2
    assert m["footprint"]["wall_s"] == pytest.approx(sum(s["footprint"]["wall_s"] for s in m["sessions"]))


@pytest.mark.slow
def test_a_counter_meter_measures_the_whole_session(tmp_path, powercap):
    fake = powercap(sockets=1, with_dram=False, with_core=False)
    fake.start({"package-0": 20.0})  # the package draws 20 W all along: the session's energy is 20 W x its time
    spec = make_run(tmp_path, repetitions=2, cooldown=0.1)
    spec.write_text(spec.read_text().replace("meter: estimate", "meter: rapl"))
    proc = harness("run", spec, "--results-dir", tmp_path / "out", "--quiet")
    assert proc.returncode == 0, proc.stderr
    f = json.loads((tmp_path / "out/tiny/manifest.json").read_text())["sessions"][-1]["footprint"]
    assert not f["energy_estimated"] and f["energy_note"].startswith("measured over the whole session")
    assert f["energy_j"] == pytest.approx(20.0 * f["wall_s"], rel=0.05)
    assert f["other_energy_j"] == pytest.approx(f["energy_j"] - f["phases_energy_j"])
    assert f["other_energy_j"] >= 20.0 * f["cooldown_s"] * 0.9  # the cool-downs' energy is in it, measured


def test_mlflow_metrics_leave_out_what_was_not_measured():
    from types import SimpleNamespace

    pytest.importorskip("mlflow")
    from harness.output.export.mlflow import footprint_metrics

    r = SimpleNamespace(footprint={"wall_s": 3.0, "phases_s": 1.0, "energy_j": None, "measured_share": math.nan,
                                   "energy_estimated": True})
    assert {m.key: m.value for m in footprint_metrics(r)} == {"footprint_wall_s": 3.0, "footprint_phases_s": 1.0}


def test_a_killed_session_without_a_footprint_is_said_not_hidden(tmp_path):
    spec = make_run(tmp_path, repetitions=2)
    assert harness("run", spec, "--results-dir", tmp_path, "--quiet").returncode == 0
    path, manifest = tmp_path / "tiny/trials.csv", tmp_path / "tiny/manifest.json"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:1 + 5]))
    m = json.loads(manifest.read_text())  # what SIGKILL leaves: the session opened, never closed
    killed = {k: v for k, v in m["sessions"][0].items() if k != "footprint"}
    m["sessions"][0] = {**killed, "ended_by": "error", "finished_at": None}
    manifest.write_text(json.dumps(m))
    assert harness("run", spec, "--results-dir", tmp_path, "--quiet").returncode == 0
    f = json.loads(manifest.read_text())["footprint"]
    assert f["sessions"] == 1 and f["sessions_unrecorded"] == 1 and f["units"] == 7
    out = harness("analyze", tmp_path / "tiny", "--out", tmp_path / "an")
    assert out.returncode == 0, out.stderr
    assert "1 session(s) of this run recorded no footprint" in out.stdout
    assert "cover 7 stored units (this run stored 12 trials)" in out.stdout


def test_mlflow_logs_the_footprint_carbon_and_the_adaptive_stop():
    from types import SimpleNamespace

    pytest.importorskip("mlflow")
    from harness.analysis.footprint import footprint_gco2e
    from harness.data.carbon import CarbonInputs
    from harness.output.export.mlflow import adaptive_params, footprint_metrics

    carbon = CarbonInputs(400.0)
    f = {"wall_s": 10.0, "energy_j": 3.6e6, "energy_estimated": True, "sessions_unrecorded": 1}
    metrics = {m.key: m.value for m in footprint_metrics(SimpleNamespace(footprint=f), carbon)}
    assert metrics["footprint_gco2e"] == pytest.approx(400.0) == footprint_gco2e(f, carbon)  # 1 kWh x 400 g/kWh
    assert metrics["footprint_sessions_unrecorded"] == 1
    assert "footprint_gco2e" not in {m.key for m in footprint_metrics(SimpleNamespace(footprint={**f, "energy_j": None}),
                                                                      carbon)}
    r = SimpleNamespace(adaptive={"per_configuration": {"3": {"repetitions": 9, "stopped": "precise"}}})
    assert adaptive_params(r, 3) == {"repetitions_reached": "9", "stopped": "precise"}
    assert adaptive_params(SimpleNamespace(adaptive=None), 3) == {}


def test_setup_counts_from_the_process_start_under_the_command_line(tmp_path):
    import time

    from harness.meters.cpus import process_age_s
    from harness.run.runner import run_spec

    age = process_age_s()
    time.sleep(0.05)
    assert 0 < age < process_age_s() < 7 * 24 * 3600  # this test process's age, read from /proc
    spec = make_run(tmp_path, repetitions=1)
    assert run_spec(spec, results_dir=tmp_path, quiet=True, began=time.perf_counter() - 5.0) == 0
    f = json.loads((tmp_path / "tiny/manifest.json").read_text())["footprint"]
    assert f["setup_s"] >= 5.0  # the CLI passes its process's start: interpreter start and imports count


def test_on_a_cluster_the_waits_are_not_measured_and_estimated_phases_are_said():
    from types import SimpleNamespace

    import pandas as pd

    from harness.analysis.footprint import footprint_table
    from harness.run.footprint import Footprint, combine

    fp = Footprint(meter=None)  # the units ran on workers: no chain of windows in the driver
    fp.unit({"host": "w1", "preprocess_s": 0.1, "train_s": 0.2, "predict_s": 0.1, "preprocess_energy_j": 1.0,
             "train_energy_j": 2.0, "predict_energy_j": 1.0, "cooldown_waited_s": 0.5, "energy_estimated": True})
    f = fp.close(None, slots=2)
    assert f["energy_j"] is None and f["energy_estimated"]  # a worker's estimate meter: the phases are estimates
    table = footprint_table(SimpleNamespace(footprint=combine([{"footprint": f}]), trials=pd.DataFrame(), host=None))
    notes = dict(zip(table.frame["part"], table.frame["energy_note"]))
    assert notes["cool-downs between trials"] == notes["idle baseline"] == "not measured"
