"""``python -m harness meters`` on a fake tree and on none."""

from __future__ import annotations

import argparse
import re

import pytest

from harness.errors import MeterError
from harness.meters import command


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


def test_negative_seconds():
    with pytest.raises(MeterError):
        run(["--seconds", "-1"])
