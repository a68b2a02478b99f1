"""What a window of the Python API costs: ``python benchmarks/api_overhead.py``.

Times, per window (median and 90th percentile of ``--repeat`` windows around an empty block, in
microseconds), for the ``estimate`` meter and for ``rapl`` on a fake powercap tree whose counters
a writer thread raises (the API probes its meter, so static counters would be refused):

* the backend's own ``end(begin())`` (``harness.meters``: what a run's phase costs);
* ``EnergyMeter.end(EnergyMeter.begin())``;
* ``with meter.window(): pass``;
* a call of an empty function decorated with ``@harness.measured(meter=...)``, less the same
  call undecorated.

The API's cost is the difference between the rows and the first: a ``Window`` object and a
context manager. Opening the meter (probe, no baseline) is timed once per meter. Target: each
window row within a few microseconds of the backend's own, and under 100 µs in all.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, str(REPO))


def _timed(fn, repeat: int) -> tuple[float, float]:
    """Median and 90th percentile of ``fn()``'s wall time, in microseconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e6)
    times.sort()
    return statistics.median(times), times[int(0.9 * (len(times) - 1))]


def _rows(label: str, name: str, repeat: int) -> list[tuple[str, float, float]]:
    from harness import EnergyMeter  # imported before the clock starts: opening is what is timed

    t0 = time.perf_counter()
    meter = EnergyMeter(name)
    opened_us = (time.perf_counter() - t0) * 1e6
    backend = meter.selection.meter

    def window():
        with meter.window():
            pass

    def empty():
        return None

    from harness import measured

    decorated = measured(meter=meter)(empty)
    try:
        rows = [(f"{label}: open (probe, no baseline), once", opened_us, opened_us),
                (f"{label}: backend end(begin())", *_timed(lambda: backend.end(backend.begin()), repeat)),
                (f"{label}: EnergyMeter end(begin())", *_timed(lambda: meter.end(meter.begin()), repeat)),
                (f"{label}: with meter.window()", *_timed(window, repeat))]
        bare = _timed(empty, repeat)
        wrapped = _timed(decorated, repeat)
        decorated.windows.clear()
        rows.append((f"{label}: @measured call - bare call", wrapped[0] - bare[0], wrapped[1] - bare[1]))
        return rows
    finally:
        meter.close()


def benchmark(repeat: int, workdir: Path) -> list[tuple[str, float, float]]:
    from harness import EnergyMeter
    from harness.meters.fakes import make_fake_powercap

    EnergyMeter("estimate").close()  # the first open in a process imports modules: not what is timed
    rows = _rows("estimate", "estimate", repeat)
    fake = make_fake_powercap(workdir / "powercap", sockets=1)
    fake.start({"package-0": 20.0, "package-0/core": 12.0, "package-0/dram": 3.0})
    old = os.environ.get("HARNESS_POWERCAP_ROOT")
    os.environ["HARNESS_POWERCAP_ROOT"] = str(fake.root)
    try:
        rows += _rows("rapl on a fake powercap tree", "rapl", repeat)
    finally:
        fake.close()
        if old is None:
            os.environ.pop("HARNESS_POWERCAP_ROOT", None)
        else:
            os.environ["HARNESS_POWERCAP_ROOT"] = old
    return rows


def format_rows(rows) -> str:
    width = max(len(r[0]) for r in rows)
    lines = [f"{'per window (µs)':<{width}}  {'median':>9}  {'p90':>9}"]
    lines += [f"{label:<{width}}  {median:>9.2f}  {p90:>9.2f}" for label, median, p90 in rows]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=20_000, help="windows per row (default 20000)")
    a = p.parse_args(argv)
    warnings.simplefilter("ignore")  # the estimate meter's warning is not what is timed
    with tempfile.TemporaryDirectory() as tmp:
        print(format_rows(benchmark(a.repeat, Path(tmp))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
