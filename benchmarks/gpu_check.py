"""Does the harness's ``nvml`` meter agree with the GPU's own power readings? Run on a machine with an
NVIDIA GPU::

    PYTHONPATH=. python3 benchmarks/gpu_check.py [--seconds 4] [--windows 3] [--device 0] [--json PATH]

It puts the GPU under load (repeated large matmuls: PyTorch in bf16 where the GPU has it, else fp32;
CuPy fp32 when PyTorch is missing or has no CUDA), measures ``--windows`` busy windows of ``--seconds``
each and one idle window with the harness's meter, opened as a run opens it
(``open_meter("nvml", {"nvml": {"devices": [i]}})``, then ``begin()`` / ``end(token)`` per window),
and meanwhile samples ``nvmlDeviceGetPowerUsage`` (mW) every ``--interval-ms`` (10) in a background
thread. Per window it compares the meter's joules (NVML's total-energy counter) with the trapezoid
integral of the sampled power over the same ``time.perf_counter`` interval. PASS: every busy window
within ``--tolerance`` (2%); ml-energy/zeus#12 reports the two within 1%. The idle window is shown, not
judged. Exit 0 PASS, 1 FAIL, 2 when there is nothing to check (no pynvml, driver, GPU, energy
counter, or neither PyTorch nor CuPy with CUDA): one line on stderr, no traceback.

Why the windows are laid out as they are:

* the counter is refreshed every few tens of ms, so a window's ends are each late by up to one
  refresh; windows of several seconds keep that well under 1%;
* on Ampere and newer (except GA100) NVML documents ``nvmlDeviceGetPowerUsage`` as a mean over the
  last second, not the power now. Integrated over a window that starts at a step from idle to busy,
  that mean lags and reads low. So every window starts and ends in a steady state: the load runs
  for ``--warmup-seconds`` before the first busy window and the busy windows follow one another
  without a pause; the GPU rests ``--settle-seconds`` before the idle window. Both sources then
  measure the same steady power, and any difference is the meter's (or the counter's).

``--device`` is a CUDA index as PyTorch/CuPy see it (after ``CUDA_VISIBLE_DEVICES``); NVML numbers GPUs
its own way (PCI order, every GPU), so the NVML index is found by the device's PCI bus id, or its
UUID when the library gives no PCI id. Needs only the standard library, PyTorch (or CuPy),
nvidia-ml-py and the harness on the path: the harness modules it uses import nothing else
(``tests/test_gpu_check.py`` runs it with every other package blocked).
"""

from __future__ import annotations

import importlib
import argparse
import json
import math
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from harness.errors import MeterError  # noqa: E402
from harness.meters import open_meter  # noqa: E402

TOLERANCE = 0.02
MATMUL_N = 8192  # 8192 x 8192: ~1.1 TFLOP per product, a few ms on a current data-centre GPU
BATCH_S = 0.025  # products enqueued between two synchronize() calls: about this long on the GPU


class Unavailable(Exception):
    """Nothing to check here (no GPU, driver, library): one line, exit 2."""


# ---------------------------------------------------------------------------------------------
# The load: a work function that keeps one GPU busy for a given time
# ---------------------------------------------------------------------------------------------

@dataclass
class Backend:
    """``work(seconds)`` keeps the GPU busy for at least ``seconds`` and returns once the GPU has
    finished every kernel it launched. ``pci`` = (domain, bus, device) and ``uuid`` identify the
    GPU for NVML (either may be None)."""

    work: Callable[[float], None]
    description: str
    cuda_index: int
    pci: tuple[int, int, int] | None = None
    uuid: str | None = None


def _busy_loop(step: Callable[[], None], sync: Callable[[], None], seconds: float, batch: int) -> None:
    deadline = time.perf_counter() + seconds
    while True:
        for _ in range(batch):
            step()
        sync()  # the GPU has done the work; also releases the GIL so the sampler thread runs
        if time.perf_counter() >= deadline:
            return


