"""Fixtures for the meter tests: every test gets a missing powercap root unless it builds a fake
tree, so no test reads this machine's real counters."""

from __future__ import annotations

import pytest

from fake_nvml import pynvml  # noqa: F401 (the fake pynvml fixture)
from fake_powercap import no_real_powercap, powercap  # noqa: F401 (fixtures shared with tests/hygiene)


@pytest.fixture
def deny_read(monkeypatch):
    """``deny_read(path)``: os.open and open() of that file raise PermissionError, as for a
    non-root user on a root-only energy_uj (tests run as root, which ignores file modes)."""
    import builtins
    import os

    denied: set[str] = set()
    real_os_open, real_open = os.open, builtins.open

    def check(path):
        try:
            p = os.path.realpath(os.fspath(path))
        except TypeError:  # a file descriptor
            return
        if p in denied:
            raise PermissionError(13, "Permission denied", os.fspath(path))

    def os_open(path, *a, **kw):
        check(path)
        return real_os_open(path, *a, **kw)

    def open_(file, *a, **kw):
        check(file)
        return real_open(file, *a, **kw)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(builtins, "open", open_)

    def deny(path) -> None:
        denied.add(os.path.realpath(os.fspath(path)))

    return deny
