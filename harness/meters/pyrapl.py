"""The ``pyrapl`` meter: the same RAPL counters as ``rapl``, read through the pyRAPL package.

pyRAPL (``pyRAPL.Sensor``) reads ``energy_uj`` of every ``package-N`` zone under
``/sys/class/powercap/intel-rapl/intel-rapl:N`` and of its ``dram`` subzone if there is one.
Domains: ``package-N`` and ``package-N/dram``; total = their sum (same rule as ``rapl``).

Differences from ``rapl``:
    * no wraparound correction: pyRAPL subtracts raw counters. A window in which a counter wrapped
      once gives a negative difference; this meter reports NaN for that domain and for the total
      rather than a wrong number. A window longer than one wrap period (minutes at full load) can
      be silently short by one counter range. Use ``rapl`` for long windows;
    * no ``core``, ``uncore`` or ``psys`` domains;
    * pyRAPL finds sockets from ``/sys/devices/system/cpu`` and fails if their number differs from
      the number of package zones.

pyRAPL hard-codes ``/sys/class/powercap``. When ``HARNESS_POWERCAP_ROOT`` names another tree, the
meter points pyRAPL's file access at that tree while it opens its files (it reads through files it
keeps open afterwards) and takes the socket ids from the tree's ``package-N`` names.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import threading
import time
import types
from pathlib import Path

from harness.environment import powercap_root
from harness.errors import MeterError
from harness.meters.common import Measurement, Meter, Resolution
from harness.meters.rapl import ACCESS_FIX, PROBE_POLL_S, PROBE_TIMEOUT_S

_PYRAPL_ROOT = "/sys/class/powercap"
_redirect_lock = threading.Lock()


def import_pyrapl():
    """Import pyRAPL without its import-time warning about the optional pymongo output."""
    manager = logging.root.manager
    previous = manager.disable
    logging.disable(max(previous, logging.WARNING))
    try:
        import pyRAPL
    except ImportError as e:
        raise MeterError(f"pyRAPL is not installed ({e}); pip install pyRAPL, or use --meter rapl") from None
    finally:
        logging.disable(previous)
    return pyRAPL


def _package_ids(root: Path) -> list[int]:
    ids = []
    base = root / "intel-rapl"
    if base.is_dir():
        for entry in os.listdir(base):
            try:
                name = (base / entry / "name").read_text().strip()
            except OSError:
                continue
            m = re.fullmatch(r"package-(\d+)", name)
            if m:
                ids.append(int(m.group(1)))
    return sorted(ids)


@contextlib.contextmanager
def _pyrapl_reads_from(root: Path):
    """While open, pyRAPL's ``/sys/class/powercap`` paths resolve under ``root`` (tests, fake trees)."""
    if os.path.abspath(root) == _PYRAPL_ROOT:
        yield
        return
    import pyRAPL.device_api as api

    def move(path):
        p = os.fspath(path)
        return str(root) + p[len(_PYRAPL_ROOT):] if p.startswith(_PYRAPL_ROOT) else p

    fake_path = types.SimpleNamespace(exists=lambda p: os.path.exists(move(p)))
    fake_os = types.SimpleNamespace(path=fake_path)
    saved = {k: api.__dict__.get(k) for k in ("open", "os", "get_socket_ids")}
    with _redirect_lock:
        api.open = lambda path, *a, **kw: open(move(path), *a, **kw)
        api.os = fake_os
        api.get_socket_ids = lambda: _package_ids(root)
        try:
            yield
        finally:
            for k, v in saved.items():
                if v is None:
                    api.__dict__.pop(k, None)
                else:
                    setattr(api, k, v)