def _calibrated_batch(step, sync) -> int:
    """How many products take about ``BATCH_S`` on this GPU (after a first, initialising call)."""
    step()
    sync()
    t = time.perf_counter()
    for _ in range(3):
        step()
    sync()
    one = max((time.perf_counter() - t) / 3, 1e-6)
    return max(1, round(BATCH_S / one))


def torch_backend(cuda_index: int) -> Backend:
    import torch

    if not torch.cuda.is_available():
        raise Unavailable(f"PyTorch {torch.__version__} sees no CUDA device (CPU-only build, or no driver)")
    count = torch.cuda.device_count()
    if not 0 <= cuda_index < count:
        raise Unavailable(f"--device {cuda_index}: PyTorch sees {count} CUDA device(s)")
    dev = torch.device("cuda", cuda_index)
    torch.cuda.set_device(dev)
    props = torch.cuda.get_device_properties(cuda_index)
    pci = None
    if all(hasattr(props, a) for a in ("pci_domain_id", "pci_bus_id", "pci_device_id")):
        pci = (int(props.pci_domain_id), int(props.pci_bus_id), int(props.pci_device_id))
    uuid = str(props.uuid) if hasattr(props, "uuid") else None
    dtype = torch.bfloat16 if props.major >= 8 else torch.float32
    gen = torch.Generator(device=dev).manual_seed(0)
    a = torch.randn(MATMUL_N, MATMUL_N, device=dev, dtype=dtype, generator=gen)
    b = torch.randn(MATMUL_N, MATMUL_N, device=dev, dtype=dtype, generator=gen)
    c = torch.empty_like(a)

    def step():
        torch.matmul(a, b, out=c)

    def sync():
        torch.cuda.synchronize(dev)

    batch = _calibrated_batch(step, sync)
    return Backend(
        work=lambda seconds: _busy_loop(step, sync, seconds, batch),
        description=(f"PyTorch {torch.__version__}: {str(dtype).replace('torch.', '')} matmul "
                     f"{MATMUL_N}x{MATMUL_N}, {batch} per synchronize"),
        cuda_index=cuda_index, pci=pci, uuid=uuid)


def cupy_backend(cuda_index: int) -> Backend:
    import cupy

    count = cupy.cuda.runtime.getDeviceCount()
    if not 0 <= cuda_index < count:
        raise Unavailable(f"--device {cuda_index}: CuPy sees {count} CUDA device(s)")
    device = cupy.cuda.Device(cuda_index)
    device.use()
    pci = parse_pci(device.pci_bus_id)
    rng = cupy.random.default_rng(0)
    a = rng.standard_normal((MATMUL_N, MATMUL_N), dtype=cupy.float32)
    b = rng.standard_normal((MATMUL_N, MATMUL_N), dtype=cupy.float32)
    c = cupy.empty_like(a)

    def step():
        cupy.matmul(a, b, out=c)

    batch = _calibrated_batch(step, device.synchronize)
    return Backend(
        work=lambda seconds: _busy_loop(step, device.synchronize, seconds, batch),
        description=f"CuPy {cupy.__version__}: float32 matmul {MATMUL_N}x{MATMUL_N}, {batch} per synchronize",
        cuda_index=cuda_index, pci=pci)


def default_backend(cuda_index: int) -> Backend:
    """PyTorch if it imports and sees CUDA, else CuPy; Unavailable when neither can load the GPU."""
    reasons = []
    for name, make in (("PyTorch", torch_backend), ("CuPy", cupy_backend)):
        try:
            return make(cuda_index)
        except ImportError:
            reasons.append(f"{name} is not installed")
        except Unavailable as e:
            reasons.append(str(e))
        except Exception as e:  # a CUDA runtime error: no usable device
            reasons.append(f"{name}: {type(e).__name__}: {' '.join(str(e).split())}")
    raise Unavailable("nothing to load the GPU with: " + "; ".join(reasons))


# ---------------------------------------------------------------------------------------------
# CUDA device -> NVML index
# ---------------------------------------------------------------------------------------------

def parse_pci(bus_id) -> tuple[int, int, int] | None:
    """"0000:18:00.0" or "00000000:18:00.0" -> (domain, bus, device) as ints; None if unreadable."""
    if isinstance(bus_id, bytes):
        bus_id = bus_id.decode()
    try:
        domain, bus, rest = str(bus_id).strip().split(":")
        return int(domain, 16), int(bus, 16), int(rest.split(".")[0], 16)
    except ValueError:
        return None


