"""Provenance of a run: the machine it ran on and the library versions that shaped its results.

Recorded in the manifest at the start of every session (``harness.run.runner``)."""

from __future__ import annotations

import os
import platform
from pathlib import Path

from harness import __version__
from harness.environment import procfs_root


def machine_facts(proc_root: Path | str | None = None) -> dict:
    """``cpu_model`` (the first "model name" of ``<proc_root>/cpuinfo``, else what ``platform``
    says), ``cpu_count``, ``os`` and ``python``. ``proc_root``: None reads ``$HARNESS_PROCFS_ROOT``
    (default ``/proc``), as the machine's state does."""
    proc_root = Path(proc_root) if proc_root is not None else procfs_root()
    cpu = platform.processor() or platform.machine()
    try:
        with open(proc_root / "cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu_model": cpu, "cpu_count": os.cpu_count(), "os": platform.platform(),
            "python": platform.python_version()}


def library_versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"harness": __version__}
    for name in ("scikit-learn", "numpy", "scipy", "pandas", "nltk", "pyRAPL", "threadpoolctl"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out
