"""Fixtures for the meter tests: every test gets a missing powercap root unless it builds a fake
tree, so no test reads this machine's real counters."""

from __future__ import annotations

import pytest

from fake_powercap import FakePowercap, make_fake_powercap


@pytest.fixture(autouse=True)
def no_real_powercap(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_POWERCAP_ROOT", str(tmp_path / "no-powercap"))


@pytest.fixture
def powercap(tmp_path, monkeypatch):
    """``powercap(**make_fake_powercap_kwargs) -> FakePowercap``; sets HARNESS_POWERCAP_ROOT to it
    and stops its writer thread at the end of the test. ``builder=make_die_powercap`` builds a
    one-socket tree of ``package-0-die-D`` zones instead."""
    made: list[FakePowercap] = []

    def make(builder=make_fake_powercap, **kw) -> FakePowercap:
        fake = builder(tmp_path / f"powercap{len(made)}", **kw)
        made.append(fake)
        monkeypatch.setenv("HARNESS_POWERCAP_ROOT", str(fake.root))
        return fake

    yield make
    for fake in made:
        fake.close()


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
