"""Provenance of a run: the machine it ran on and the library versions that shaped its results.

Recorded in the manifest at the start of every session (``harness.run.runner``)."""

from __future__ import annotations

import os
import platform

from harness import __version__


def machine_facts() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
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