def format_pci(pci) -> str:
    return "unknown" if pci is None else f"{pci[0]:04x}:{pci[1]:02x}:{pci[2]:02x}.0"


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def nvml_index_for(nvml, backend: Backend) -> int:
    """The NVML index of the backend's GPU: by PCI bus id, else by UUID, else the only GPU NVML
    sees. CUDA's order (and CUDA_VISIBLE_DEVICES) does not apply to NVML, so index i in one is not
    index i in the other."""
    count = nvml.nvmlDeviceGetCount()
    handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
    if backend.pci is not None:
        for i, h in enumerate(handles):
            info = nvml.nvmlDeviceGetPciInfo(h)
            if (int(info.domain), int(info.bus), int(info.device)) == tuple(backend.pci):
                return i
        raise Unavailable(f"CUDA device {backend.cuda_index} is at PCI {format_pci(backend.pci)}, which is none "
                          f"of the {count} GPU(s) NVML lists")
    if backend.uuid:
        want = backend.uuid.lower().removeprefix("gpu-")
        for i, h in enumerate(handles):
            if _text(nvml.nvmlDeviceGetUUID(h)).lower().removeprefix("gpu-") == want:
                return i
    if count == 1:
        return 0
    raise Unavailable(f"cannot tell which of NVML's {count} GPUs is CUDA device {backend.cuda_index}: the GPU "
                      "library gives neither its PCI bus id nor its UUID (a newer PyTorch does)")


# ---------------------------------------------------------------------------------------------
# Power sampling and its integral
# ---------------------------------------------------------------------------------------------

class PowerSampler:
    """Samples ``nvmlDeviceGetPowerUsage`` every ``interval_s`` in a daemon thread: ``times``
    (perf_counter, the midpoint of the call) and ``watts``. It also reads the energy counter on
    each tick and records when its value changed (``counter_changes``), which shows how often the
    driver refreshes it."""

    def __init__(self, nvml, handle, interval_s: float = 0.01):
        self._nvml, self._handle, self.interval_s = nvml, handle, interval_s
        self.times: list[float] = []
        self.watts: list[float] = []
        self.counter_changes: list[float] = []
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="nvml-power-sampler", daemon=True)

    def _loop(self) -> None:
        power = self._nvml.nvmlDeviceGetPowerUsage
        energy = self._nvml.nvmlDeviceGetTotalEnergyConsumption
        h, last = self._handle, None
        next_t = time.perf_counter()
        try:
            while not self._stop.is_set():
                t0 = time.perf_counter()
                mw = power(h)
                t1 = time.perf_counter()
                self.times.append((t0 + t1) / 2)
                self.watts.append(mw / 1000.0)
                e = energy(h)
                if last is not None and e != last:
                    self.counter_changes.append(time.perf_counter())
                last = e
                next_t += self.interval_s
                delay = next_t - time.perf_counter()
                if delay > 0:
                    self._stop.wait(delay)
                else:
                    next_t = time.perf_counter()  # late (the GIL, a loaded machine): start afresh
        except BaseException as e:  # an NVML error mid-run: reported by the caller
            self.error = e

    def start(self) -> "PowerSampler":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def integrate(times: list[float], watts: list[float], t0: float, t1: float) -> tuple[float, int, float]:
    """Trapezoid integral (J) of the samples over [t0, t1]; the power at t0 and t1 is interpolated
    between the samples either side (or held from the nearest one at the ends of the record).
    Returns (joules, samples inside the window, the largest gap in s between consecutive points)."""
    if not times:
        return math.nan, 0, math.inf

    def at(t: float) -> float:
        if t <= times[0]:
            return watts[0]
        if t >= times[-1]:
            return watts[-1]
        lo, hi = 0, len(times) - 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if times[mid] <= t:
                lo = mid
            else:
                hi = mid
        f = (t - times[lo]) / (times[hi] - times[lo]) if times[hi] > times[lo] else 0.0
        return watts[lo] + f * (watts[hi] - watts[lo])

    inside = [(t, w) for t, w in zip(times, watts) if t0 < t < t1]
    pts = [(t0, at(t0)), *inside, (t1, at(t1))]
    joules = sum((tb - ta) * (wa + wb) / 2 for (ta, wa), (tb, wb) in zip(pts, pts[1:]))
    # a gap at an edge counts from the last sample before it (the interpolation spans that)
    before = [t for t in times if t <= t0][-1:] or [t0]
    after = [t for t in times if t >= t1][:1] or [t1]
    edges = [before[0], *(t for t, _ in inside), after[0]]
    gap = max(b - a for a, b in zip(edges, edges[1:]))
    return joules, len(inside), gap


