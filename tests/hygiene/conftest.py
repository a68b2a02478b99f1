"""Fixtures for the hygiene tests: fake powercap (RAPL) trees, as in tests/meters, and fake
sysfs/procfs trees for the machine state."""

from __future__ import annotations

import pytest

from fake_powercap import FakePowercap, no_real_powercap, powercap  # noqa: F401 (fixtures shared with tests/meters)


@pytest.fixture
def exact_reads(monkeypatch):
    """``exact_reads(fake)``: every RaplMeter read first brings ``fake``'s counters up to now, as
    a hardware counter is never late; on a loaded machine the writer thread alone can be starved
    for tens of ms, and a counter written late makes a window read low or high power."""
    from harness.meters.rapl import RaplMeter

    original = RaplMeter._read_locked

    def install(fake: FakePowercap) -> FakePowercap:
        def read(meter):
            fake.write_now()
            return original(meter)

        monkeypatch.setattr(RaplMeter, "_read_locked", read)
        return fake

    return install
