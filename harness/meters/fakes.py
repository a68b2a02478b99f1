"""Fake powercap (RAPL) sysfs trees, for tests and benchmarks: counters that a background thread
raises at a known power, in a folder of the caller's choosing. Nothing here reads real hardware.

Laid out like the real one: zones live under ``<root>/intel-rapl/intel-rapl:N`` and the root has
``intel-rapl:N`` symlinks to them, so a meter that walks both would count twice::

    from harness.meters.fakes import make_fake_powercap
    fake = make_fake_powercap(tmp_path, sockets=1)
    # then point HARNESS_POWERCAP_ROOT at fake.root (monkeypatch.setenv in a test)
    fake.start({"package-0": 20.0, "package-0/dram": 3.0})   # watts per domain
    ...
    fake.close()

Counters are written in place (same inode, fixed width) because the meter keeps the files open.
The standard library only (no pytest): ``benchmarks/`` use it after ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from pathlib import Path

REAL_MAX_ENERGY_RANGE_UJ = 262143328850  # a typical Intel package counter: ~262 kJ


class FakePowercap:
    """Handle on a fake tree: ``zones`` maps domain name ("package-0", "package-0/dram", "psys")
    to its directory; ``set_uj`` writes a counter; ``start``/``stop`` run the writer thread."""

    WIDTH = 20  # digits written; int() accepts the leading spaces

    def __init__(self, root: Path, zones: dict[str, Path], max_energy_range_uj: int):
        self.root = root
        self.zones = zones
        self.max_energy_range_uj = max_energy_range_uj
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._fds: dict[str, int] = {}
        self._written = threading.Condition()
        self._writes = 0
        self.write_now = lambda: None  # brings the counters up to now (set by start_profile)

    def energy_path(self, domain: str) -> Path:
        return self.zones[domain] / "energy_uj"

    def set_uj(self, domain: str, value_uj: int) -> None:
        """Write a counter value (µJ, wrapped at max_energy_range_uj) in place."""
        value = int(value_uj) % self.max_energy_range_uj
        data = f"{value:>{self.WIDTH}d}\n".encode()
        fd = self._fds.get(domain)
        if fd is None:
            fd = os.open(self.energy_path(domain), os.O_WRONLY)
            self._fds[domain] = fd
        os.pwrite(fd, data, 0)

    def get_uj(self, domain: str) -> int:
        return int(self.energy_path(domain).read_bytes())

    def start(self, power_w: dict[str, float], start_uj: dict[str, int] | None = None,
              interval_s: float = 0.001, mirror: dict[str, str] | None = None) -> "FakePowercap":
        """Raise each named domain's counter at ``power_w[domain]`` watts from now on (values
        follow wall time, so the writer's own delays do not change the mean power).
        ``power_w`` may use "dram" for "package-0/dram". ``start_uj`` sets initial values.
        ``mirror`` maps a domain to one of ``power_w`` whose value it copies at every write: one
        counter exposed twice (AMD Threadripper's ``package-0-die-0`` and ``-die-1``)."""
        return self.start_profile({d: (lambda dt, w=float(w): w * dt) for d, w in power_w.items()},
                                  start_uj, interval_s, mirror)

    def start_decay(self, domain: str, idle_w: float, excess_w: float, tau_s: float,
                    interval_s: float = 0.001) -> "FakePowercap":
        """Power ``idle_w + excess_w * exp(-t / tau_s)`` in ``domain`` from now on (t in s since
        this call): a machine cooling down after a trial. The counter holds the exact integral,
        so a window's mean power is known in closed form (``decay_energy_j``)."""
        return self.start_profile({domain: lambda dt: decay_energy_j(dt, idle_w, excess_w, tau_s)},
                                  interval_s=interval_s)

    def start_profile(self, energy_j, start_uj: dict[str, int] | None = None, interval_s: float = 0.001,
                      mirror: dict[str, str] | None = None) -> "FakePowercap":
        """Like ``start``, with ``energy_j[domain](t)`` = joules spent since now, t in s."""
        self.stop()
        energy = {self._resolve(d): fn for d, fn in energy_j.items()}
        start = {self._resolve(d): int(v) for d, v in (start_uj or {}).items()}
        copies = {self._resolve(d): self._resolve(src) for d, src in (mirror or {}).items()}
        for d in energy:
            start.setdefault(d, self.get_uj(d))
        t0 = time.perf_counter()
        self._stop = threading.Event()

        def write_all() -> None:
            dt = time.perf_counter() - t0
            values = {d: start[d] + int(fn(dt) * 1e6) for d, fn in energy.items()}
            values.update({d: values[src] for d, src in copies.items()})
            for d, v in values.items():
                self.set_uj(d, v)
            with self._written:
                self._writes += 1
                self._written.notify_all()

        def loop() -> None:
            while not self._stop.wait(interval_s):
                write_all()

        write_all()
        self.write_now = write_all
        self._thread = threading.Thread(target=loop, name="fake-powercap-writer", daemon=True)
        self._thread.start()
        return self

    def sync(self, timeout_s: float = 1.0) -> None:
        """Return just after the writer's next write, so that a read right after it sees counters
        that lag wall time by microseconds, whatever delays the writer thread had before (the
        machine may be busy)."""
        with self._written:
            n = self._writes
            if not self._written.wait_for(lambda: self._writes > n, timeout_s):
                raise TimeoutError("the fake powercap writer is not running")

    @contextlib.contextmanager
    def moving(self):
        """Counters advance inside the block, as a real machine's do, so that ``open_meter``'s
        probe passes (it refuses counters that do not move). Each zone gets its own power
        (1 W, 2 W, ...): zones moving in lockstep would be taken for one mirrored counter. On
        exit the writer stops and every counter is back at 0, for tests that step them by hand."""
        self.start({d: 1.0 + i for i, d in enumerate(self.zones)})
        try:
            yield self
        finally:
            self.stop()
            for d in self.zones:
                self.set_uj(d, 0)

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None

    def close(self) -> None:
        self.stop()
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def _resolve(self, domain: str) -> str:
        if domain in self.zones:
            return domain
        matches = [z for z in self.zones if z.rsplit("/", 1)[-1] == domain]
        if len(matches) != 1:
            raise KeyError(f"{domain!r} is not one zone of {sorted(self.zones)}")
        return matches[0]


def decay_energy_j(t: float, idle_w: float, excess_w: float, tau_s: float) -> float:
    """Joules spent over [0, t] at power idle_w + excess_w * exp(-s / tau_s)."""
    return idle_w * t + excess_w * tau_s * (1 - math.exp(-t / tau_s))


def _zone(path: Path, name: str, max_uj: int, value_uj: int = 0) -> Path:
    path.mkdir(parents=True)
    (path / "name").write_text(name + "\n")
    (path / "max_energy_range_uj").write_text(f"{max_uj}\n")
    (path / "energy_uj").write_text(f"{value_uj:>{FakePowercap.WIDTH}d}\n")
    return path


AMD_MAX_ENERGY_RANGE_UJ = 65532610987  # AMD Zen package counter (public sysfs listings)


def make_die_powercap(root: Path, dies: int = 2, max_energy_range_uj: int = AMD_MAX_ENERGY_RANGE_UJ,
                      start_uj: list[int] | None = None) -> FakePowercap:
    """One socket exposed as ``dies`` top-level zones ``package-0-die-D`` (``intel-rapl:D``), each
    with a ``core`` subzone, as the kernel lays out AMD Threadripper 1950X (whose two zones read
    one counter: start them with ``mirror=``) and Intel parts with two dies per package (two
    counters). ``start_uj[D]`` is die D's initial value (subzones start at 0)."""
    root = Path(root)
    ctl = root / "intel-rapl"
    ctl.mkdir(parents=True)
    (ctl / "enabled").write_text("1\n")
    zones: dict[str, Path] = {}
    for d in range(dies):
        dirname, zname = f"intel-rapl:{d}", f"package-0-die-{d}"
        value = start_uj[d] if start_uj else 0
        zones[zname] = top = _zone(ctl / dirname, zname, max_energy_range_uj, value)
        zones[f"{zname}/core"] = _zone(top / f"{dirname}:0", "core", max_energy_range_uj)
        os.symlink(os.path.join("intel-rapl", dirname), root / dirname)
    return FakePowercap(root, zones, max_energy_range_uj)


def make_fake_powercap(
    root: Path,
    sockets: int = 1,
    max_energy_range_uj: int = REAL_MAX_ENERGY_RANGE_UJ,
    with_dram: bool = True,
    with_core: bool = True,
    with_uncore: bool = False,
    with_psys: bool = False,
) -> FakePowercap:
    """Build ``root/intel-rapl/intel-rapl:N`` (package-N with core, uncore, dram subzones as asked),
    an optional psys zone after the packages, and ``root/intel-rapl:N`` symlinks, like sysfs.
    Every counter starts at 0."""
    root = Path(root)
    ctl = root / "intel-rapl"
    ctl.mkdir(parents=True)
    (ctl / "enabled").write_text("1\n")
    zones: dict[str, Path] = {}
    tops: list[tuple[str, str]] = []  # (dir name, zone name)
    for s in range(sockets):
        tops.append((f"intel-rapl:{s}", f"package-{s}"))
    if with_psys:
        tops.append((f"intel-rapl:{sockets}", "psys"))
    for dirname, zname in tops:
        top = _zone(ctl / dirname, zname, max_energy_range_uj)
        zones[zname] = top
        os.symlink(os.path.join("intel-rapl", dirname), root / dirname)
        if zname == "psys":
            continue
        subs = [n for n, on in (("core", with_core), ("uncore", with_uncore), ("dram", with_dram)) if on]
        for m, sub in enumerate(subs):
            zones[f"{zname}/{sub}"] = _zone(top / f"{dirname}:{m}", sub, max_energy_range_uj)
    return FakePowercap(root, zones, max_energy_range_uj)
