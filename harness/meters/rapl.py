"""The ``rapl`` meter: Intel/AMD RAPL energy counters read directly from powercap sysfs.

Layout (Linux ``intel_rapl`` driver; AMD Zen uses the same names)::

    /sys/class/powercap/intel-rapl:0/                 name = "package-0"   (socket 0)
    /sys/class/powercap/intel-rapl:0/intel-rapl:0:0/  name = "core"
    /sys/class/powercap/intel-rapl:0/intel-rapl:0:1/  name = "uncore" or "dram"
    /sys/class/powercap/intel-rapl:1/                 name = "package-1" or "psys"

Each zone has ``energy_uj`` (microjoules, wraps to 0 at ``max_energy_range_uj``). The root comes
from ``HARNESS_POWERCAP_ROOT`` (default ``/sys/class/powercap``) so tests can use a fake tree.
Zones are found by their ``name`` files under every root entry called ``<type>:<N>`` whose type
contains ``rapl`` (``intel-rapl:0``, ``intel-rapl-mmio:0``, ...) and their ``<type>:<N>:<M>``
children. The control-type directory (``intel-rapl/``, which links the same zones again) is not
walked, and a zone reached twice (same real path, or the same name through ``intel-rapl-mmio``)
is read once.

Domains in ``Measurement.domains_j``: ``package-N``, ``package-N/core``, ``package-N/uncore``,
``package-N/dram``, ``psys`` (every zone found, overlapping or not).

Total rule (``total_j`` counts each joule once):
    * if there is at least one ``package-N`` zone: the sum of every ``package-N`` plus every
      ``dram`` zone (DRAM is outside the package domain on server parts). ``core`` and ``uncore``
      are inside their package and ``psys`` contains the packages, so neither is added;
    * else if there is a ``psys`` zone: ``psys`` alone;
    * else: the sum of the top-level zones.

Mirrored zones (one counter exposed twice): on AMD Threadripper 1950X the kernel exposes
``package-0-die-0`` and ``package-0-die-1``, which read one and the same socket counter. Two zones
*mirror* each other when their raw ``energy_uj`` values are identical (same range too) and stay
identical while the counter advances. The total counts such zones once (the first one); both
stay in ``domains_j``. :meth:`RaplMeter.probe` (run by ``open_meter`` for every run, ``meters``
and ``auto``) decides from lockstep over a short probe window; a meter opened without a probe
falls back on identical non-zero raw values at open (distinct counters never agree to the µJ; a
counter at 0 has not moved since boot and proves nothing). Zones with distinct counters (Intel
parts with two dies per package) still add up.

Frozen counters: the probe also refuses a meter whose total zones do not advance within
``PROBE_TIMEOUT_S`` (some VMs expose a powercap tree that never moves: every phase would read
0 J). Real counters update about every millisecond, so a probe normally takes a few ms.

Wraparound: every read (``begin``, ``end`` or the background sampler) adds the difference to the
previous read modulo ``max_energy_range_uj`` to a per-zone running total, and windows subtract
running totals. This is exact as long as two consecutive reads of a zone are less than one wrap
apart. A window may be longer than that: while at least one window is open, a daemon thread reads
every ``period_s`` = (shortest wrap time at ``max_power_w``) / 4, so it only samples windows long
enough for a wrap to be possible at that power (at 1000 W a real 262 kJ counter wraps after
~4 minutes, so windows shorter than ~1 minute are never sampled).

A counter that goes backwards without wrapping (a raw value below the previous one, where the wrap
this would imply is more than half the counter's range, which the sampling above never lets two reads
be apart, and needs more energy than ``max_power_w`` gives in the time since the previous read, plus
``WRAP_SLACK_S`` for the counter's update steps): a firmware or driver reset, not a wrap. Both tests
must say "impossible", so a fast wrap that a simulated or throttled clock makes look instantaneous is
still a wrap, and a step back of a few joules on a 262 kJ counter is a reset. Every
window open across it is invalid: NaN energy and ``Measurement.invalid`` says why, never a near-full
wrap of joules counted.
"""

from __future__ import annotations

import math
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from harness.environment import powercap_root
from harness.errors import MeterError
from harness.meters.common import Measurement, Meter, Resolution

