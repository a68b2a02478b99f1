"""A fake ``pynvml`` module: per-device energy counters in mJ that a test changes in place (set one
lower to act out a driver reload or GPU reset), devices that do not support the energy counter
(``NVMLError_NotSupported``, before Volta), UUIDs, models, MIG mode and MIG instances, an init
error; the ``pynvml`` fixture installs one in sys.modules (shared by the meter tests through
tests/meters/conftest.py) and clears ``CUDA_VISIBLE_DEVICES`` and ``CUDA_DEVICE_ORDER`` so that the
machine running the tests does not choose the GPUs (a test sets them with monkeypatch)."""

from __future__ import annotations

import sys
import types

import pytest


class FakeNVMLError(Exception):
    pass


class FakeNotSupported(FakeNVMLError):
    pass


def uuid_of(index: int) -> str:
    """The default UUID of fake GPU ``index``, in the form nvidia-smi -L prints."""
    return f"GPU-{index:08x}-1111-2222-3333-444444444444"


def fake_pynvml(energy_mj: list[int], supported: list[bool] | None = None, init_error=None,
                models: list[str] | None = None, uuids: list[str] | None = None, mig: list[bool] | None = None,
                mig_devices: dict[str, int] | None = None, by_uuid: bool = True):
    """``mig_devices``: MIG instance UUID -> its GPU's index; ``by_uuid``: the binding has
    nvmlDeviceGetHandleByUUID and nvmlDeviceGetDeviceHandleFromMigDeviceHandle (R470+), else a MIG
    instance can only be found by elimination."""
    n = len(energy_mj)
    supported = supported or [True] * n
    models = models or [f"Fake GPU {i}" for i in range(n)]
    uuids = uuids or [uuid_of(i) for i in range(n)]
    mig = mig or [False] * n
    mig_devices = mig_devices or {}
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

    def mig_mode(handle):
        return [int(mig[handle]), int(mig[handle])]

    def handle_by_uuid(uuid):
        if uuid in uuids:
            return uuids.index(uuid)
        if uuid in mig_devices:
            return ("mig", uuid)
        raise FakeNVMLError("Not Found")

    def parent_of(mig_handle):
        return mig_devices[mig_handle[1]]

    mod.nvmlInit = init
    mod.nvmlShutdown = lambda: mod.calls.append("shutdown")
    mod.nvmlDeviceGetCount = lambda: n
    mod.nvmlDeviceGetHandleByIndex = lambda i: i
    mod.nvmlDeviceGetIndex = lambda h: h
    mod.nvmlDeviceGetName = lambda h: models[h]
    mod.nvmlDeviceGetUUID = lambda h: uuids[h]
    mod.nvmlDeviceGetMigMode = mig_mode
    mod.nvmlDeviceGetTotalEnergyConsumption = energy
    if by_uuid:
        mod.nvmlDeviceGetHandleByUUID = handle_by_uuid
        mod.nvmlDeviceGetDeviceHandleFromMigDeviceHandle = parent_of
    return mod


@pytest.fixture
def pynvml(monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.delenv("CUDA_DEVICE_ORDER", raising=False)

    def install(*args, **kw):
        mod = fake_pynvml(*args, **kw)
        monkeypatch.setitem(sys.modules, "pynvml", mod)
        return mod

    return install
