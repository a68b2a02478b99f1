"""``python -m harness meters``: which energy meters this machine can use, and what they read.

For each meter: available or not with the reason, its domains, and a sample reading in watts over
``--seconds`` (default 1; every available meter is read over the same window). Each meter is
opened as a run opens it, probe included: a counter that does not advance is shown unavailable,
and RAPL zones that mirror one another are shown and counted once. The estimate meter shows its
model's watts per core; the nvml meter, which GPUs it measures (``CUDA_VISIBLE_DEVICES``) and which
not, and why. Respects ``HARNESS_POWERCAP_ROOT``.
"""

from __future__ import annotations

import argparse
import sys
import time

from harness.environment import POWERCAP_ENV, powercap_root
from harness.errors import MeterError
from harness.meters import AUTO_ORDER, METER_NAMES, open_meter

MAX_SECONDS = 86_400.0  # as harness.spec.MAX_SECONDS (not imported: pydantic would load with it)
LONG_SAMPLE_S = 60.0  # longer than this is unusual for a look at a meter: warned about


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "meters",
        help="show which energy meters work on this machine, with a sample reading",
        description=__doc__.splitlines()[0],
    )
    p.add_argument("--seconds", type=float, default=1.0, metavar="S",
                   help="length of the sample reading in seconds (default 1; 0 skips it)")
    p.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    seconds = args.seconds
    if not 0 <= seconds <= MAX_SECONDS:  # NaN and inf too (time.sleep overflows on them)
        raise MeterError(f"--seconds must be from 0 to {MAX_SECONDS:g} (a day, the spec's longest warm-up or "
                         f"baseline), got {seconds:g}; a few seconds show a meter's power")
    if seconds > LONG_SAMPLE_S:
        print(f"harness: warning: --seconds {seconds:g}: this check waits that long for its sample; a few "
              "seconds show a meter's power (measure longer with a run's hygiene.baseline_s)", file=sys.stderr)
    print(f"powercap root: {powercap_root()} (set {POWERCAP_ENV} to read another tree)")
    opened, status = {}, {}
    for name in (n for n in METER_NAMES if n != "auto"):
        try:
            opened[name] = open_meter(name).meter
            status[name] = "available"
        except MeterError as e:
            status[name] = f"unavailable: {e}"
    auto = next(n for n in AUTO_ORDER if n in opened)
    print(f"auto picks: {auto}")
    try:
        samples = _sample(opened, seconds)
        width = max(len(n) for n in status)
        for name, state in status.items():
            print(f"{name:<{width}}  {state}")
            meter = opened.get(name)
            if meter is None:
                continue
            indent = " " * (width + 2)
            print(f"{indent}domains: {', '.join(meter.domains()) or '-'}; "
                  f"total = {' + '.join(meter.total_domains()) or '-'}")
            for line in _facts(meter):
                print(indent + line)
            m = samples.get(name)
            if m is not None and m.invalid:
                print(f"{indent}sample over {m.duration_s:.2f} s: not a measurement: {m.invalid}")
            elif m is not None:
                d = m.duration_s
                parts = ", ".join(f"{k} {j / d:.2f} W" for k, j in m.domains_j.items())
                note = " (ESTIMATED from CPU time)" if meter.estimated else ""
                print(f"{indent}sample over {d:.2f} s: total {m.total_j / d:.2f} W{note}; {parts}")
    finally:
        for meter in opened.values():
            meter.close()
    return 0


def _facts(meter) -> list[str]:
    """Lines on what a meter's total means: what it leaves out or covers beyond the job (GPUs not
    measured, MIG), mirrored zones counted once, the estimate's model."""
    out = list(meter.notes())  # what the total leaves out: GPUs not measured and why, a partial total, MIG
    note = meter.mirror_note()
    if note:
        out.append(f"mirrored: {note} ({meter.describe().get('mirror_evidence', '')})")
    if meter.estimated and hasattr(meter, "per_core_w"):
        out.append(meter.model_line())
        out.append("set estimate: {tdp_w, cores} in the spec for your CPU's datasheet values; savings do not "
                   "depend on the watts per core, absolute joules do")
    return out


def _sample(meters: dict, seconds: float) -> dict:
    """One window of ``seconds`` read by every meter at once."""
    if seconds == 0 or not meters:
        return {}
    tokens = {n: m.begin() for n, m in meters.items()}
    time.sleep(seconds)
    return {n: meters[n].end(tokens[n]) for n in meters}