# Power no RAPL zone is expected to reach; only sets how often long windows are sampled.
DEFAULT_MAX_POWER_W = 1000.0
# Reads closer than the counter's update step can see one step of energy in a few µs; a wrap
# is plausible if its energy fits max_power_w over the gap since the previous read plus this.
WRAP_SLACK_S = 0.1
MIN_PERIOD_S = 0.001
# Counters step by the energy status unit, at most 2^-14 J = 61 µJ (Intel's common unit; AMD and
# many Intel parts use 2^-16 J), and update about every 1 ms (Intel SDM vol. 3B, "Platform
# Specific Power Management Support"; Hähnel et al., "Measuring energy consumption for short code
# paths using RAPL", 2012). energy_uj counts in 1 µJ, finer than the hardware unit.
RESOLUTION = Resolution(energy_j=2.0 ** -14, update_s=1e-3,
                        source="RAPL: energy status unit <= 2^-14 J, counter update ~1 ms")
# Longest wait for every total zone to advance (and for mirror candidates to be decided). RAPL
# updates its counters about every 1 ms (Intel SDM vol. 3B, 15.10.1; the same on AMD Zen), so a
# healthy tree is decided in a few ms; only a frozen one waits this long.
PROBE_TIMEOUT_S = 0.25
PROBE_POLL_S = 0.002
# Post-advance snapshots in which two zones that read the same at the start differ before they
# are held to be distinct counters (one snapshot may straddle the kernel's update of the pair).
DISTINCT_AFTER = 3

_TOP_RE = re.compile(r"^(?P<type>[A-Za-z0-9_-]*rapl[A-Za-z0-9_-]*):(?P<n>\d+)$")

# Every file of a zone the meter reads; the access recipes of docs/meters.md cover each of them.
ZONE_FILES = ("name", "energy_uj", "max_energy_range_uj")
ACCESS_FIX = (
    f"grant read access to {', '.join(ZONE_FILES[:-1])} and {ZONE_FILES[-1]} of every zone (udev rule or "
    "chmod/chgrp for a group, see docs/meters.md), run as root, or use --meter estimate"
)


@dataclass(frozen=True)
class Zone:
    """One RAPL zone: ``domain`` is its name in results, ``path`` its sysfs directory."""

    domain: str
    path: Path
    top_level: bool
    max_energy_range_uj: int


def _read_text(path: Path) -> str:
    with open(path, "rb") as f:
        return f.read().decode("ascii", "replace").strip()


def _read_name(zone_dir: Path) -> str | None:
    """A zone's ``name``; None if the directory has none (not a zone). Any other error is named."""
    path = zone_dir / "name"
    try:
        return _read_text(path)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise zone_file_error(path, e) from None


def _type_rank(ztype: str) -> tuple:
    # Prefer the MSR interface (intel-rapl) over mmio duplicates of the same package.
    return (ztype != "intel-rapl", "mmio" in ztype, ztype)


def zone_file_error(path: Path, err: OSError) -> MeterError:
    """One line naming the zone file that could not be read and the fix. The path is printed once:
    ``err.strerror`` is used, not ``str(err)``, which repeats the file name."""
    if isinstance(err, PermissionError):
        return MeterError(
            f"cannot read {path}: permission denied (RAPL counters are root-only since Linux 5.10); "
            + ACCESS_FIX
        )
    return MeterError(f"cannot read {path}: {err.strerror or err}; use --meter estimate")


