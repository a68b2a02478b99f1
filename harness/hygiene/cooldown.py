"""The wait between two trials: a fixed sleep, or until the meter reads idle power again.

A fixed sleep (the paper's 5 s) is too short after a long random forest and far too long after a
k-NN. ``until_idle`` samples the meter's mean power over windows of ``period_s`` and stops at the
first window that ends after ``min_s`` with power <= idle x (1 + ``tolerance``), or once ``max_s``
has passed (then the row says ``max_s``). The idle power is the run's baseline (manifest
``baseline.total_w``), measured the same way: the harness asleep in one window.

The ``estimate`` meter models only the CPU time of this process and its child processes, which is ~0 while it sleeps whatever
the machine does: it cannot tell idle from hot, so ``until_idle`` falls back to the fixed sleep
and says so (``fixed_estimate``).

Every wait returns a :class:`CooldownResult`, whose ``columns()`` go in the next trial's row.
With a counter meter even a fixed sleep ends with one ``period_s`` window, so every row records
the power at its trial's start.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

# What ended the wait (the row's ``cooldown_end``).
NONE = "none"                      # first trial of a session, or no cool-down asked for
FIXED = "fixed"                    # hygiene.cooldown_s elapsed
IDLE = "idle"                      # power back within tolerance of idle
MAX_S = "max_s"                    # cooldown.max_s elapsed before that
FIXED_ESTIMATE = "fixed_estimate"  # until_idle asked, but the estimate meter has no idle power

DEFAULT_PERIOD_S = 0.1
# Before the idle baseline: windows this long, until power falls by less than tolerance / 4
# from one window to the next.
SETTLE_WINDOW_S = 0.5


@dataclass(frozen=True)
class CooldownResult:
    waited_s: float        # wall time from the end of one trial's row to the start of the next
    end: str               # one of the constants above
    start_power_w: float   # mean power over the last window of the wait (W), NaN if not sampled

    def columns(self) -> dict:
        """The row's cool-down columns (``harness.results.store.COLUMNS``)."""
        return {"cooldown_waited_s": self.waited_s, "cooldown_end": self.end,
                "start_power_w": self.start_power_w}


FIRST = CooldownResult(0.0, NONE, math.nan)


class Cooldown:
    """Waits between trials as ``hygiene`` (the spec's) asks, with ``meter`` and the run's idle
    ``baseline`` (manifest dict, or None). ``sleep`` and ``clock`` are injectable for tests."""

    def __init__(self, hygiene, meter, baseline: dict | None, sleep=time.sleep, clock=time.perf_counter):
        self.fixed_s = float(hygiene.cooldown_s)
        opts = hygiene.cooldown
        self.until_idle = bool(opts is not None and opts.until_idle)
        self.period_s = opts.period_s if opts is not None else DEFAULT_PERIOD_S
        self.opts = opts
        self.meter = meter
        self.idle_w = float(baseline["total_w"]) if baseline and "total_w" in baseline else None
        self.counters = not meter.estimated
        self.sleep, self.clock = sleep, clock
        self.note = self._note()

    def _note(self) -> str:
        """One line for the run's start: what the cool-down will do."""
        if self.until_idle and not self.counters:
            return (f"cool-down: until_idle needs idle power, which the {self.meter.name} meter (estimated "
                    f"from CPU time) cannot see; sleeping the fixed cooldown_s = {self.fixed_s:g} s instead")
        if self.until_idle and self.idle_w is None:
            return (f"cool-down: no idle baseline in the manifest; sleeping the fixed cooldown_s = "
                    f"{self.fixed_s:g} s instead")
        if self.until_idle:
            o = self.opts
            return (f"cool-down: until power <= {self.idle_w * (1 + o.tolerance):.3g} W (idle {self.idle_w:.3g} W "
                    f"+ {100 * o.tolerance:g}%), sampled every {o.period_s:g} s, {o.min_s:g}-{o.max_s:g} s")
        return f"cool-down: fixed {self.fixed_s:g} s"

    def wait(self) -> CooldownResult:
        """Wait before the next trial; returns what was waited."""
        if self.until_idle and self.counters and self.idle_w is not None:
            return self._until_idle()
        end = FIXED_ESTIMATE if self.until_idle and not self.counters else FIXED
        if self.fixed_s <= 0:
            return CooldownResult(0.0, end if self.until_idle else NONE, math.nan)
        t0 = self.clock()
        power = math.nan
        if self.counters:
            tail = min(self.period_s, self.fixed_s)
            self.sleep(self.fixed_s - tail)
            power = self._window(tail)
        else:
            self.sleep(self.fixed_s)
        return CooldownResult(self.clock() - t0, end, power)

    def _window(self, seconds: float) -> float:
        token = self.meter.begin()
        self.sleep(seconds)
        return self.meter.end(token).power_w

    def _until_idle(self) -> CooldownResult:
        o = self.opts
        threshold = self.idle_w * (1 + o.tolerance)
        t0 = self.clock()
        while True:
            power = self._window(o.period_s)
            elapsed = self.clock() - t0
            if elapsed >= o.min_s and power <= threshold:
                return CooldownResult(elapsed, IDLE, power)
            if elapsed >= o.max_s:
                return CooldownResult(elapsed, MAX_S, power)


def settle(meter, opts, sleep=time.sleep, clock=time.perf_counter) -> dict:
    """Wait until the machine stops cooling, before its idle baseline is measured: loading data
    and checking treatments just ran, and a baseline measured while power still falls would set
    "idle" too high for every cool-down after it. Compares successive windows of
    ``SETTLE_WINDOW_S`` and stops once power fell by less than ``opts.tolerance / 4`` (relative),
    or after ``opts.max_s``. Returns ``{"settled_s", "end": "steady" | "max_s", "power_w"}``."""
    t0 = clock()
    previous = math.inf
    while True:
        token = meter.begin()
        sleep(SETTLE_WINDOW_S)
        power = meter.end(token).power_w
        elapsed = clock() - t0
        if previous - power < previous * opts.tolerance / 4:
            return {"settled_s": elapsed, "end": "steady", "power_w": power}
        if elapsed >= opts.max_s:
            return {"settled_s": elapsed, "end": MAX_S, "power_w": power}
        previous = power
