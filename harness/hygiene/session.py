"""What the runner calls at a session's start: check the machine, say what is wrong, and build the
manifest's hygiene entries; the cool-down it uses between trials."""

from __future__ import annotations

from harness.hygiene.checklist import checklist, warnings
from harness.hygiene.cooldown import FIRST, Cooldown  # noqa: F401  (the runner's cool-down)
from harness.hygiene.machine import machine_state


def check_machine(out) -> dict:
    """The machine's state now; prints one ``warning:`` line per checklist warning to ``out``."""
    state = machine_state()
    for check in warnings(checklist(state)):
        print(f"warning: {check.topic}: {check.message}", file=out, flush=True)
    return state


def manifest_entries(state: dict, meter, hygiene) -> dict:
    """Manifest keys of a new run: the first session's machine state and checklist, and the
    meter's resolution with the shortest phase it resolves to ``hygiene.rel_error``."""
    res = meter.resolution()
    return {
        "machine_state": state,
        "checklist": [c.__dict__ for c in checklist(state)],
        "resolution": None if res is None else {
            **res.as_dict(), "rel_error": hygiene.rel_error,
            "min_phase_s": res.min_duration_s(hygiene.rel_error), "min_phase_j": res.energy_j / hygiene.rel_error},
    }