# ---------------------------------------------------------------------------------------------
# The check
# ---------------------------------------------------------------------------------------------

@dataclass
class Window:
    name: str
    kind: str  # "busy" or "idle"
    duration_s: float
    counter_j: float  # the harness meter's Measurement.total_j
    integrated_j: float  # trapezoid integral of nvmlDeviceGetPowerUsage
    samples: int
    max_gap_ms: float
    t0: float = field(default=0.0, repr=False)
    t1: float = field(default=0.0, repr=False)

    @property
    def rel_diff(self) -> float:
        """(counter - integrated) / integrated."""
        return (self.counter_j - self.integrated_j) / self.integrated_j if self.integrated_j > 0 else math.nan

    @property
    def mean_w(self) -> float:
        return self.counter_j / self.duration_s if self.duration_s > 0 else math.nan

    def as_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "duration_s": self.duration_s, "counter_j": self.counter_j,
                "integrated_j": self.integrated_j, "rel_diff": self.rel_diff, "mean_w": self.mean_w,
                "integrated_mean_w": self.integrated_j / self.duration_s if self.duration_s > 0 else math.nan,
                "power_samples": self.samples, "max_gap_ms": self.max_gap_ms}


@dataclass
class CheckResult:
    windows: list[Window]
    tolerance: float
    counter_update_ms: float | None  # median time between observed changes of the energy counter
    sample_interval_ms: float | None  # median time between power samples

    @property
    def busy(self) -> list[Window]:
        return [w for w in self.windows if w.kind == "busy"]

    @property
    def idle(self) -> list[Window]:
        return [w for w in self.windows if w.kind == "idle"]

    def failures(self) -> list[str]:
        out = []
        for w in self.busy:
            if w.samples < 2 or not math.isfinite(w.integrated_j):
                out.append(f"{w.name}: {w.samples} power sample(s) in the window, too few to integrate")
            elif not abs(w.rel_diff) <= self.tolerance:
                out.append(f"{w.name}: counter {w.counter_j:.1f} J vs integrated power {w.integrated_j:.1f} J "
                           f"({w.rel_diff * 100:+.2f}%, tolerance {self.tolerance * 100:g}%)")
        return out

    @property
    def passed(self) -> bool:
        return bool(self.busy) and not self.failures()

    def verdict(self) -> str:
        if self.passed:
            return "PASS"
        return "FAIL " + ("; ".join(self.failures()) or "no busy window measured")


def _mean_w(windows: list[Window]) -> float:
    d = sum(w.duration_s for w in windows)
    return sum(w.counter_j for w in windows) / d if d > 0 else math.nan


def _median_step_ms(stamps: list[float]) -> float | None:
    steps = [b - a for a, b in zip(stamps, stamps[1:])]
    return statistics.median(steps) * 1000 if steps else None


def preflight(nvml, nvml_index: int):
    """The GPU's handle, once both sources read: a power reading, and the harness's meter opens on
    it (MeterError otherwise: no energy counter before Volta). Unavailable when there is no power."""
    handle = nvml.nvmlDeviceGetHandleByIndex(nvml_index)
    try:
        nvml.nvmlDeviceGetPowerUsage(handle)
    except Exception as e:
        raise Unavailable(f"NVML GPU {nvml_index} gives no power reading (nvmlDeviceGetPowerUsage: {e})") from None
    open_meter("nvml", {"nvml": {"devices": [nvml_index]}}).meter.close()
    return handle


