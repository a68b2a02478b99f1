"""The environment variables the harness reads: all of them are read here, and only here.

- ``HARNESS_SYSFS_ROOT`` (default ``/sys``) and ``HARNESS_PROCFS_ROOT`` (default ``/proc``): the
  trees the machine's state and provenance are read from (``harness.hygiene``); tests and the
  real-world checks point them at fake trees.
- ``HARNESS_POWERCAP_ROOT`` (default ``/sys/class/powercap``): the RAPL tree (``harness.meters``).
- ``HARNESS_DATASETS_DIR`` (default: the package's ``data/`` folder, package data): the shipped datasets.
- ``HARNESS_CACHE_DIR`` (default ``$XDG_CACHE_HOME/harness``, else ``~/.cache/harness``): the
  feature cache (``harness.data.features``).
- ``SCIKIT_LEARN_DATA`` (scikit-learn's own; default ``~/scikit_learn_data``): the OpenML cache a
  spec's ``dataset: {openml: ...}`` reads when it gives no ``cache`` (``harness.data.datasets``).
- ``HARNESS_ALLOW_IMPORT``: packages, comma-separated, that a spec may import classes from beyond
  the defaults (``harness.imports``).
- ``CUDA_VISIBLE_DEVICES`` and ``CUDA_DEVICE_ORDER`` (CUDA's own, set by Slurm, a container runtime or
  the user): the GPUs the job was given, which the ``nvml`` meter measures (``harness.meters.nvml``).
  Here an empty ``CUDA_VISIBLE_DEVICES`` is not unset: to CUDA it means "no GPU".

Each function reads its variable when called, never at import: a test or a script may set one
after importing the harness. An empty value counts as unset.
"""

from __future__ import annotations

import os
from pathlib import Path

SYSFS_ENV = "HARNESS_SYSFS_ROOT"
PROCFS_ENV = "HARNESS_PROCFS_ROOT"
POWERCAP_ENV = "HARNESS_POWERCAP_ROOT"
DATASETS_ENV = "HARNESS_DATASETS_DIR"
CACHE_ENV = "HARNESS_CACHE_DIR"
ALLOW_IMPORT_ENV = "HARNESS_ALLOW_IMPORT"
CUDA_VISIBLE_ENV = "CUDA_VISIBLE_DEVICES"
CUDA_ORDER_ENV = "CUDA_DEVICE_ORDER"
SKLEARN_DATA_ENV = "SCIKIT_LEARN_DATA"

DEFAULT_POWERCAP_ROOT = "/sys/class/powercap"


def _get(name: str) -> str | None:
    return os.environ.get(name) or None


def sysfs_root() -> Path:
    """``$HARNESS_SYSFS_ROOT``, else ``/sys``."""
    return Path(_get(SYSFS_ENV) or "/sys")


def procfs_root() -> Path:
    """``$HARNESS_PROCFS_ROOT``, else ``/proc``."""
    return Path(_get(PROCFS_ENV) or "/proc")


def powercap_root() -> Path:
    """``$HARNESS_POWERCAP_ROOT``, else ``/sys/class/powercap``."""
    return Path(_get(POWERCAP_ENV) or DEFAULT_POWERCAP_ROOT)


def datasets_dir() -> Path:
    """``$HARNESS_DATASETS_DIR``, else the package's ``data/`` folder (package data: found in a
    checkout and in an installed wheel alike; ``files()`` is a folder on disk, the harness is not run
    from a zip)."""
    from importlib.resources import files

    return Path(_get(DATASETS_ENV) or str(files("harness") / "data"))


def cache_dir() -> Path:
    """``$HARNESS_CACHE_DIR``, else ``harness/`` under ``$XDG_CACHE_HOME`` or ``~/.cache``."""
    given = _get(CACHE_ENV)
    if given:
        return Path(given)
    return Path(_get("XDG_CACHE_HOME") or Path.home() / ".cache") / "harness"


def sklearn_data_home() -> Path:
    """``$SCIKIT_LEARN_DATA``, else ``~/scikit_learn_data``: scikit-learn's ``get_data_home`` default,
    read without creating the folder."""
    return Path(_get(SKLEARN_DATA_ENV) or "~/scikit_learn_data").expanduser()


def allowed_imports() -> list[str]:
    """The package names in ``$HARNESS_ALLOW_IMPORT`` (comma-separated; blanks dropped)."""
    return [name.strip() for name in (_get(ALLOW_IMPORT_ENV) or "").split(",") if name.strip()]


def cuda_visible_devices() -> str | None:
    """``$CUDA_VISIBLE_DEVICES`` as set, or None when unset. Unlike the harness's own variables an
    empty value is returned as "": CUDA then shows the job no GPU at all."""
    return os.environ.get(CUDA_VISIBLE_ENV)


def cuda_device_order() -> str:
    """``$CUDA_DEVICE_ORDER`` (upper case), else ``FASTEST_FIRST``, CUDA's default: the order in which
    CUDA numbers GPUs, which the indices of ``CUDA_VISIBLE_DEVICES`` refer to (``PCI_BUS_ID`` is NVML's)."""
    return (_get(CUDA_ORDER_ENV) or "FASTEST_FIRST").strip().upper()