def discover_zones(root: Path | None = None) -> list[Zone]:
    """Every RAPL zone under ``root``, top-level zones first in numeric order, each followed by
    its subzones. Raises MeterError if there is none. Does not open ``energy_uj``."""
    root = Path(root) if root is not None else powercap_root()
    if not root.is_dir():
        raise MeterError(
            f"{root} does not exist: no powercap/RAPL interface on this machine (VM or container?); "
            f"use --meter estimate"
        )
    tops = []
    for entry in os.listdir(root):
        m = _TOP_RE.match(entry)
        if m:
            tops.append((_type_rank(m["type"]), int(m["n"]), m["type"], entry))
    tops.sort()

    zones: list[Zone] = []
    seen_paths: set[str] = set()
    seen_domains: set[str] = set()

    def add(path: Path, domain: str, top_level: bool) -> None:
        real = os.path.realpath(path)
        if real in seen_paths or domain in seen_domains or not (path / "energy_uj").exists():
            return
        range_path = path / "max_energy_range_uj"
        try:
            max_uj = int(_read_text(range_path))
        except OSError as e:
            raise zone_file_error(range_path, e) from None
        except ValueError:
            raise MeterError(f"{range_path} does not hold an integer; use --meter estimate") from None
        if max_uj <= 0:
            raise MeterError(f"{path / 'max_energy_range_uj'} is {max_uj}, expected > 0")
        seen_paths.add(real)
        seen_domains.add(domain)
        zones.append(Zone(domain, path, top_level, max_uj))

    for _, n, ztype, entry in tops:
        top = root / entry
        top_name = _read_name(top)
        if top_name is None:
            continue
        if top_name in seen_domains:  # e.g. intel-rapl-mmio:0 is package-0 again
            continue
        add(top, top_name, True)
        child_re = re.compile(rf"^{re.escape(ztype)}:{n}:(\d+)$")
        children = sorted(
            (int(m.group(1)), e) for e in os.listdir(top) if (m := child_re.match(e))
        )
        for _, child in children:
            child_name = _read_name(top / child)
            if child_name is None:
                continue
            domain = f"{top_name}/{child_name}"
            k = 2
            while domain in seen_domains:  # two subzones with one name: keep both, distinctly
                domain = f"{top_name}/{child_name}{k}"
                k += 1
            add(top / child, domain, False)
    if not zones:
        raise MeterError(
            f"no RAPL zone (a '*rapl:N' directory with name and energy_uj) under {root}; "
            f"use --meter estimate"
        )
    return zones


def total_domains(domains: list[str], top_level: list[bool]) -> list[str]:
    """The domains whose sum is the total: see the module docstring for the rule."""
    packages = [d for d, top in zip(domains, top_level) if top and d.startswith("package-")]
    if packages:
        return [d for d in domains if d in packages or d.rsplit("/", 1)[-1] == "dram"]
    if "psys" in domains:
        return ["psys"]
    return [d for d, top in zip(domains, top_level) if top]


def mirrors_from_raw(raw: list[int], ranges: list[int]) -> dict[int, int]:
    """Zones that read the same non-zero raw value (and range) as an earlier zone: index -> index
    of the first zone with that value. The evidence used when no probe ran."""
    first: dict[tuple[int, int], int] = {}
    out: dict[int, int] = {}
    for i, (v, r) in enumerate(zip(raw, ranges)):
        if v == 0:
            continue
        j = first.setdefault((v, r), i)
        if j != i:
            out[i] = j
    return out


def count_once(total: list[str], mirrors: dict[str, str]) -> list[str]:
    """``total`` without each zone that mirrors another zone of ``total`` (the first one stays)."""
    return [d for d in total if mirrors.get(d) not in total]


