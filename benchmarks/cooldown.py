"""Cool-down until idle against the paper's fixed sleep: ``python benchmarks/cooldown.py``.

The machine is a fake powercap tree whose package power follows this process's CPU use through a
first-order lag of known time constant ``tau``: power = idle + (busy - idle) x u filtered with
time constant tau, where u is the share of one core this process used over the last tick (1 ms),
the model's own thread left out.
So power rises during a trial and, after it, decays towards idle as exp(-t / tau): the "hot
machine" a fixed sleep is meant to wait out. The counter holds the integral of that power.

For each ``--tau`` the quick spec (72 trials) runs with ``cooldown: {until_idle: true,
tolerance: 0.05, min_s: 0.5, max_s: 30}``, and once (at the largest tau, where waiting matters
most) with the fixed ``cooldown_s: 5`` of the ICT4S'22 study. Both measure a 2 s idle baseline
and warm up for 1 s, as the quick spec does. Printed per arm: total cool-down (sum of the rows'
``cooldown_waited_s``), the wait per trial, how waits ended, and the residual power at each
trial's start, taken from the model itself (its true power at the row's ``started_at``), not from
the harness's own sample, relative to the model's idle power.

Target: at least 5x less waiting than the fixed 5 s, every trial starting within 5% of idle.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import importlib.util
import io
import math
import os
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEFAULT_SPEC = REPO / "experiments" / "spam-quick.yaml"
TOLERANCE = 0.05


def _load_fake_powercap():
    """The meters tests' fake-tree builder, loaded by path (``tests`` is not a package)."""
    path = REPO / "tests" / "helpers" / "fake_powercap.py"
    spec = importlib.util.spec_from_file_location("_bench_fake_powercap", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_fake_powercap


class ThermalModel:
    """Package power following this process's CPU use with time constant ``tau_s`` (see the module
    docstring). ``advance()`` integrates the power up to now and writes the fake tree's package-0
    counter; a thread calls it every ``tick_s`` and, as a hardware counter is never late, the meter
    calls it before each read (``exact_reads``): on a loaded machine the thread alone can be
    starved for tens of ms, and a counter written late makes a window read low power. The
    history of (UTC epoch s, W) is kept to look the true power up afterwards."""

    def __init__(self, fake, idle_w: float, busy_w: float, tau_s: float, tick_s: float = 0.001):
        self.fake, self.idle_w, self.busy_w, self.tau_s, self.tick_s = fake, idle_w, busy_w, tau_s, tick_s
        self.times: list[float] = []
        self.powers: list[float] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="thermal-model", daemon=True)
        self._model_cpu = 0.0
        self._power, self._energy_j = idle_w, 0.0
        self._wall, self._cpu = time.perf_counter(), self._cpu_s()

    def _cpu_s(self) -> float:
        """This process's CPU seconds less the model's own work (its thread, and its calls from
        the meter's reads), which is not the machine's load."""
        own = self._model_cpu
        thread = self._thread
        if thread.ident is not None and thread.is_alive():
            own += time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
        return time.process_time() - own

    def advance(self) -> None:
        in_thread = threading.current_thread() is self._thread
        c0 = time.thread_time()
        with self._lock:
            wall1, cpu1 = time.perf_counter(), self._cpu_s()
            dt = wall1 - self._wall
            if dt > 0:
                u = min(1.0, max(0.0, (cpu1 - self._cpu) / dt))
                target = self.idle_w + (self.busy_w - self.idle_w) * u
                alpha = 1 - math.exp(-dt / self.tau_s)
                # exact integral of the exponential approach to target over dt
                self._energy_j += target * dt + (self._power - target) * self.tau_s * alpha
                self._power += (target - self._power) * alpha
                self.fake.set_uj("package-0", int(self._energy_j * 1e6))
                self.times.append(time.time())
                self.powers.append(self._power)
                self._wall = wall1
            if not in_thread:
                self._model_cpu += time.thread_time() - c0
            self._cpu = self._cpu_s()

    def _loop(self) -> None:
        while not self._stop.wait(self.tick_s):
            self.advance()

    def power_at(self, epoch_s: float) -> float:
        i = bisect.bisect_right(self.times, epoch_s) - 1
        return self.powers[max(i, 0)]

    @contextlib.contextmanager
    def exact_reads(self):
        """While open, every RaplMeter read first brings the counter up to date."""
        from harness.meters.rapl import RaplMeter

        original = RaplMeter._read_locked

        def read(meter):
            self.advance()
            return original(meter)

        RaplMeter._read_locked = read
        try:
            yield
        finally:
            RaplMeter._read_locked = original

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run_arm(spec_path: Path, hygiene: dict, tau_s: float, workdir: Path, name: str, idle_w: float,
            busy_w: float) -> dict:
    from harness.run.runner import run_spec
    from harness.results.store import read_trials

    spec = yaml.safe_load(spec_path.read_text())
    spec.update(name=name, meter="rapl", hygiene={**spec.get("hygiene", {}), **hygiene})
    path = workdir / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec))
    fake = _load_fake_powercap()(workdir / f"powercap-{name}", sockets=1, with_dram=False, with_core=False)
    os.environ["HARNESS_POWERCAP_ROOT"] = str(fake.root)
    t0 = time.perf_counter()
    with ThermalModel(fake, idle_w, busy_w, tau_s) as model, model.exact_reads():
        code = run_spec(path, results_dir=workdir / "results", quiet=True, out=io.StringIO())
    wall = time.perf_counter() - t0
    fake.close()
    if code != 0:
        raise SystemExit(f"{name}: run failed with exit code {code}")
    rows = read_trials(workdir / "results" / name).sort_values("started_at")
    starts = [datetime.fromisoformat(s).timestamp() for s in rows["started_at"]]
    residual = [(model.power_at(s) - idle_w) / idle_w for s in starts[1:]]  # the first follows the warm-up
    import json

    baseline = json.loads((workdir / "results" / name / "manifest.json").read_text())["baseline"]
    waits = rows["cooldown_waited_s"].iloc[1:]
    seen = (rows["start_power_w"].iloc[1:] - baseline["total_w"]) / baseline["total_w"]
    return {"name": name, "tau_s": tau_s, "trials": len(rows), "wall_s": wall,
            "total_wait_s": float(waits.sum()), "mean_wait_s": float(waits.mean()), "max_wait_s": float(waits.max()),
            "ends": rows["cooldown_end"].iloc[1:].value_counts().to_dict(),
            "max_residual": max(residual), "median_residual": sorted(residual)[len(residual) // 2],
            "within": sum(r <= TOLERANCE for r in residual), "n_residual": len(residual),
            "seen_max": float(seen.max()), "baseline_w": baseline["total_w"], "settle": baseline.get("settle")}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tau", type=float, nargs="+", default=[0.1, 0.3, 1.0], help="time constants (s)")
    p.add_argument("--fixed-s", type=float, default=5.0, help="the fixed cool-down to compare with (s)")
    p.add_argument("--skip-fixed", action="store_true", help="skip the fixed arm (about 6.5 minutes)")
    p.add_argument("--idle-w", type=float, default=10.0)
    p.add_argument("--busy-w", type=float, default=40.0)
    p.add_argument("--spec", type=Path, default=DEFAULT_SPEC)
    a = p.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        common = {"warmup_s": 1, "baseline_s": 2}
        for tau in a.tau:
            idle = {**common, "cooldown_s": 0, "cooldown": {"until_idle": True, "tolerance": TOLERANCE,
                                                            "min_s": 0.5, "max_s": 30}}
            results.append(run_arm(a.spec, idle, tau, work, f"idle-tau{tau:g}", a.idle_w, a.busy_w))
            print(_line(results[-1]), flush=True)
        if not a.skip_fixed:
            fixed = {**common, "cooldown_s": a.fixed_s}
            results.append(run_arm(a.spec, fixed, max(a.tau), work, f"fixed{a.fixed_s:g}-tau{max(a.tau):g}",
                                   a.idle_w, a.busy_w))
            print(_line(results[-1]), flush=True)
    print(f"\nfake package: idle {a.idle_w:g} W, busy {a.busy_w:g} W; until_idle tolerance {TOLERANCE:.0%}, "
          "min 0.5 s, max 30 s, sampled every 0.1 s")
    fixed_total = next((r["total_wait_s"] for r in results if r["name"].startswith("fixed")), None)
    if fixed_total is None:
        fixed_total = a.fixed_s * (results[0]["trials"] - 1)
        print(f"(fixed arm skipped: its total is {a.fixed_s:g} s x {results[0]['trials'] - 1} waits = {fixed_total:g} s)")
    for r in results:
        if r["name"].startswith("idle"):
            print(f"tau {r['tau_s']:g} s: {fixed_total / r['total_wait_s']:.1f}x less waiting than fixed "
                  f"{a.fixed_s:g} s; {r['within']} of {r['n_residual']} trials started within {TOLERANCE:.0%} of idle")
    return 0


def _line(r: dict) -> str:
    settle = r["settle"]
    s = f" (settled {settle['settled_s']:.1f} s first)" if settle else ""
    return (f"{r['name']:<16} tau {r['tau_s']:g} s: {r['trials']} trials, wall {r['wall_s']:.0f} s; cool-down total "
            f"{r['total_wait_s']:.1f} s, mean {r['mean_wait_s']:.2f} s, max {r['max_wait_s']:.2f} s, ends {r['ends']}; "
            f"residual power at start (true, vs idle): median {100 * r['median_residual']:+.1f}%, "
            f"max {100 * r['max_residual']:+.1f}%, {r['within']}/{r['n_residual']} within {TOLERANCE:.0%} "
            f"(the harness's own last sample vs its baseline: max {100 * r['seen_max']:+.1f}%); "
            f"baseline {r['baseline_w']:.2f} W{s}")


if __name__ == "__main__":
    sys.exit(main())
