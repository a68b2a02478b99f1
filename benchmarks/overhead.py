"""What the harness itself costs: ``python benchmarks/overhead.py``.

Prints one table in four parts:

1. per-window cost (``begin`` + ``end``, microseconds, median of ``--repeat`` windows) of every
   meter this machine can open: ``estimate``, ``rapl`` and ``pyrapl`` on a fake powercap tree (and
   on this machine's own counters when they are readable), and CodeCarbon's tracker with a new
   tracker per window, as the ICT4S'22 scripts used it, with the ratio to ours;
2. a whole run of the quick spec (warm-up, cool-down and baseline set to 0, meter ``estimate``):
   run time (first trial's start to last trial's end, from trials.csv) against the sum of the
   measured phases and against the same fits and predictions done with bare calls in this
   process, once before and once after the run (the floor);
3. what each trial spends outside its measured phases (scores, the fsynced row, timestamps);
4. peak memory (RSS) of preparing the features and of one full-size trial of each algorithm,
   each in a fresh process (peak RSS only grows within a process).

The last line is the whole-run overhead ratio: run time / time inside the measured phases.

CodeCarbon is a benchmark extra, never a runtime dependency: ``pip install .[bench]``. Without it
(or with ``--skip-codecarbon``) its row says why it has no number.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, str(REPO))

DEFAULT_SPEC = REPO / "experiments" / "spam-quick.yaml"
POWERCAP_ENV = "HARNESS_POWERCAP_ROOT"
CODECARBON_COUNTRY = "USA"  # offline tracker only: any ISO code works, the carbon intensity is not timed


@dataclass
class Section:
    """One part of the printed table: a title, column names, rows of cells (first cell = label)."""

    title: str
    columns: tuple[str, ...]
    rows: list[tuple] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def labels(self) -> list[str]:
        return [r[0] for r in self.rows]


# -- 1. per-window cost ------------------------------------------------------------------------

def window_costs_us(meter, repeat: int) -> list[float]:
    """Wall time of ``meter.end(meter.begin())``, in microseconds, ``repeat`` times."""
    clock = time.perf_counter_ns
    out = []
    for _ in range(repeat):
        t0 = clock()
        meter.end(meter.begin())
        out.append((clock() - t0) / 1e3)
    return out


def _load_fake_powercap():
    """The meters tests' fake-tree builder, loaded by path (``tests`` is not a package)."""
    path = REPO / "tests" / "helpers" / "fake_powercap.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("_bench_fake_powercap", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclass-like machinery may look the module up
    spec.loader.exec_module(module)
    return module.make_fake_powercap


def _minimal_fake_powercap(root: Path) -> Path:
    """package-0 with core and dram subzones, laid out like /sys/class/powercap."""
    for rel, name in (("intel-rapl/intel-rapl:0", "package-0"), ("intel-rapl/intel-rapl:0/intel-rapl:0:0", "core"),
                      ("intel-rapl/intel-rapl:0/intel-rapl:0:1", "dram")):
        d = root / rel
        d.mkdir(parents=True)
        (d / "name").write_text(name + "\n")
        (d / "max_energy_range_uj").write_text("262143328850\n")
        (d / "energy_uj").write_text("12345678\n")
    os.symlink("intel-rapl/intel-rapl:0", root / "intel-rapl:0")
    return root


def make_fake_tree(root: Path) -> Path:
    """A one-socket fake powercap tree (package, core, dram) with static counters: a writer thread
    would compete with the timed loop for the GIL and inflate the numbers."""
    make = _load_fake_powercap()
    if make is None:
        return _minimal_fake_powercap(root)
    fake = make(root, sockets=1, with_dram=True, with_core=True)
    for i, domain in enumerate(fake.zones):
        fake.set_uj(domain, 10_000_000 * (i + 1))
    fake.close()  # closes the writer's file handles; the tree stays
    return fake.root


@contextlib.contextmanager
def powercap_root(path: Path | str):
    old = os.environ.get(POWERCAP_ENV)
    os.environ[POWERCAP_ENV] = str(path)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(POWERCAP_ENV, None)
        else:
            os.environ[POWERCAP_ENV] = old