class PyRaplMeter(Meter):
    """RAPL through pyRAPL's ``Sensor``: see the module docstring for how it differs from ``rapl``."""

    name = "pyrapl"
    estimated = False

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else powercap_root()
        shown_root = str(self.root)
        no_zone = MeterError(
            f"pyRAPL found no readable RAPL package zone under {shown_root}/intel-rapl "
            f"(or fewer zones than CPU sockets); use --meter estimate"
        )
        # Checked before importing pyRAPL, which imports pandas (half a second): a machine without
        # package zones (a VM) does not pay for it. pyRAPL would fail later, on its first read,
        # with an IndexError.
        if not _package_ids(self.root):
            raise no_zone
        pyRAPL = import_pyrapl()
        try:
            with _pyrapl_reads_from(self.root):
                sensor = pyRAPL.Sensor()
        except PermissionError as e:
            raise MeterError(
                f"pyRAPL cannot read {e.filename}: permission denied (RAPL counters are root-only "
                f"since Linux 5.10); " + ACCESS_FIX
            ) from None
        except pyRAPL.PyRAPLException:
            raise no_zone from None
        except OSError as e:
            raise MeterError(
                f"pyRAPL cannot read {e.filename or shown_root}: {e.strerror or e}; use --meter estimate"
            ) from None
        self._sensor = sensor
        first = list(sensor.energy())
        # energy() lists (package, dram) per socket id, -1 where a zone is absent.
        self._names: list[str] = []
        self._idx: list[int] = []
        for i, value in enumerate(first):
            if value >= 0:
                socket, is_dram = divmod(i, 2)
                self._names.append(f"package-{socket}" + ("/dram" if is_dram else ""))
                self._idx.append(i)
        if not self._names:
            self.close()
            raise MeterError(f"pyRAPL reads no counter under {shown_root}; use --meter estimate")

    def probe(self, timeout_s: float | None = None) -> None:
        """MeterError if a counter does not advance within ``timeout_s`` seconds (default
        ``rapl.PROBE_TIMEOUT_S``). pyRAPL only reads ``package-N`` zones, so the mirrored
        ``package-N-die-M`` zones of the ``rapl`` meter never reach it."""
        timeout_s = PROBE_TIMEOUT_S if timeout_s is None else timeout_s
        t0 = time.perf_counter()
        start = list(self._sensor.energy())
        moved = [False] * len(self._idx)
        while True:
            time.sleep(PROBE_POLL_S)
            now = self._sensor.energy()
            moved = [m or now[i] != start[i] for m, i in zip(moved, self._idx)]
            elapsed = time.perf_counter() - t0
            if all(moved) or elapsed >= timeout_s:
                break
        frozen = [n for n, m in zip(self._names, moved) if not m]
        if frozen:
            raise MeterError(
                f"pyRAPL counters did not advance in {elapsed:.2f} s: {', '.join(frozen)} (frozen, as some "
                f"VMs expose them; every phase would read 0 J); use --meter estimate"
            )

    def begin(self):
        return (time.perf_counter(), self._sensor.energy())

    def end(self, token) -> Measurement:
        t1 = time.perf_counter()
        e1 = self._sensor.energy()
        t0, e0 = token
        domains, wrapped = {}, []
        total = 0.0
        for name, i in zip(self._names, self._idx):
            d = e1[i] - e0[i]
            j = d * 1e-6 if d >= 0 else math.nan  # negative: a wrap pyRAPL does not correct
            if d < 0:
                wrapped.append(name)
            domains[name] = j
            total += j
        invalid = (f"{', '.join(wrapped)} counter went backwards (a wrap, which pyRAPL does not correct, or a "
                   "reset)" if wrapped else "")
        return Measurement(total_j=total, duration_s=t1 - t0, domains_j=domains, invalid=invalid)

    def resolution(self) -> Resolution:
        """The same RAPL counters as ``rapl``: the same resolution."""
        from harness.meters.rapl import RESOLUTION

        return RESOLUTION

    def domains(self) -> list[str]:
        return list(self._names)

    def describe(self) -> dict:
        return {
            **super().describe(),
            "root": str(self.root),
            "wraparound_corrected": False,
        }

    def close(self) -> None:
        sensor, self._sensor = getattr(self, "_sensor", None), None
        if sensor is None:
            return
        for api in getattr(sensor, "_device_api", {}).values():
            for f in getattr(api, "_sys_files", []):
                with contextlib.suppress(OSError):
                    f.close()
