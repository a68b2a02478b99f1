"""How long the command line takes to start: ``python benchmarks/startup.py``.

Times, in fresh processes, the commands a user types before any work is done:

* ``python -m harness --help``
* ``python -m harness run experiments/spam.yaml --dry-run``
* ``python -m harness meters --seconds 0`` (no sample reading, so only start-up and the meters' probes)

beside two references: the bare interpreter (``python -c pass``, the floor no change of ours can go
below) and importing the heavy libraries the commands used to load at start (scikit-learn, pandas,
scipy.stats, statsmodels, matplotlib). Each command runs ``--repeat`` times (default 10); the table
gives the median and the minimum wall time (``time.perf_counter`` around ``subprocess.run``) and,
from one more run of each command in a process that reports its ``sys.modules``, which heavy
libraries it imported. Target: each command under 1 s (issue 15), and none of the heavy libraries.

It runs this checkout's code (the repository root goes first on ``PYTHONPATH``), from the
repository root, with the machine's environment otherwise (``HARNESS_POWERCAP_ROOT`` included: on a
machine with RAPL, ``meters`` probes the real counters, a few ms each).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 1.0
HEAVY = ("sklearn", "pandas", "scipy", "statsmodels", "matplotlib")

COMMANDS = {
    "python -m harness --help": ["-m", "harness", "--help"],
    "python -m harness run experiments/spam.yaml --dry-run": ["-m", "harness", "run", "experiments/spam.yaml",
                                                             "--dry-run"],
    "python -m harness meters --seconds 0": ["-m", "harness", "meters", "--seconds", "0"],
}
REFERENCES = {
    "python -c pass (interpreter floor)": ["-c", "pass"],
    "import sklearn, pandas, scipy.stats, statsmodels, matplotlib.pyplot (for comparison)":
        ["-c", "import sklearn, pandas, scipy.stats, statsmodels.api, matplotlib.pyplot"],
}

# Runs a command as ``python -m harness`` does, then prints the heavy libraries it imported.
_REPORT_MODULES = """
import runpy, sys
sys.argv = ["harness", *sys.argv[1:]]
try:
    runpy.run_module("harness", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
print("HEAVY:" + ",".join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
"""


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def time_command(argv: list[str], repeat: int) -> list[float]:
    """Wall seconds of ``repeat`` fresh ``python ARGV`` processes; raises if one fails."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, *argv], cwd=REPO, env=_env(), capture_output=True, text=True,
                           check=False)
        times.append(time.perf_counter() - t0)
        if p.returncode != 0:
            raise RuntimeError(f"python {' '.join(argv)} exited {p.returncode}: {p.stderr.strip()[-500:]}")
    return times


def heavy_imported(argv: list[str], modules: tuple[str, ...] = HEAVY) -> list[str]:
    """The ``modules`` that ``python -m harness ARGS`` imports (argv starts with -m harness)."""
    args = argv[2:]
    p = subprocess.run([sys.executable, "-c", _REPORT_MODULES.format(heavy=modules), *args], cwd=REPO,
                       env=_env(), capture_output=True, text=True, check=False)
    line = next((x for x in p.stderr.splitlines() if x.startswith("HEAVY:")), None)
    if line is None:
        raise RuntimeError(f"could not run {' '.join(args)}: {p.stderr.strip()[-500:]}")
    return [m for m in line[len("HEAVY:"):].split(",") if m]


def benchmark(repeat: int) -> list[tuple]:
    """Rows (label, median s, min s, heavy libraries imported or None for a reference)."""
    rows = []
    for label, argv in REFERENCES.items():
        t = time_command(argv, repeat)
        rows.append((label, statistics.median(t), min(t), None))
    for label, argv in COMMANDS.items():
        t = time_command(argv, repeat)
        rows.append((label, statistics.median(t), min(t), heavy_imported(argv)))
    return rows


def render(rows: list[tuple], repeat: int, load: tuple[float, float] | None = None) -> str:
    """The Markdown table; ``load`` = 1-minute load average (before, after) the runs."""
    shown_load = f" (1-min load average {load[0]:.2f} before, {load[1]:.2f} after)" if load else ""
    title = (f"Start-up, wall time of {repeat} fresh processes each{shown_load}; "
             f"target < {TARGET_S:g} s per command")
    lines = [title, "", "| command | median | min | heavy libraries imported |", "| --- | --- | --- | --- |"]
    for label, med, lo, heavy in rows:
        shown = "(reference)" if heavy is None else (", ".join(heavy) or "none")
        lines.append(f"| `{label}` | {med:.2f} s | {lo:.2f} s | {shown} |")
    over = [r[0] for r in rows if r[3] is not None and r[1] >= TARGET_S]
    lines += ["", "all commands under target" if not over else "over target: " + "; ".join(over)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=10, help="processes per command (default 10)")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")
    before = os.getloadavg()[0]
    rows = benchmark(args.repeat)
    print(render(rows, args.repeat, (before, os.getloadavg()[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