def _meter_row(label: str, name: str, repeat: int):
    """(label, windows, median us, p90 us) or (label, "unavailable: <reason>")."""
    from harness.errors import MeterError
    from harness.meters import open_meter

    try:
        # probe=False: the fake tree's counters are static on purpose (see make_fake_tree)
        meter = open_meter(name, probe=False).meter
    except MeterError as e:
        return (label, f"unavailable: {e}")
    try:
        costs = window_costs_us(meter, repeat)
        zones = len(meter.domains())
    finally:
        meter.close()
    return (f"{label} [{zones} domain{'s' if zones != 1 else ''}]", len(costs), statistics.median(costs),
            _quantile(costs, 0.9))


def _quantile(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))]


def codecarbon_row(repeat: int, probe_timeout_s: float = 60.0):
    """A new CodeCarbon tracker per window (construct + start + stop), as the ICT4S'22 scripts did.

    Returns (label, windows, median us, p90 us, first window us) or (label, "unavailable: ...").
    ``EmissionsTracker`` is tried first; if it raises or does not finish within
    ``probe_timeout_s`` (it may look up its location on the network), ``OfflineEmissionsTracker``
    is timed instead. The row names the class timed. A stopped tracker cannot be restarted (its
    scheduler is gone and start() swallows the error), so reusing one would time a no-op.
    """
    label = "codecarbon"
    try:
        import codecarbon
    except ImportError:
        return (label, "unavailable: codecarbon is not installed (pip install .[bench])")
    logging.getLogger("codecarbon").setLevel(logging.ERROR)

    def new_online():
        return codecarbon.EmissionsTracker(save_to_file=False, log_level="error")

    def new_offline():
        return codecarbon.OfflineEmissionsTracker(country_iso_code=CODECARBON_COUNTRY, save_to_file=False,
                                                  log_level="error")

    def window(new) -> float:
        t0 = time.perf_counter_ns()
        tracker = new()
        tracker.start()
        emissions = tracker.stop()
        us = (time.perf_counter_ns() - t0) / 1e3
        if not isinstance(emissions, float):  # start() and stop() swallow their own errors
            raise RuntimeError(f"stop() returned {emissions!r}, not emissions in kg")
        return us

    first: dict = {}

    def probe():
        try:
            first["us"] = window(new_online)
        except Exception as e:  # any failure means: use the offline tracker
            first["error"] = e

    t = threading.Thread(target=probe, daemon=True)
    t.start()
    t.join(probe_timeout_s)
    if "us" in first:
        new, cls = new_online, "EmissionsTracker"
    else:
        new, cls = new_offline, "OfflineEmissionsTracker"
        why = first.get("error") or f"no answer in {probe_timeout_s:g} s"
        try:
            first["us"] = window(new)
        except Exception as e:
            return (label, f"unavailable: EmissionsTracker failed ({why}); OfflineEmissionsTracker failed ({e})")
    costs = [window(new) for _ in range(repeat)]
    return (f"codecarbon {codecarbon.__version__} {cls}, new tracker per window", len(costs),
            statistics.median(costs), _quantile(costs, 0.9), first["us"])


def meter_section(repeat: int, codecarbon_repeat: int, skip_codecarbon: bool, workdir: Path) -> Section:
    sec = Section("1. Per-window cost: begin() + end(), microseconds",
                  ("meter", "windows", "median us", "p90 us", "x estimate", "x rapl"))
    rows = [_meter_row("estimate (process CPU time)", "estimate", repeat)]
    fake = make_fake_tree(workdir / "powercap")
    with powercap_root(fake):
        rows.append(_meter_row("rapl on a fake powercap tree", "rapl", repeat))
        rows.append(_meter_row("pyrapl on a fake powercap tree", "pyrapl", repeat))
    real = os.environ.get(POWERCAP_ENV) or "/sys/class/powercap"
    with powercap_root(real):
        rows.append(_meter_row(f"rapl on this machine ({real})", "rapl", repeat))
        rows.append(_meter_row("pyrapl on this machine", "pyrapl", repeat))
    if skip_codecarbon:
        rows.append(("codecarbon", "unavailable: skipped (--skip-codecarbon)"))
    else:
        cc = codecarbon_row(codecarbon_repeat)
        if len(cc) > 2:
            rows.append(cc[:4])
            rows.append(("  its first window in this process (hardware detection)", 1, cc[4], cc[4]))
        else:
            rows.append(cc)
    base = {"estimate": _median_of(rows, "estimate"), "rapl": _median_of(rows, "rapl on a fake")}
    for r in rows:
        if len(r) == 2:
            sec.rows.append(r)
            continue
        ratios = tuple(f"{r[2] / base[k]:.1f}" if base[k] else "-" for k in ("estimate", "rapl"))
        sec.rows.append((r[0], r[1], f"{r[2]:.1f}", f"{r[3]:.1f}", *ratios))
    sec.notes.append("fake tree: static counters in regular files; a real energy_uj read goes through the "
                     "kernel's RAPL driver and costs more per zone")
    return sec


