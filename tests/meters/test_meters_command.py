"""``python -m harness meters`` on a fake tree and on none."""

from __future__ import annotations

import argparse
import re

import pytest

from harness.errors import MeterError
from harness.cli import meters as command


def run(argv):
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    command.register(sub)
    args = parser.parse_args(["meters", *argv])
    return args.func(args)


def test_lists_every_meter_with_a_sample(powercap, capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pynvml", None)
    fake = powercap(sockets=1)
    fake.start({"package-0": 20.0, "dram": 3.0})
    assert run(["--seconds", "0.3"]) == 0
    out = capsys.readouterr().out
    assert f"powercap root: {fake.root}" in out
    assert "auto picks: rapl" in out
    assert "domains: package-0, package-0/core, package-0/dram; total = package-0 + package-0/dram" in out
    rapl_w = float(re.search(r"sample over [\d.]+ s: total ([\d.]+) W;", out).group(1))
    assert rapl_w == pytest.approx(23.0, rel=0.2)  # loose: the fake's writer may lag on a busy machine
    assert "nvml      unavailable: nvidia-ml-py is not installed" in out
    assert "ESTIMATED" in out


def test_without_counters_says_why(capsys):
    assert run(["--seconds", "0"]) == 0
    out = capsys.readouterr().out
    assert "auto picks: estimate" in out
    assert "rapl      unavailable:" in out and "does not exist" in out
    assert "sample over" not in out


@pytest.mark.parametrize("seconds", ["-1", "1e9", "inf", "nan", "86401"])
def test_seconds_out_of_range_are_refused_before_any_wait(seconds):
    # 1e9 used to sleep 31 years; inf and 1e20 raised OverflowError from time.sleep
    with pytest.raises(MeterError, match="--seconds must be from 0 to 86400"):
        run(["--seconds", seconds])


def test_a_long_sample_is_warned_about_once(monkeypatch, capsys):
    monkeypatch.setattr(command, "_sample", lambda meters, seconds: {})  # no real wait
    assert run(["--seconds", "600"]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "harness: warning: --seconds 600" in err


def test_mirrored_dies_are_shown_and_counted_once(powercap, capsys):
    from fake_powercap import make_die_powercap

    fake = powercap(builder=make_die_powercap, start_uj=[38419855704, 38419855704])
    fake.start({"package-0-die-0": 68.0, "package-0-die-0/core": 0.6},
               mirror={"package-0-die-1": "package-0-die-0", "package-0-die-1/core": "package-0-die-0/core"})
    assert run(["--seconds", "0.3"]) == 0
    out = capsys.readouterr().out
    rapl = out.split("\nrapl ", 1)[1].split("\npyrapl ", 1)[0]
    assert "; total = package-0-die-0\n" in rapl
    assert "mirrored: package-0-die-1 mirrors package-0-die-0: one counter, counted once (probed for " in rapl
    assert "ms: identical raw values that advance in lockstep)" in rapl
    watts = float(re.search(r"sample over [\d.]+ s: total ([\d.]+) W;", rapl).group(1))
    assert watts == pytest.approx(68.0, rel=0.2)  # not 136 W


def test_frozen_counters_are_shown_unavailable(powercap, capsys):
    powercap(sockets=1)  # no writer: the counters never move
    assert run(["--seconds", "0"]) == 0
    out = capsys.readouterr().out
    assert "auto picks: estimate" in out
    assert re.search(r"^rapl +unavailable: RAPL counters did not advance in [\d.]+ s: ", out, re.MULTILINE)


def test_estimate_shows_its_watts_per_core_and_their_source(capsys, monkeypatch, tmp_path):
    (tmp_path / "cpuinfo").write_text("processor\t: 0\nmodel name\t: Intel(R) Core(TM) i9-10900K CPU @ 3.70GHz\n")
    monkeypatch.setenv("HARNESS_PROCFS_ROOT", str(tmp_path))
    assert run(["--seconds", "0"]) == 0
    out = capsys.readouterr().out
    assert ("model: 12.50 W per busy core = tdp_w 125 W / 10 cores, from Green Algorithms TDP table: "
            "Core i9-10900K 125 W / 10 cores") in out
    assert "savings do not depend on the watts per core, absolute joules do" in out


def test_run_help_lists_every_meter(capsys):
    from harness.cli import build_parser
    from harness.meters import METER_NAMES

    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    meter_help = help_text.split("--meter NAME")[-1].split("--quiet", 1)[0]  # the options part, not usage
    for name in METER_NAMES:
        assert re.search(rf"\b{name}\b", meter_help), name


def test_nvml_names_the_gpus_it_does_not_measure(pynvml, monkeypatch, capsys):
    # codecarbon#1316 and #567: a GPU without the counter, GPUs not given to the job: said, not dropped
    pynvml([0, 0, 0], supported=[True, True, False], models=["T4", "T4", "Tesla P100"])
    assert run(["--seconds", "0"]) == 0
    out = capsys.readouterr().out
    assert "PARTIAL GPU total: not measured: gpu2 (Tesla P100): Not Supported" in out
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    monkeypatch.setenv("CUDA_DEVICE_ORDER", "PCI_BUS_ID")  # mixed models: CUDA's indices are NVML's only then
    assert run(["--seconds", "0"]) == 0
    out = capsys.readouterr().out
    assert "GPUs measured: gpu1 (CUDA_VISIBLE_DEVICES=1); not measured: gpu0, gpu2 (not given to this job)" in out
    assert "PARTIAL" not in out  # the P100 is not this job's GPU: the job's total is whole
