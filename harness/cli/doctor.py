"""``python -m harness doctor``: is this machine ready to measure? A short checklist.

Prints the machine's state as checks (``harness.hygiene.checklist``), each ``[OK  ]``, ``[INFO]``
or ``[WARN]`` with what to do, then the energy meter ``auto`` would pick and its resolution.
Exit code 0 either way (``--strict``: 1 when there is a warning, for scripts). Reads
``HARNESS_SYSFS_ROOT``, ``HARNESS_PROCFS_ROOT`` and ``HARNESS_POWERCAP_ROOT``.
"""

from __future__ import annotations

import argparse
import json

from harness.errors import counted


def register(subparsers) -> None:
    p = subparsers.add_parser("doctor", help="check this machine's state before measuring (governor, turbo, load, ...)",
                              description=__doc__.splitlines()[0])
    p.add_argument("--json", action="store_true", help="print the full machine state as JSON instead")
    p.add_argument("--strict", action="store_true", help="exit code 1 when any check warns")
    p.set_defaults(func=handler)


def handler(args: argparse.Namespace, out=None) -> int:
    from harness.hygiene.checklist import checklist, warnings
    from harness.hygiene.machine import machine_state
    from harness.meters import open_meter

    state = machine_state()
    if args.json:
        print(json.dumps(state, indent=2), file=out)
        return 0
    checks = checklist(state)
    for check in checks:
        print(check.line(), file=out)
    selection = open_meter("auto")
    try:
        meter = selection.meter
        res = meter.resolution()
        if res is not None:
            print(f"[INFO] meter: auto picks {meter.name}; resolution {res.source}: phases under "
                  f"{res.min_duration_s(0.05) * 1e3:.3g} ms are flagged at 5% (hygiene.rel_error)", file=out)
    finally:
        selection.meter.close()
    bad = warnings(checks)
    print(counted(len(bad), "warning") + (": fix them, or report them with your results" if bad else ""), file=out)
    return 1 if bad and args.strict else 0