def _median_of(rows, prefix: str) -> float | None:
    for r in rows:
        if r[0].startswith(prefix) and len(r) > 2:
            return r[2]
    return None


# -- 2. and 3. the whole run ---------------------------------------------------------------------

def zero_hygiene_spec(spec_path: Path, workdir: Path, overrides: dict | None = None) -> Path:
    """A copy of the spec with warm-up, cool-down and baseline set to 0 (and any ``overrides``)."""
    import yaml

    data = yaml.safe_load(Path(spec_path).read_text())
    data["hygiene"] = {**(data.get("hygiene") or {}), "warmup_s": 0, "cooldown_s": 0, "baseline_s": 0}
    ds = data.get("dataset")
    if isinstance(ds, dict) and "path" in ds and not Path(ds["path"]).is_absolute():
        ds["path"] = str((Path(spec_path).resolve().parent / ds["path"]).resolve())
    data.update(overrides or {})
    out = workdir / Path(spec_path).name
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    return out


def timed_run(spec_path: Path, workdir: Path) -> dict:
    """Run the spec through ``run_spec`` with the estimate meter; times from its trials.csv.

    run_s: first started_at to last finished_at. phases_s: sum of preprocess_s + train_s +
    predict_s. wall_s: the whole run_spec call (setup, manifest, loop, close).
    """
    from harness.run.runner import run_spec
    from harness.spec import load_spec
    from harness.results.store import read_trials

    results = workdir / "results"
    load_before = os.getloadavg()[0]
    spent: dict[str, list[float]] = {}
    with _timing(spent):
        t0 = time.perf_counter()
        rc = run_spec(spec_path, results_dir=results, fresh=True, quiet=True, meter="estimate", out=io.StringIO())
        wall = time.perf_counter() - t0
    if rc != 0:
        raise RuntimeError(f"run_spec returned {rc}")
    run_dir = results / load_spec(spec_path).name
    df = read_trials(run_dir)
    started = [datetime.fromisoformat(s) for s in df["started_at"]]
    finished = [datetime.fromisoformat(s) for s in df["finished_at"]]
    return {
        "trials": len(df), "run_dir": run_dir,
        "run_s": (max(finished) - min(started)).total_seconds(),
        "phases_s": float((df["preprocess_s"] + df["train_s"] + df["predict_s"]).sum()),
        "preprocess_s": float(df["preprocess_s"].sum()),
        "fit_predict_s": float((df["train_s"] + df["predict_s"]).sum()),
        "wall_s": wall, "load_before": load_before, "load_after": os.getloadavg()[0],
        "in_run_us": {k: 1e6 * sum(v) / len(v) for k, v in spent.items() if v},
        "in_run_spread_us": {k: (1e6 * statistics.median(v), 1e6 * max(v)) for k, v in spent.items() if v},
    }


# The runner's per-trial bookkeeping, timed inside the real run: (module, attribute, label).
# A name the harness no longer has is skipped, and its row says so.
IN_RUN = (("harness.run.trial", "_metrics", "scores"), ("harness.results.store", "TrialWriter.append", "append"))


@contextlib.contextmanager
def _timing(spent: dict[str, list[float]]):
    """While open, each IN_RUN function records its wall time (s) per call in ``spent[label]``."""
    import importlib

    undo = []
    for module_name, attr, label in IN_RUN:
        owner = importlib.import_module(module_name)
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part, None)
        fn = getattr(owner, name, None)
        if fn is None:
            continue
        calls = spent.setdefault(label, [])

        def timed(*a, _fn=fn, _calls=calls, **kw):
            t0 = time.perf_counter()
            try:
                return _fn(*a, **kw)
            finally:
                _calls.append(time.perf_counter() - t0)

        setattr(owner, name, timed)
        undo.append((owner, name, fn))
    try:
        yield
    finally:
        for owner, name, fn in reversed(undo):
            setattr(owner, name, fn)


