"""The fixtures that tests/meters and tests/hygiene share, on the fake powercap (RAPL) trees of
``harness.meters.fakes`` (the builders live in the package, so that benchmarks/ run without
pytest)::

    def test_x(powercap):
        fake = powercap(sockets=1)            # HARNESS_POWERCAP_ROOT now points at it
        fake.start({"package-0": 20.0})       # watts per domain
"""

from __future__ import annotations

import pytest

# Re-exported for the meters and hygiene tests, which import them from here.
from harness.meters.fakes import FakePowercap, make_die_powercap, make_fake_powercap  # noqa: F401


# Fixtures, imported by tests/meters/conftest.py and tests/hygiene/conftest.py.
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
