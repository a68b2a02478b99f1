"""A fake ``pynvml`` module whose one GPU draws a known, piecewise-constant power.

Built in the style of ``tests/meters/test_nvml.py`` (a ``types.ModuleType`` put into
``sys.modules["pynvml"]``), but driven by the clock: the energy counter is the integral of the power
profile over ``time.monotonic()``, so a meter window and a power sampler can be checked against each
other with real sleeps. Importable without pytest (the import-chain test loads it in a bare
subprocess)::

    fake = make_fake_pynvml(idle_w=60.0)
    sys.modules["pynvml"] = fake
    fake.set_power(300.0)        # from now on the GPU draws 300 W
    ...
    fake.set_power(60.0)

``nvmlDeviceGetTotalEnergyConsumption`` returns whole mJ of that integral times ``counter_scale``
(1.1: a counter that reads 10% high), refreshed every ``counter_period_s`` (0: on every read), as the
driver's counter is. ``nvmlDeviceGetPowerUsage`` returns whole mW: the power now, or its mean over
the last ``power_avg_s`` (NVML documents a 1 s mean on Ampere and newer, except GA100).
"""

from __future__ import annotations

import math
import threading
import time
import types


class FakeNVMLError(Exception):
    pass


def make_fake_pynvml(idle_w: float = 60.0, *, counter_scale: float = 1.0, counter_period_s: float = 0.0,
                     power_avg_s: float = 0.0, pci: tuple[int, int, int] = (0, 0x18, 0),
                     uuid: str = "GPU-00000000-1111-2222-3333-444444444444", init_error=None,
                     energy_supported: bool = True, power_supported: bool = True) -> types.ModuleType:
    mod = types.ModuleType("pynvml")
    mod.__file__ = "<fake pynvml>"
    mod.NVMLError = FakeNVMLError
    start = time.monotonic()
    lock = threading.Lock()
    segments = [(start, float(idle_w))]  # (from, watts), times increasing
    mod.calls = []

    def set_power(watts: float) -> None:
        with lock:
            segments.append((time.monotonic(), float(watts)))

    def energy_j(t: float) -> float:
        """Integral of the profile from ``start`` to ``t`` (negative before it: the GPU idled then)."""
        with lock:
            segs = list(segments)
        total = min(t - start, 0.0) * idle_w
        for (t0, w), nxt in zip(segs, segs[1:] + [(math.inf, 0.0)]):
            if t <= t0:
                break
            total += w * (min(t, nxt[0]) - t0)
        return total

    def power_w(t: float) -> float:
        if power_avg_s > 0:
            return (energy_j(t) - energy_j(t - power_avg_s)) / power_avg_s
        with lock:
            return [w for t0, w in segments if t0 <= t][-1]

    def check(handle) -> None:
        if handle != 0:
            raise FakeNVMLError("Invalid Argument")

    def init():
        if init_error is not None:
            raise init_error
        mod.calls.append("init")

    def energy(handle):
        check(handle)
        if not energy_supported:
            raise FakeNVMLError("Not Supported")
        t = time.monotonic()
        if counter_period_s > 0:
            t = start + math.floor((t - start) / counter_period_s) * counter_period_s
        return int(energy_j(t) * counter_scale * 1000)

    def power(handle):
        check(handle)
        if not power_supported:
            raise FakeNVMLError("Not Supported")
        return int(power_w(time.monotonic()) * 1000)

    def pci_info(handle):
        check(handle)
        domain, bus, device = pci
        return types.SimpleNamespace(domain=domain, bus=bus, device=device,
                                     busId=f"{domain:08X}:{bus:02X}:{device:02X}.0")

    mod.set_power = set_power
    mod.power_at = power_w
    mod.nvmlInit = init
    mod.nvmlShutdown = lambda: mod.calls.append("shutdown")
    mod.nvmlDeviceGetCount = lambda: 1
    mod.nvmlDeviceGetHandleByIndex = lambda i: (check(i), i)[1]
    mod.nvmlDeviceGetName = lambda h: "Fake GPU"
    mod.nvmlDeviceGetUUID = lambda h: uuid
    mod.nvmlDeviceGetPciInfo = pci_info
    mod.nvmlDeviceGetTotalEnergyConsumption = energy
    mod.nvmlDeviceGetPowerUsage = power
    mod.nvmlSystemGetDriverVersion = lambda: "000.00-fake"
    return mod
