"""The ``nvml`` meter: NVIDIA GPU energy from NVML's total-energy counter.

``nvmlDeviceGetTotalEnergyConsumption`` gives millijoules since the driver was loaded (Volta and
newer), a 64-bit counter that does not wrap in practice. Domains are ``gpu0``, ``gpu1``, ... (NVML
device index); total = their sum. The driver refreshes the counter every few tens of milliseconds,
so windows much shorter than that read 0 or one step.

Needs the optional extra ``pip install .[nvidia]`` (nvidia-ml-py, imported lazily as ``pynvml``).
Only GPU energy: combine it with a CPU meter, ``meter: [rapl, nvml]``.
"""

from __future__ import annotations

import time

from harness.errors import MeterError
from harness.meters.common import Measurement, Meter, Resolution


def import_pynvml():
    try:
        import pynvml
    except ImportError:
        raise MeterError(
            "nvidia-ml-py is not installed (module pynvml); pip install '.[nvidia]' or drop nvml "
            "from meter"
        ) from None
    return pynvml


class NvmlMeter(Meter):
    """Energy of NVIDIA GPUs. ``devices``: NVML indices to read (default: every GPU whose energy
    counter is supported; an index given explicitly must be supported)."""

    name = "nvml"
    estimated = False

    def __init__(self, devices: list[int] | None = None):
        nvml = import_pynvml()
        self._nvml = None
        try:
            nvml.nvmlInit()
        except Exception as e:  # NVMLError_LibraryNotFound, _DriverNotLoaded, ...
            raise MeterError(f"NVML cannot start (no NVIDIA driver or GPU?): {e}; drop nvml from meter") from None
        self._nvml = nvml
        try:
            count = nvml.nvmlDeviceGetCount()
            wanted = list(range(count)) if devices is None else [int(d) for d in devices]
            handles, names, models, unsupported = [], [], [], []
            for i in wanted:
                if not 0 <= i < count:
                    raise MeterError(f"nvml.devices: GPU {i} does not exist (NVML sees {count} GPU(s))")
                h = nvml.nvmlDeviceGetHandleByIndex(i)
                try:
                    nvml.nvmlDeviceGetTotalEnergyConsumption(h)
                except Exception as e:  # NVMLError_NotSupported before Volta
                    unsupported.append(f"gpu{i}: {e}")
                    continue
                model = nvml.nvmlDeviceGetName(h)
                handles.append(h)
                names.append(f"gpu{i}")
                models.append(model.decode() if isinstance(model, bytes) else str(model))
            if devices is not None and unsupported:
                raise MeterError(
                    "nvml: no total-energy counter on " + "; ".join(unsupported) + " (needs Volta or newer)"
                )
            if not handles:
                why = "; ".join(unsupported) if unsupported else "NVML sees no GPU"
                raise MeterError(f"nvml: no GPU with an energy counter ({why}); drop nvml from meter")
        except BaseException:
            self.close()
            raise
        self._handles = tuple(handles)
        self._names = tuple(names)
        self.models = models
        self.unsupported = unsupported

    def _read(self) -> tuple[int, ...]:
        get = self._nvml.nvmlDeviceGetTotalEnergyConsumption
        return tuple(get(h) for h in self._handles)

    def begin(self):
        return (time.perf_counter(), self._read())

    def end(self, token) -> Measurement:
        e1 = self._read()
        t1 = time.perf_counter()
        t0, e0 = token
        domains = {n: (a - b) * 1e-3 for n, a, b in zip(self._names, e1, e0)}
        return Measurement(total_j=sum(domains.values()), duration_s=t1 - t0, domains_j=domains)

    def domains(self) -> list[str]:
        return list(self._names)

    def resolution(self) -> Resolution:
        """The counter counts in mJ; the driver refreshes it every few tens of ms. 0.1 s is an
        assumed, conservative update period (NVML documents none for this counter)."""
        return Resolution(energy_j=1e-3, update_s=0.1,
                          source="NVML total-energy counter: 1 mJ steps, update period assumed 0.1 s")

    def describe(self) -> dict:
        return {
            **super().describe(),
            "gpus": dict(zip(self._names, self.models)),
            "unsupported": self.unsupported,
        }

    def close(self) -> None:
        nvml, self._nvml = self._nvml, None
        if nvml is not None:
            try:
                nvml.nvmlShutdown()
            except Exception:
                pass