def run_check(nvml, nvml_index: int, work: Callable[[float], None], *, seconds: float = 4.0, windows: int = 3,
              idle_seconds: float = 3.0, warmup_seconds: float = 1.5, settle_seconds: float = 2.0,
              interval_s: float = 0.01, tolerance: float = TOLERANCE,
              progress: Callable[[str], None] | None = None) -> CheckResult:
    """Busy windows (``work`` running) and one idle window, each measured by the harness's nvml
    meter and by the integral of sampled power. ``nvml`` is the pynvml module (or a fake one; the
    meter imports ``pynvml`` itself, so a fake must also be in ``sys.modules``)."""
    say = progress or (lambda msg: None)
    handle = preflight(nvml, nvml_index)
    meter = open_meter("nvml", {"nvml": {"devices": [nvml_index]}}).meter  # as a run opens it
    sampler = PowerSampler(nvml, handle, interval_s).start()
    measured: list[Window] = []

    def window(name: str, kind: str, action: Callable[[], None]) -> None:
        a = time.perf_counter()
        token = meter.begin()
        t0 = (a + time.perf_counter()) / 2
        action()
        b = time.perf_counter()
        m = meter.end(token)
        t1 = (b + time.perf_counter()) / 2
        measured.append(Window(name, kind, t1 - t0, m.total_j, math.nan, 0, math.nan, t0, t1))
        say(f"{name}: {m.total_j:.1f} J over {t1 - t0:.2f} s")

    try:
        say(f"warming up for {warmup_seconds:g} s")
        work(warmup_seconds)
        for i in range(windows):
            window(f"busy {i + 1}", "busy", lambda: work(seconds))
        say(f"settling for {settle_seconds:g} s")
        time.sleep(settle_seconds)
        if idle_seconds > 0:
            window("idle", "idle", lambda: time.sleep(idle_seconds))
        time.sleep(2 * interval_s)  # a sample after the last window's end, to interpolate at it
    finally:
        sampler.stop()
        meter.close()
    if sampler.error is not None:
        raise Unavailable(f"sampling nvmlDeviceGetPowerUsage failed: {sampler.error}")
    for w in measured:
        w.integrated_j, w.samples, gap = integrate(sampler.times, sampler.watts, w.t0, w.t1)
        w.max_gap_ms = gap * 1000
    return CheckResult(measured, tolerance, _median_step_ms(sampler.counter_changes),
                       _median_step_ms(sampler.times))


