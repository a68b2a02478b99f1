"""A fake ``pynvml`` module: per-device energy counters in mJ that a test changes in place, devices
that do not support the energy counter, an init error; the ``pynvml`` fixture installs one in
sys.modules (shared by the meter tests through tests/meters/conftest.py)."""

from __future__ import annotations

import sys
import types

import pytest


class FakeNVMLError(Exception):
    pass


class FakeNotSupported(FakeNVMLError):
    pass


def fake_pynvml(energy_mj: list[int], supported: list[bool] | None = None, init_error=None):
    supported = supported or [True] * len(energy_mj)
    mod = types.ModuleType("pynvml")
    mod.NVMLError = FakeNVMLError
    mod.energy_mj = energy_mj  # tests change it in place
    mod.calls = []

    def init():
        if init_error:
            raise init_error
        mod.calls.append("init")

    def energy(handle):
        if not supported[handle]:
            raise FakeNotSupported("Not Supported")
        return mod.energy_mj[handle]

    mod.nvmlInit = init
    mod.nvmlShutdown = lambda: mod.calls.append("shutdown")
    mod.nvmlDeviceGetCount = lambda: len(energy_mj)
    mod.nvmlDeviceGetHandleByIndex = lambda i: i
    mod.nvmlDeviceGetName = lambda h: f"Fake GPU {h}"
    mod.nvmlDeviceGetTotalEnergyConsumption = energy
    return mod


@pytest.fixture
def pynvml(monkeypatch):
    def install(*args, **kw):
        mod = fake_pynvml(*args, **kw)
        monkeypatch.setitem(sys.modules, "pynvml", mod)
        return mod

    return install