def _setup(spec_path: Path):
    """What run_spec builds before its first trial: spec, plan, protocol, algorithms."""
    from harness.models.algorithms import resolve
    from harness.data.datasets import load_dataset
    from harness.data.features import build_features
    from harness.plan import make_plan
    from harness.plan.protocols import PROTOCOLS
    from harness.spec import load_spec

    spec = load_spec(spec_path)
    dataset = load_dataset(spec.dataset, Path(spec_path).resolve().parent)
    algorithms = {a.name: resolve(a, i) for i, a in enumerate(spec.algorithms)}
    features = build_features(dataset, spec.text)
    protocol = PROTOCOLS[spec.protocol](features.X, features.y, spec.test_fraction, spec.seed)
    return spec, make_plan(spec), protocol, algorithms


def bare_run(spec_path: Path) -> dict:
    """The floor: the same trials, in the same order and thread limit, with plain calls and no
    meter, scores or writing. fit_predict_s times only ``fit`` + ``predict``; preprocess_s the
    protocol's preprocess (the same work as the run's preprocess phase)."""
    from threadpoolctl import threadpool_limits

    from harness.plan import execution_order

    spec, plan, protocol, algorithms = _setup(spec_path)
    clock = time.perf_counter
    pre = fitpred = 0.0
    with threadpool_limits(limits=spec.hygiene.threads):
        for t in execution_order(plan, spec.hygiene.shuffle, spec.seed):
            t0 = clock()
            split = protocol.preprocess(t.row_fraction, t.feature_fraction, t.seed)
            t1 = clock()
            est = algorithms[t.algorithm].make(t.seed)
            t2 = clock()
            est.fit(split.X_train, split.y_train)
            est.predict(split.X_test)
            t3 = clock()
            pre += t1 - t0
            fitpred += t3 - t2
    return {"trials": len(plan), "preprocess_s": pre, "fit_predict_s": fitpred, "load_after": os.getloadavg()[0]}


def run_section(spec_path: Path, run: dict, before: dict, after: dict) -> Section:
    """``before`` and ``after``: bare passes over the same trials just before and just after the
    run, so that drift of the machine (other load, caches, frequency) shows as their spread."""
    sec = Section(f"2. Whole run: {spec_path.name}, {run['trials']} trials, meter estimate, "
                  "warm-up / cool-down / baseline 0", ("what", "seconds", "/ measured phases"))
    ph = run["phases_s"]

    def row(label, s):
        sec.rows.append((label, f"{s:.3f}", f"{s / ph:.4f}" if ph else "-"))

    row("run time: first trial start -> last trial end", run["run_s"])
    row("measured phases: preprocess + train + predict", ph)
    row("  of which train + predict", run["fit_predict_s"])
    row("bare calls (floor) before the run: fit + predict", before["fit_predict_s"])
    row("bare calls (floor) after the run: fit + predict", after["fit_predict_s"])
    gap = run["run_s"] - ph
    row("harness outside the phases (run time - phases)", gap)
    row("run_spec wall time (setup, manifest, loop, close)", run["wall_s"])
    floor = (before["fit_predict_s"] + after["fit_predict_s"]) / 2
    sec.notes.append(f"outside the phases: {gap / max(run['trials'], 1) * 1e3:.2f} ms per trial")
    sec.notes.append(f"run time / floor (mean of the two bare passes): {run['run_s'] / floor:.4f}; train + predict / "
                     f"floor: {run['fit_predict_s'] / floor:.4f}; the two bare passes differ by "
                     f"{abs(before['fit_predict_s'] - after['fit_predict_s']) / floor:.1%} (run-to-run noise)")
    sec.notes.append(f"bare preprocess (not in the floor above): {before['preprocess_s']:.3f} s before, "
                     f"{after['preprocess_s']:.3f} s after; the run's preprocess phases: {run['preprocess_s']:.3f} s")
    sec.notes.append(f"1-minute load average on {os.cpu_count()} CPUs: {run['load_before']:.2f} before the run, "
                     f"{run['load_after']:.2f} after it (this benchmark adds ~1; more means other processes "
                     "competed for the CPUs)")
    return sec


