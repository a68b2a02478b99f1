"""Local vs Dask: ``python benchmarks/dask_speedup.py [--workers 2] [--repeat 1]``.

Runs the quick spec (``experiments/spam-quick.yaml``, or ``--spec``; ``--repetitions N`` makes it
longer) with the ``estimate`` meter and warm-up, cool-down and baseline set to 0, through the
CLI, as a user would: once locally and once with ``--workers N``, alternating ``--repeat`` times. Prints, per mode:

- *command*: wall time of the whole command (start-up, features from the cache, the cluster's
  start and stop included);
- *trials span*: the first trial's ``started_at`` to the last trial's ``finished_at``;
- *gap between trials on one worker*: the mean time from one trial's end to the next trial's start
  in the same process. Rows do not name the worker, so each trial is given to the process that
  became free last before it started (exact when a process runs one trial at a time, as here).
  Locally the gap is the scores and the fsynced row; on Dask it adds the scheduler round trip.

and then the speed-ups (local / Dask) and the per-trial cost of the distributed path (Dask gap -
local gap). Needs the ``dask`` extra: ``pip install -e '.[dask]'``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SPEC = REPO / "experiments" / "spam-quick.yaml"


def bench_spec(src: Path, dst: Path, repetitions: int | None = None) -> Path:
    spec = yaml.safe_load(src.read_text())
    if repetitions:
        spec["repetitions"] = repetitions
    spec["meter"] = "estimate"
    spec["hygiene"] = {**spec.get("hygiene", {}), "warmup_s": 0, "cooldown_s": 0, "baseline_s": 0}
    dst.write_text(yaml.safe_dump(spec))
    return dst


def chains(df: pd.DataFrame) -> list[list[tuple[pd.Timestamp, pd.Timestamp]]]:
    """Trials grouped into the processes that ran them, one trial at a time each (see module doc)."""
    out: list[list] = []
    for s, f in sorted(zip(df["started_at"], df["finished_at"])):
        free = [c for c in out if c[-1][1] <= s]
        if free:
            max(free, key=lambda c: c[-1][1]).append((s, f))
        else:
            out.append([(s, f)])
    return out


def measure(spec: Path, workdir: Path, extra: list[str], tag: str) -> dict:
    out = workdir / tag
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "harness", "run", str(spec), "--results-dir", str(out), "--quiet",
                           "--fresh", *extra], cwd=REPO, capture_output=True, text=True)
    command_s = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{tag}: run failed: {proc.stderr.strip()}")
    df = pd.read_csv(next(out.glob("*/trials.csv")))
    for col in ("started_at", "finished_at"):
        df[col] = pd.to_datetime(df[col], format="ISO8601")
    span_s = (df["finished_at"].max() - df["started_at"].min()).total_seconds()
    gaps = [(b[0] - a[1]).total_seconds() for c in chains(df) for a, b in zip(c, c[1:])]
    return {"command_s": command_s, "span_s": span_s, "gap_ms": 1000 * statistics.mean(gaps),
            "processes": len(chains(df)), "trials": len(df),
            "phases_s": float(df[["preprocess_s", "train_s", "predict_s"]].sum().sum())}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", type=Path, default=DEFAULT_SPEC)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1, help="alternating local/Dask pairs (default 1)")
    ap.add_argument("--repetitions", type=int, default=None,
                    help="override the spec's repetitions (a longer run spreads the cluster's start-up)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        spec = bench_spec(args.spec, tmp / "bench.yaml", args.repetitions)
        subprocess.run([sys.executable, "-m", "harness", "run", str(spec), "--dry-run"], cwd=REPO, check=True,
                       capture_output=True)
        results = {"local": [], "dask": []}
        for i in range(args.repeat):
            results["local"].append(measure(spec, tmp, [], f"local{i}"))
            results["dask"].append(measure(spec, tmp, ["--workers", str(args.workers)], f"dask{i}"))
    med = {mode: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for mode, rs in results.items()}
    loc, dk = med["local"], med["dask"]
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(f"spec {args.spec.name} ({int(loc['trials'])} trials, estimate meter, no warm-up/cool-down/baseline); "
          f"median of {args.repeat}; load average {' '.join(load)}")
    print(f"{'':34}{'local':>10}{'--workers ' + str(args.workers):>14}")
    print(f"{'command wall time (s)':34}{loc['command_s']:>10.2f}{dk['command_s']:>14.2f}")
    print(f"{'trials span (s)':34}{loc['span_s']:>10.2f}{dk['span_s']:>14.2f}")
    print(f"{'sum of measured phases (s)':34}{loc['phases_s']:>10.2f}{dk['phases_s']:>14.2f}")
    print(f"{'processes that ran trials':34}{loc['processes']:>10.0f}{dk['processes']:>14.0f}")
    print(f"{'gap between trials, one process (ms)':34}{loc['gap_ms']:>10.2f}{dk['gap_ms']:>14.2f}")
    print(f"speed-up, trials span: {loc['span_s'] / dk['span_s']:.2f}x; whole command: "
          f"{loc['command_s'] / dk['command_s']:.2f}x (target >= 1.7x)")
    print(f"per-trial cost of the distributed path: {dk['gap_ms'] - loc['gap_ms']:.2f} ms "
          f"(Dask gap - local gap)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
