"""Trials from several hosts: pooled only when hardware and meter agree (or --pool-hosts), one
host at a time with --host (and that host's own idle baseline for --net)."""

from __future__ import annotations

import pytest

from clitools import harness
from synthetic import fabricate, write_run

from harness.analysis.hosts import check_hosts
from harness.results.load import load_results, net_of_baseline
from harness.errors import HarnessError


def two_host_run(tmp_path, cpu_b="EPYC", meter_b="rapl", **manifest):
    t = fabricate(repetitions=4, meter="rapl")
    t["host"] = ["a" if i % 2 else "b" for i in range(len(t))]
    t.loc[t["host"] == "b", "meter"] = meter_b
    hosts = {"a": {"cpu_model": "EPYC", "cpu_count": 8, "meter": "rapl", "workers": 1,
                   "baselines": {"w0": {"total_w": 10.0}}},
             "b": {"cpu_model": cpu_b, "cpu_count": 8, "meter": meter_b, "workers": 1,
                   "baselines": {"w1": {"total_w": 30.0}}}}
    return write_run(tmp_path / "run", t, {"run": "synthetic", "baseline": None, "hosts": hosts, **manifest})


def test_hosts_with_the_same_hardware_pool(tmp_path):
    results = load_results(two_host_run(tmp_path))
    pooled = check_hosts(results)
    assert pooled.trials is results.trials
    assert pooled.hosts_note == "pooled over 2 hosts (a, b) with the same CPU model, cores and meter"


@pytest.mark.parametrize("cpu_b, meter_b, what", [("Xeon", "rapl", "cpu_model"), ("EPYC", "pyrapl", "meter")])
def test_different_hardware_or_meter_is_refused_unless_pooled(tmp_path, cpu_b, meter_b, what):
    results = load_results(two_host_run(tmp_path, cpu_b, meter_b))
    with pytest.raises(HarnessError, match=f"hosts with different {what} .a: .*, b: .*--host NAME.*--pool-hosts"):
        check_hosts(results)
    assert len(check_hosts(results, pool=True).trials) == len(results.trials)


def test_one_host_keeps_its_trials_and_its_baseline(tmp_path):
    results = load_results(two_host_run(tmp_path, "Xeon"))
    b = check_hosts(results, host="b")
    assert set(b.trials["host"]) == {"b"} and len(b.trials) == len(results.trials) // 2
    net = net_of_baseline(b)
    assert net.trials["train_energy_j"].iloc[0] == pytest.approx(
        b.trials["train_energy_j"].iloc[0] - 30.0 * b.trials["train_s"].iloc[0])
    with pytest.raises(HarnessError, match="--host c: no trial ran there; hosts: a, b"):
        check_hosts(results, host="c")


def test_analyze_cli_refuses_then_writes_per_host(tmp_path):
    run = two_host_run(tmp_path, "Xeon")
    proc = harness("analyze", run, "--bootstrap", "100")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--pool-hosts" in proc.stderr
    proc = harness("analyze", run, "--bootstrap", "100", "--host", "a")
    assert proc.returncode == 0, proc.stderr
    assert (run / "analysis-a" / "analysis.md").is_file()


@pytest.mark.slow
def test_the_header_names_the_host_or_says_hosts_were_pooled(tmp_path):
    """From a review: --pool-hosts output never said hosts were pooled, and --host did not name the
    host in the Markdown header."""
    run = two_host_run(tmp_path, "Xeon")
    proc = harness("analyze", run, "--bootstrap", "100", "--host", "a")
    assert proc.returncode == 0, proc.stderr
    text = (run / "analysis-a" / "analysis.md").read_text()
    assert text.splitlines()[0].endswith(", host a")
    assert "Hosts: host a only (--host): 120 of the 240 trials, from 2 host(s)." in text
    proc = harness("analyze", run, "--bootstrap", "100", "--pool-hosts")
    assert proc.returncode == 0, proc.stderr
    text = (run / "analysis" / "analysis.md").read_text()
    assert ("Hosts: pooled over 2 hosts (a, b) with different cpu_model (a: EPYC, b: Xeon), as --pool-hosts asked"
            in text)


@pytest.mark.slow
def test_one_host_of_a_finished_run_is_not_called_incomplete(tmp_path):
    """From a review: --host on a finished two-host run said "incomplete run: 36 of 72 planned
    trials ... rerun the same 'harness run' command"; the trials of the other host are not missing."""
    run = two_host_run(tmp_path, "Xeon", n_trials=240)
    results = load_results(run)
    assert len(results.trials) == 240 and not results.incomplete
    a = check_hosts(results, host="a")
    assert len(a.trials) == 120 and not a.incomplete and a.completeness_note() == ""
    unfinished = load_results(two_host_run(tmp_path / "more", "Xeon", n_trials=250))
    assert check_hosts(unfinished, host="a").incomplete  # trials still to run anywhere: still said
    proc = harness("analyze", run, "--bootstrap", "100", "--host", "a")
    assert proc.returncode == 0 and "ncomplete" not in proc.stdout + proc.stderr, proc.stdout


def test_trials_carry_how_many_ran_at_once_on_their_host(tmp_path):
    """Carbon divides a machine's embodied share among the trials that ran on it at once."""
    run = two_host_run(tmp_path)
    import json
    m = json.loads((run / "manifest.json").read_text())
    m["hosts"]["a"]["concurrent_trials"] = 2  # b: not recorded (older runs): 1
    (run / "manifest.json").write_text(json.dumps(m))
    trials = load_results(run).trials
    assert trials.groupby("host")["concurrent_trials"].unique().map(list).to_dict() == {"a": [2], "b": [1]}