def bookkeeping_section(run: dict, workdir: Path, repeat: int = 50) -> Section:
    """Per-trial costs outside the phases, each timed on its own with a real row of the run."""
    import numpy as np

    from harness.run.trial import _metrics, utc_now
    from harness.results.store import TrialWriter, format_row, read_trials

    df = read_trials(run["run_dir"])
    row = df.iloc[-1].to_dict()
    for c in ("preprocess_domains_j", "train_domains_j", "predict_domains_j"):
        row[c] = json.loads(row[c])
    n_test = int(df["n_test"].max())
    rng = np.random.default_rng(0)
    y_true = (rng.random(n_test) < 0.13).astype(np.int64)  # SMS Spam: 13% spam
    y_pred = y_true.copy()
    y_pred[rng.integers(0, n_test, n_test // 20)] ^= 1

    def median_us(fn, n):
        xs = []
        for _ in range(n):
            t0 = time.perf_counter_ns()
            fn()
            xs.append((time.perf_counter_ns() - t0) / 1e3)
        return statistics.median(xs)

    sec = Section("3. Per trial outside the phases, microseconds",
                  ("step", "alone, median", "in the run, mean", "note"))
    in_run = run.get("in_run_us", {})

    def during(label):
        return f"{in_run[label]:.0f}" if label in in_run else "not timed"

    sec.rows.append(("scores (accuracy, precision, recall, f1)", f"{median_us(lambda: _metrics(y_true, y_pred), repeat):.0f}",
                     during("scores"), f"sklearn.metrics, {n_test} test labels"))
    sec.rows.append(("format the CSV row", f"{median_us(lambda: format_row(row), repeat * 10):.1f}", "-", ""))
    path = workdir / "append-bench" / "trials.csv"  # same file system as the results
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = TrialWriter(path)
    try:
        append_us = median_us(lambda: writer.append(row), repeat)
    finally:
        writer.close()
    sec.rows.append(("append the row + flush + fsync", f"{append_us:.0f}", during("append"),
                     "durability: every finished trial is on disk"))
    sec.rows.append(("timestamps (2 x utc_now)", f"{2 * median_us(utc_now, repeat * 10):.1f}", "-", ""))
    sec.notes.append("alone: back to back in this process; in the run: the same calls inside the whole run above, "
                     "where an fsync follows half a second of other work")
    for label, (med, top) in run.get("in_run_spread_us", {}).items():
        sec.notes.append(f"{label} in the run: median {med:.0f} us, slowest {top:.0f} us (a mean above the median "
                         "comes from a few slow calls)")
    return sec


# -- 4. peak memory ------------------------------------------------------------------------------

def _child(kind: str, spec_path: str) -> dict:
    """Runs inside a fresh process; returns its peak RSS after doing ``kind``."""
    import sklearn.ensemble  # noqa: F401  (imports are part of every child's baseline)

    from harness.run.trial import run_trial

    if kind == "imports":
        pass
    elif kind == "features":
        from harness.data.datasets import load_dataset
        from harness.data.features import build_features
        from harness.spec import load_spec

        spec = load_spec(spec_path)
        build_features(load_dataset(spec.dataset, Path(spec_path).resolve().parent), spec.text)
    elif kind == "setup":
        _setup(Path(spec_path))
    elif kind.startswith("trial:"):
        from harness.meters import EstimateMeter

        spec, plan, protocol, algorithms = _setup(Path(spec_path))
        alg = kind.split(":", 1)[1]
        trial = max((t for t in plan if t.algorithm == alg), key=lambda t: (t.row_fraction * t.feature_fraction, -t.trial_id))
        run_trial(trial, protocol, algorithms[alg], EstimateMeter(), "bench", spec)
    else:
        raise ValueError(kind)
    return {"kind": kind, "peak_kib": _peak_rss_kib()}


def _peak_rss_kib() -> int:
    """This process's peak RSS in KiB. VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the
    parent across fork + exec, so a child of a big parent would report the parent's peak."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS


def peak_rss_mib(kind: str, spec_path: Path, cache_dir: Path, timeout_s: float = 600) -> float:
    env = {**os.environ, "HARNESS_CACHE_DIR": str(cache_dir)}
    proc = subprocess.run([sys.executable, __file__, "--child", kind, "--spec", str(spec_path)],
                          capture_output=True, text=True, timeout=timeout_s, cwd=REPO, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"memory child {kind} failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])["peak_kib"] / 1024


def memory_section(spec_path: Path, algorithms: list[str], cache_dir: Path) -> Section:
    """The features child computes the features into an empty ``cache_dir`` (and caches them), so
    the setup and trial children load them from there, as a run after the first does."""
    sec = Section("4. Peak memory (RSS), one fresh process each, MiB", ("process", "peak MiB", "over its baseline"))
    rss = lambda kind: peak_rss_mib(kind, spec_path, cache_dir)  # noqa: E731
    base = rss("imports")
    sec.rows.append(("baseline: python + harness + scikit-learn imported", f"{base:.0f}", ""))
    feats = rss("features")
    sec.rows.append(("prepare the spam features (tokenise, stem, tf-idf; no cache)", f"{feats:.0f}", f"+{feats - base:.0f}"))
    setup = rss("setup")
    sec.rows.append(("run setup: dataset + cached features + protocol", f"{setup:.0f}", f"+{setup - base:.0f}"))
    for alg in algorithms:
        peak = rss(f"trial:{alg}")
        sec.rows.append((f"one trial: {alg} (largest rows x features)", f"{peak:.0f}", f"+{peak - setup:.0f} over setup"))
    return sec


# -- the table -----------------------------------------------------------------------------------

def format_sections(sections: list[Section]) -> str:
    out = []
    for sec in sections:
        widths = [len(c) for c in sec.columns]
        cells = [[str(x) for x in r] for r in sec.rows]
        for r in cells:
            if len(r) == len(sec.columns):
                widths = [max(w, len(x)) for w, x in zip(widths, r)]
        out.append(sec.title)
        fmt = lambda r: "  ".join(x.ljust(w) if i == 0 else x.rjust(w) for i, (x, w) in enumerate(zip(r, widths)))  # noqa: E731
        out.append("  " + fmt(list(sec.columns)))
        for r in cells:
            out.append("  " + (fmt(r) if len(r) == len(sec.columns) else f"{r[0].ljust(widths[0])}  {'  '.join(r[1:])}"))
        out.extend(f"  note: {n}" for n in sec.notes)
        out.append("")
    return "\n".join(out)


def machine_line() -> str:
    import sklearn

    from harness.hygiene.provenance import machine_facts

    m = machine_facts()
    return (f"machine: {m['cpu_model']}, {m['cpu_count']} CPUs, {m['os']}, Python {m['python']}, "
            f"scikit-learn {sklearn.__version__}")


def benchmark(spec_path: Path = DEFAULT_SPEC, repeat: int = 2000, codecarbon_repeat: int = 8,
              skip_codecarbon: bool = False, skip_run: bool = False, skip_memory: bool = False,
              spec_overrides: dict | None = None, workdir: Path | None = None) -> tuple[list[Section], float | None]:
    """Everything the script prints; returns the sections and the whole-run ratio (None if skipped)."""
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="harness-bench-")))
        sections = [meter_section(repeat, codecarbon_repeat, skip_codecarbon, workdir)]
        spec_copy = zero_hygiene_spec(spec_path, workdir, spec_overrides)
        ratio = None
        if not skip_run:
            before = bare_run(spec_copy)
            run = timed_run(spec_copy, workdir)
            after = bare_run(spec_copy)
            sections.append(run_section(spec_path, run, before, after))
            sections.append(bookkeeping_section(run, workdir))
            ratio = run["run_s"] / run["phases_s"]
        if not skip_memory:
            from harness.spec import load_spec

            sections.append(memory_section(spec_copy, [a.name for a in load_spec(spec_copy).algorithms],
                                           workdir / "feature-cache"))
    return sections, ratio


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="What the harness costs: meter windows, a whole run, memory.")
    p.add_argument("--repeat", type=int, default=2000, metavar="N", help="windows per meter (default 2000)")
    p.add_argument("--codecarbon-repeat", type=int, default=8, metavar="N",
                   help="CodeCarbon windows after the first (default 8; each builds a tracker)")
    p.add_argument("--skip-codecarbon", action="store_true", help="do not time CodeCarbon")
    p.add_argument("--skip-run", action="store_true", help="no whole run of the spec (parts 2 and 3)")
    p.add_argument("--skip-memory", action="store_true", help="no peak-memory processes (part 4)")
    p.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="spec to run (default experiments/spam-quick.yaml)")
    p.add_argument("--child", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        print(json.dumps(_child(a.child, str(a.spec))))
        return 0
    if a.repeat < 1 or a.codecarbon_repeat < 1:
        p.error("--repeat and --codecarbon-repeat must be >= 1")
    print(machine_line())
    print(f"command: python benchmarks/overhead.py {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip())
    print()
    sections, ratio = benchmark(a.spec, a.repeat, a.codecarbon_repeat, a.skip_codecarbon, a.skip_run, a.skip_memory)
    print(format_sections(sections))
    if ratio is None:
        print("whole-run overhead ratio: not measured (--skip-run)")
    else:
        print(f"whole-run overhead ratio (run time / time inside measured phases): {ratio:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