def format_table(result: CheckResult) -> str:
    head = ("window", "seconds", "counter J", "integrated J", "diff %", "mean W", "samples", "max gap ms")
    rows = [head]
    for w in result.windows:
        judged = "" if w.kind == "busy" else " (not judged)"
        rows.append((w.name + judged, f"{w.duration_s:.2f}", f"{w.counter_j:.1f}", f"{w.integrated_j:.1f}",
                     f"{w.rel_diff * 100:+.2f}", f"{w.mean_w:.1f}", str(w.samples), f"{w.max_gap_ms:.1f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(n) if i == 0 else c.rjust(n) for i, (c, n) in enumerate(zip(r, widths)))
             for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def summary_lines(result: CheckResult) -> list[str]:
    busy, idle = result.busy, result.idle
    out = []
    if idle:
        out.append(f"idle: {_mean_w(idle):.1f} W (the harness's meter over {idle[0].duration_s:.1f} s at rest)")
    if busy:
        out.append(f"busy: {_mean_w(busy):.1f} W (mean of {len(busy)} window(s))")
    if result.counter_update_ms is not None:
        out.append(f"energy counter changed every {result.counter_update_ms:.0f} ms (median, as seen by the "
                   f"sampler every {result.sample_interval_ms or math.nan:.1f} ms; the meter's resolution assumes 100 ms)")
    return out


# ---------------------------------------------------------------------------------------------
# What `python -m harness meters` shows
# ---------------------------------------------------------------------------------------------

def harness_meters_view(seconds: float = 1.0) -> list[str]:
    """The lines ``python -m harness meters`` prints for the nvml meter, made by the same code in
    process: the command's ``open_meter`` (every GPU, as the command opens it), its ``_facts`` and
    its ``_sample`` over ``seconds``. Only nvml: the command's other meters need RAPL or pyRAPL.

    THE ONLY USE OF THE `meters` COMMAND'S CODE IN THIS FILE. ``harness/meters/command.py`` is
    moving to ``harness/cli/meters.py``: when it does, change the import below and nothing else.
    If the import fails, the nvml meter's own ``describe()`` is shown instead, and the lines say so.
    """
    try:
        meters_command = importlib.import_module("harness.cli.meters")
    except ImportError as e:
        return [f"(the `meters` command's code does not import: {e}; the nvml meter's own describe() instead)",
                *_describe_lines()]
    width = max(len(n) for n in meters_command.METER_NAMES if n != "auto")  # the command's column
    try:
        meter = meters_command.open_meter("nvml").meter
    except MeterError as e:
        return [f"{'nvml':<{width}}  unavailable: {e}"]
    indent = " " * (width + 2)
    try:
        lines = [f"{'nvml':<{width}}  available",
                 f"{indent}domains: {', '.join(meter.domains()) or '-'}; "
                 f"total = {' + '.join(meter.total_domains()) or '-'}"]
        lines += [indent + line for line in meters_command._facts(meter)]
        m = meters_command._sample({"nvml": meter}, seconds).get("nvml")
        if m is not None and m.duration_s > 0:
            d = m.duration_s
            parts = ", ".join(f"{k} {j / d:.2f} W" for k, j in m.domains_j.items())
            lines.append(f"{indent}sample over {d:.2f} s: total {m.total_j / d:.2f} W; {parts}")
        return lines
    finally:
        meter.close()


def _describe_lines() -> list[str]:
    try:
        meter = open_meter("nvml").meter
    except MeterError as e:
        return [f"nvml unavailable: {e}"]
    try:
        return [f"nvml describe(): {json.dumps(meter.describe())}"]
    finally:
        meter.close()


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=" ".join(__doc__.split("::")[0].split()) + ".")  # first two lines
    p.add_argument("--seconds", type=float, default=4.0, help="length of each busy window (default 4)")
    p.add_argument("--windows", type=int, default=3, help="busy windows (default 3)")
    p.add_argument("--device", type=int, default=0,
                   help="CUDA device index as PyTorch/CuPy number them, after CUDA_VISIBLE_DEVICES (default 0)")
    p.add_argument("--idle-seconds", type=float, default=3.0, help="length of the idle window (default 3; 0: none)")
    p.add_argument("--warmup-seconds", type=float, default=1.5,
                   help="load before the first busy window, so it starts in a steady state (default 1.5)")
    p.add_argument("--settle-seconds", type=float, default=2.0,
                   help="rest before the idle window (default 2)")
    p.add_argument("--interval-ms", type=float, default=10.0, help="power sampling period (default 10)")
    p.add_argument("--tolerance", type=float, default=TOLERANCE, help="largest |relative difference| (default 0.02)")
    p.add_argument("--meters-seconds", type=float, default=1.0,
                   help="sample of the `meters` view, as its --seconds (default 1; 0: no sample)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    args = p.parse_args(argv)
    for name in ("seconds", "idle_seconds", "warmup_seconds", "settle_seconds", "interval_ms", "tolerance",
                 "meters_seconds"):
        v, positive = getattr(args, name), name in ("seconds", "interval_ms")
        if not math.isfinite(v) or v < 0 or (positive and v == 0):
            p.error(f"--{name.replace('_', '-')} must be a finite number {'> 0' if positive else '>= 0'}, got {v:g}")
    if args.windows < 1:
        p.error(f"--windows must be at least 1, got {args.windows}")
    return args


def _nvml_start(nvml) -> None:
    try:
        nvml.nvmlInit()
    except Exception as e:  # NVMLError_LibraryNotFound, _DriverNotLoaded, ...
        raise Unavailable(f"NVML cannot start (no NVIDIA driver or GPU?): {' '.join(str(e).split())}") from None
    try:
        count = nvml.nvmlDeviceGetCount()
    except Exception as e:
        nvml.nvmlShutdown()
        raise Unavailable(f"NVML cannot count GPUs: {e}") from None
    if count < 1:
        nvml.nvmlShutdown()
        raise Unavailable("NVML sees no GPU")


def main(argv=None, *, nvml=None, make_backend: Callable[[int], Backend] | None = None) -> int:
    """``nvml``: the pynvml module (default: ``import pynvml``); ``make_backend(cuda_index)``: the
    load (default: PyTorch, else CuPy). Both are parameters for the CPU-only test."""
    args = parse_args(argv)
    try:
        if nvml is None:
            try:
                import pynvml as nvml
            except ImportError:
                raise Unavailable("nvidia-ml-py is not installed (module pynvml): pip install nvidia-ml-py") from None
        _nvml_start(nvml)
        try:
            return _check(args, nvml, make_backend or default_backend)
        finally:
            try:
                nvml.nvmlShutdown()
            except Exception:
                pass
    except (Unavailable, MeterError) as e:
        print(f"gpu_check: no GPU to check: {e}", file=sys.stderr)
        return 2


def _check(args, nvml, make_backend) -> int:
    backend = make_backend(args.device)
    index = nvml_index_for(nvml, backend)
    handle = preflight(nvml, index)  # nothing printed before this: a GPU that cannot be checked is one line
    name = _text(nvml.nvmlDeviceGetName(handle))
    try:
        driver = _text(nvml.nvmlSystemGetDriverVersion())
    except Exception:
        driver = "unknown"
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    gpu = {"name": name, "nvml_index": index, "cuda_index": args.device, "pci_bus_id": format_pci(backend.pci),
           "uuid": backend.uuid, "driver": driver, "cuda_visible_devices": visible}
    print(f"GPU: {name}, NVML index {index} = CUDA device {args.device}"
          f"{f' (CUDA_VISIBLE_DEVICES={visible})' if visible is not None else ''}, PCI {format_pci(backend.pci)}, "
          f"driver {driver}")
    print(f"load: {backend.description}")
    print("harness `meters` view (nvml only):")
    view = harness_meters_view(args.meters_seconds)
    for line in view:
        print("  " + line)
    print(f"measuring: {args.warmup_seconds:g} s warm-up, {args.windows} busy window(s) of {args.seconds:g} s, "
          f"{args.settle_seconds:g} s rest, an idle window of {args.idle_seconds:g} s; power sampled every "
          f"{args.interval_ms:g} ms", flush=True)
    result = run_check(nvml, index, backend.work, seconds=args.seconds, windows=args.windows,
                       idle_seconds=args.idle_seconds, warmup_seconds=args.warmup_seconds,
                       settle_seconds=args.settle_seconds, interval_s=args.interval_ms / 1000,
                       tolerance=args.tolerance)
    print()
    print(format_table(result))
    print()
    for line in summary_lines(result):
        print(line)
    verdict = result.verdict()
    if args.json:
        report = {
            "gpu": gpu, "load": backend.description, "harness_meters_view": view,
            "settings": {k: getattr(args, k) for k in ("seconds", "windows", "idle_seconds", "warmup_seconds",
                                                        "settle_seconds", "interval_ms", "tolerance")},
            "windows": [w.as_dict() for w in result.windows],
            "idle_w": _mean_w(result.idle) if result.idle else None,
            "busy_w": _mean_w(result.busy),
            "counter_update_ms": result.counter_update_ms,
            "sample_interval_ms": result.sample_interval_ms,
            "passed": result.passed, "verdict": verdict, "harness_commit": _git_head(),
        }
        Path(args.json).write_text(json.dumps(_finite(report), indent=2, allow_nan=False) + "\n")
        print(f"results written to {args.json}")
    print(verdict)
    return 0 if result.passed else 1


def _git_head() -> str | None:
    """The checkout's commit, so numbers copied into the README say which code made them."""
    import subprocess

    try:
        out = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _finite(value):
    """NaN and infinities as null (JSON has neither), through dicts and lists."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


if __name__ == "__main__":
    sys.exit(main())