class RaplMeter(Meter):
    """Reads every RAPL zone from powercap sysfs; see the module docstring.

    ``max_power_w`` is a power no zone reaches; it sets the sampling period of long windows.
    ``begin``/``end`` cost a few microseconds per zone: the ``energy_uj`` files stay open and
    are read with ``os.pread``.
    """

    name = "rapl"
    estimated = False

    def __init__(self, root: str | Path | None = None, max_power_w: float = DEFAULT_MAX_POWER_W):
        self.root = Path(root) if root is not None else powercap_root()
        try:
            self.max_power_w = float(max_power_w)
        except (TypeError, ValueError):
            self.max_power_w = 0.0
        if not self.max_power_w > 0:
            raise MeterError(f"rapl.max_power_w must be a power in watts > 0, got {max_power_w!r}")
        self._fds: list[int] = []
        self._thread: threading.Thread | None = None
        zones = discover_zones(self.root)
        try:
            for z in zones:
                path = z.path / "energy_uj"
                try:
                    fd = os.open(path, os.O_RDONLY)
                except OSError as e:
                    raise zone_file_error(path, e) from None
                self._fds.append(fd)
                try:
                    int(os.pread(fd, 32, 0))
                except OSError as e:
                    raise zone_file_error(path, e) from None
                except ValueError:
                    raise MeterError(f"{path} does not hold an integer; use --meter estimate") from None
        except BaseException:
            self.close()
            raise
        self.zones = zones
        self._names = tuple(z.domain for z in zones)
        self._ranges = tuple(z.max_energy_range_uj for z in zones)
        # The total rule before mirrored zones are counted once.
        self._rule_total = tuple(total_domains(list(self._names), [z.top_level for z in zones]))
        raw = self._raw()
        self.mirrors = {self._names[i]: self._names[j]
                        for i, j in mirrors_from_raw(list(raw), list(self._ranges)).items()}
        self.mirror_evidence = "identical non-zero raw values when opened (not probed)"
        self.probe_s: float | None = None
        self._set_total()
        # Shortest time any zone needs to wrap at max_power_w; sampling 4x as often leaves margin
        # for a sampler thread delayed by the GIL or the scheduler.
        wrap_s = min(self._ranges) * 1e-6 / self.max_power_w
        self.period_s = max(MIN_PERIOD_S, wrap_s / 4)

        self._lock = threading.Lock()
        self._last = [int(os.pread(fd, 32, 0)) for fd in self._fds]
        self._last_t = time.perf_counter()
        self._acc = [0] * len(self._fds)
        self._jumps = [0] * len(self._fds)  # backward steps that were not a wrap, per zone
        self._jump_why = [""] * len(self._fds)
        self._open_windows = 0
        self._wake = threading.Event()  # set while a window is open
        self._stop = threading.Event()

    def _set_total(self) -> None:
        self._total_names = tuple(count_once(list(self._rule_total), self.mirrors))
        self._total_idx = tuple(self._names.index(d) for d in self._total_names)

    # -- probe ------------------------------------------------------------------------------
    def _raw(self) -> tuple[int, ...]:
        return tuple(int(os.pread(fd, 32, 0)) for fd in self._fds)

    def _snapshot(self) -> tuple[int, ...]:
        """Raw values of every zone with no update in between: two reads in a row that agree (a
        real counter only moves forward, so equal reads mean it did not move between them)."""
        prev = self._raw()
        for _ in range(20):
            cur = self._raw()
            if cur == prev:
                return cur
            prev = cur
        return prev

    def probe(self, timeout_s: float | None = None) -> None:
        """Watch the raw counters until every zone of the total has advanced and every pair of
        zones that read the same at the start is decided, or ``timeout_s`` seconds passed
        (default ``PROBE_TIMEOUT_S``).

        Two zones mirror each other when they read the same at the start and the same again
        after both advanced: one counter, counted once in the total (``self.mirrors``). Raises
        MeterError naming the files of total zones that did not advance (a frozen counter would
        make every phase 0 J).
        """
        timeout_s = PROBE_TIMEOUT_S if timeout_s is None else timeout_s
        n = len(self._names)
        need = [self._names.index(d) for d in self._rule_total]
        t0 = time.perf_counter()
        start = self._snapshot()
        candidates = [(i, j) for j in range(n) for i in range(j)
                      if start[i] == start[j] and self._ranges[i] == self._ranges[j]]
        same: set[tuple[int, int]] = set()      # seen equal after both advanced: mirrors
        differ = {pair: 0 for pair in candidates}  # post-advance snapshots that disagreed
        moved = [False] * n
        while True:
            time.sleep(PROBE_POLL_S)
            snap = self._snapshot()
            elapsed = time.perf_counter() - t0
            moved = [m or a != b for m, a, b in zip(moved, snap, start)]
            for i, j in candidates:
                if (i, j) in same or not (moved[i] or moved[j]):
                    continue
                if snap[i] != snap[j]:
                    differ[(i, j)] += 1
                elif moved[i] and moved[j]:
                    same.add((i, j))
            undecided = [(i, j) for i, j in candidates if (i, j) not in same
                         and differ[(i, j)] < DISTINCT_AFTER and (moved[i] or moved[j])]
            if (all(moved[i] for i in need) and not undecided) or elapsed >= timeout_s:
                break
        self.probe_s = elapsed
        mirrors: dict[str, str] = {}
        for i, j in sorted(same, key=lambda p: (p[1], p[0])):
            name = self._names[j]
            if name not in mirrors:
                target = self._names[i]
                mirrors[name] = mirrors.get(target, target)
        self.mirrors = mirrors
        self.mirror_evidence = f"probed for {elapsed * 1e3:.0f} ms: identical raw values that advance in lockstep"
        self._set_total()
        frozen = [i for i in need if not moved[i]]
        if frozen:
            files = ", ".join(str(self.zones[i].path / "energy_uj") for i in frozen)
            raise MeterError(
                f"RAPL counter{'s' if len(frozen) > 1 else ''} did not advance in {elapsed:.2f} s: {files} "
                f"(frozen, as some VMs expose them; every phase would read 0 J); use --meter estimate"
            )

    def mirror_note(self) -> str:
        """"package-0-die-1 mirrors package-0-die-0: one counter, counted once", or "" when no zone
        of the total mirrors another."""
        pairs = [f"{a} mirrors {b}" for a, b in self.mirrors.items() if a in self._rule_total]
        return f"{', '.join(pairs)}: one counter, counted once" if pairs else ""

    # -- hot path ---------------------------------------------------------------------------
    def _read_locked(self) -> tuple[int, ...]:
        """Advance the running totals (µJ) to now; caller holds ``_lock``."""
        acc, last, ranges, pread = self._acc, self._last, self._ranges, os.pread
        now = time.perf_counter()
        most_uj = self.max_power_w * (now - self._last_t + WRAP_SLACK_S) * 1e6
        for i, fd in enumerate(self._fds):
            raw = int(pread(fd, 32, 0))
            d = raw - last[i]
            if d < 0:
                d += ranges[i]
                if d > most_uj and 2 * d > ranges[i]:  # not a wrap: the counter was reset or jumped back
                    self._jumps[i] += 1
                    self._jump_why[i] = (f"{self._names[i]} counter went backwards ({last[i]} -> {raw} uJ: "
                                         f"reset, not a wrap of {ranges[i]} uJ)")
                    d = 0
            acc[i] += d
            last[i] = raw
        self._last_t = now
        return tuple(acc)

    def begin(self) -> tuple[float, tuple[int, ...], tuple[int, ...]]:
        with self._lock:
            acc = self._read_locked()
            jumps = tuple(self._jumps)
            self._open_windows += 1
        if not self._wake.is_set():
            self._start_sampler()
        return (time.perf_counter(), acc, jumps)

    def end(self, token: tuple[float, tuple[int, ...], tuple[int, ...]]) -> Measurement:
        t1 = time.perf_counter()
        with self._lock:
            acc1 = self._read_locked()
            jumps1, why = tuple(self._jumps), tuple(self._jump_why)
            if self._open_windows > 0:
                self._open_windows -= 1
        t0, acc0, jumps0 = token
        back = [i for i, (a, b) in enumerate(zip(jumps1, jumps0)) if a != b]
        domains = {n: math.nan if i in back else (acc1[i] - acc0[i]) * 1e-6
                   for i, n in enumerate(self._names)}
        if back:  # a reset zone, in the total or not: the window is not a measurement
            total = math.nan
        else:
            total = sum((acc1[i] - acc0[i]) for i in self._total_idx) * 1e-6
        return Measurement(total_j=total, duration_s=t1 - t0, domains_j=domains,
                           invalid="; ".join(why[i] for i in back))

    # -- long windows -----------------------------------------------------------------------
    def _start_sampler(self) -> None:
        if self._stop.is_set():
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._sample_loop, name="rapl-sampler", daemon=True)
            self._thread.start()
        self._wake.set()

    def _sample_loop(self) -> None:
        while True:
            self._wake.wait()
            if self._stop.wait(self.period_s):
                return
            with self._lock:
                if self._open_windows > 0:
                    self._read_locked()
                else:
                    self._wake.clear()

    # -- the rest ---------------------------------------------------------------------------
    def domains(self) -> list[str]:
        return list(self._names)

    def total_domains(self) -> list[str]:
        return list(self._total_names)

    def resolution(self) -> Resolution:
        """RAPL's (``RESOLUTION``): 2^-14 J steps at most, updated about every 1 ms."""
        return RESOLUTION

    def describe(self) -> dict:
        return {
            **super().describe(),
            "root": str(self.root),
            "max_energy_range_uj": dict(zip(self._names, self._ranges)),
            "max_power_w": self.max_power_w,
            "sample_period_s": self.period_s,
            "mirrored_zones": dict(self.mirrors),
            "mirror_evidence": self.mirror_evidence,
            "probe_s": self.probe_s,
        }

    def close(self) -> None:
        stop = getattr(self, "_stop", None)
        if stop is not None:
            stop.set()
            self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        fds, self._fds = self._fds, []
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass
