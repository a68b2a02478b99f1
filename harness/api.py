"""The Python API: run a spec, read its trials, get the analysis as DataFrames, and measure any
block of code with the harness's meters. Import it as ``import harness`` (``harness.run_spec``,
``harness.measure``, ...); the names in ``__all__`` are the public API, everything else in the
package is internal and may change. Guide with examples: docs/api.md.

It is an edge of the package, as the command line is (``harness.cli``): it calls the same code
(``harness.run.runner.run_spec``, ``harness.results.load.load_results``, ``harness.analysis.tables``,
``harness.meters.open_meter``), so a run, a table or a measurement is what the command would give.
Bad input raises a :class:`~harness.errors.HarnessError` subclass (the one line the command would
print is its message); nothing here calls ``sys.exit``. pandas, scikit-learn and pydantic load when
a function needs them, not on ``import harness``.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import threading
import warnings
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from harness.analysis.defaults import CARBON_DEFAULTS, N_RESAMPLES, SEED
from harness.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

    from harness.meters import Selection

__all__ = [
    "run_spec",
    "load_trials",
    "analyze",
    "compare",
    "measure",
    "measured",
    "EnergyMeter",
    "Window",
    "EstimatedEnergyWarning",
    "HarnessWarning",
]

log = logging.getLogger("harness")

PathLike = str | os.PathLike
REL_ERROR = 0.05  # a run's hygiene.rel_error default: the window flagged below it (harness.hygiene.phases)
ESTIMATE_NOTE = ("ESTIMATED energy: modelled from the CPU time of this process and its child processes (the "
                 "estimate meter), not measured; no GPU, memory or other process is counted")


class HarnessWarning(UserWarning):
    """What the command line prints as a note beside its output (a torn last line left out, rows
    without checksums, library versions that differ between pooled runs)."""


class EstimatedEnergyWarning(HarnessWarning):
    """Energy that is modelled, not measured: the ``estimate`` meter (``auto`` falls back to it on a
    machine with no readable counter). Given once per process, at the first such meter opened;
    every :class:`Window` then says it in ``estimated`` and ``note``."""


# ---------------------------------------------------------------- run a spec


def run_spec(spec: PathLike | Mapping[str, Any], *, base_dir: PathLike | None = None,
             results_dir: PathLike = "results", name: str | None = None, fresh: bool = False,
             meter: str | None = None, dry_run: bool = False, workers: int | None = None,
             cluster: str | None = None, allow_import: Iterable[str] = (), progress: bool = True,
             out=None) -> Path:
    """Run (or resume) every trial of a spec, as ``python -m harness run`` does; return its run directory.

    Parameters
    ----------
    spec : path or mapping
        A YAML spec file, or the same spec as a dict (``{"name": ..., "algorithms": [...],
        "sweeps": {...}}``), validated exactly as the file would be (strict: ``"30"`` is not 30).
    base_dir : path, optional
        Where a dict spec's relative ``dataset.path`` resolves (default: the current folder). A
        file's resolves against the file's folder; ``base_dir`` is refused with a file.
    results_dir : path
        Folder of runs (``--results-dir``, default ``results``); the run is ``results_dir/name``.
    name : str, optional
        Run name (``--name``; default: the spec's ``name``).
    fresh : bool
        Start over; the existing files move to ``RUN/replaced-<time>/`` (``--fresh``).
    meter : str, optional
        Override the spec's meter: ``auto``, ``rapl``, ``pyrapl``, ``estimate``, or ``nvml`` alone
        or added to a CPU meter (``"rapl+nvml"``), as ``--meter``.
    dry_run : bool
        Make every check, print the plan and the estimated duration, write nothing
        (``--dry-run``); the returned directory is where the run would go.
    workers, cluster : optional
        Run trials on a local Dask cluster of ``workers`` processes, or on ``cluster`` (a scheduler
        address, or slurm, pbs, sge, lsf); needs ``.[dask]``.
    allow_import : iterable of str
        Packages, beyond sklearn, imblearn and harness, whose classes the spec may name.
    progress : bool
        Show the progress bar (on stderr; ``--quiet`` is ``progress=False``).
    out : text stream, optional
        Where the run's lines go (meter, plan, warnings, "done: ..."); default ``sys.stdout``;
        ``io.StringIO()`` keeps them.

    Returns
    -------
    pathlib.Path
        The run directory (``trials.csv``, ``manifest.json``): pass it to :func:`load_trials`,
        :func:`analyze` or ``python -m harness report``.

    Raises
    ------
    SpecError, DatasetError, MeterError, ResultsError, ExecutorError, UsageError
        Bad input, with the one line the command prints; nothing is written when a check fails.
    KeyboardInterrupt
        Ctrl-C (or SIGTERM, SIGHUP) during the run: the trials finished so far are kept, and the
        same call resumes the run.
    """
    from harness.run import runner
    from harness.spec import Spec, load_spec, parse_spec

    if isinstance(spec, Mapping):
        parsed: Spec = parse_spec(dict(spec), "<dict spec>")
        source: Spec | Path = parsed
        spec_dir = Path(base_dir) if base_dir is not None else Path.cwd()
        if not spec_dir.is_dir():
            raise UsageError(f"base_dir {str(spec_dir)!r}: not a folder; give the folder a relative dataset path "
                             "resolves against")
    elif isinstance(spec, (str, os.PathLike)):
        if base_dir is not None:
            raise UsageError("base_dir applies to a dict spec; a spec file's dataset path resolves against the "
                             "file's folder: drop base_dir")
        source = Path(spec)
        parsed = load_spec(source)
        spec_dir = None
    else:
        raise UsageError(f"spec must be the path of a YAML spec or a dict, got {type(spec).__name__}")
    if isinstance(allow_import, str):  # one package, not its letters
        allow_import = (allow_import,)
    code = _with_stop_signals(lambda: runner.run_spec(
        source, results_dir=results_dir, name=name, fresh=fresh, quiet=not progress, meter=meter, dry_run=dry_run,
        workers=workers, cluster=cluster, out=out or sys.stdout, allow_import=tuple(allow_import),
        spec_dir=spec_dir))
    if code > 128:  # the runner stopped on a signal and said how far it got: stop the caller too
        from harness import signals

        raise signals.Stopped(code - 128)
    return Path(results_dir) / (name or parsed.name)


def _with_stop_signals(call: Callable[[], int]) -> int:
    """``call()`` with SIGINT, SIGTERM and SIGHUP handled as the command line handles them
    (``harness.signals``: a row and the manifest's count are written together), the caller's handlers
    restored after. Outside the main thread Python cannot set handlers: ``call()`` as it is."""
    from harness import signals

    if threading.current_thread() is not threading.main_thread():
        return call()
    import signal

    before = {s: signal.getsignal(s) for s in signals.HANDLED}
    signals.install()
    try:
        return call()
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


# ---------------------------------------------------------------- results and analysis


def _paths(path: PathLike | Sequence[PathLike]) -> list[Path]:
    paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    if not paths:
        raise UsageError("give at least one run directory or CSV file")
    return [Path(p) for p in paths]


def _results(path, *, host: str | None, pool_hosts: bool, net: bool, mixed_versions: bool):
    """What ``analyze`` reads (``harness.analysis.runs.load_runs``); its notes as HarnessWarnings."""
    from harness.analysis.runs import load_runs

    results, notes = load_runs(_paths(path), host=host, pool_hosts=pool_hosts, net=net,
                               mixed_versions=mixed_versions)
    for note in (*notes.torn, *notes.pooling, notes.unverified_note()):
        if note:
            warnings.warn(note, HarnessWarning, stacklevel=3)
    return results


def load_trials(path: PathLike | Sequence[PathLike], *, host: str | None = None, pool_hosts: bool = False,
                net: bool = False, mixed_versions: bool = False) -> "pd.DataFrame":
    """A run's trials, one row per trial, read and checked as ``python -m harness analyze`` reads them.

    Parameters
    ----------
    path : path or list of paths
        A run directory (with ``trials.csv``), a trials.csv, or the ICT4S'22 ``experiment_data.csv``;
        several are pooled as ``analyze`` pools them (each row keeps its ``run``).
    host : str, optional
        Keep the trials that ran on this host only (``--host``).
    pool_hosts : bool
        Pool trials from hosts with different hardware or meters (refused by default).
    net : bool
        Energy net of the run's idle baseline: ``energy_j - baseline W x phase s`` (``--net``).
    mixed_versions : bool
        Pool runs made with library versions that change results (refused by default).

    Returns
    -------
    pandas.DataFrame
        The columns of trials.csv (``harness/results/schema.py``): energies in joules
        (``train_energy_j``), times in seconds (``train_s``), ``meter`` and ``energy_estimated``
        per row, fractions as floats. ``attrs`` holds ``source``, ``energy_notes`` (what every
        number built from these energies must say, e.g. that they are estimated) and
        ``incomplete`` (e.g. "incomplete run: 40 of 72 planned trials", or "").

    Raises
    ------
    ResultsError
        No such run, a file that is not one, a row that fails its checksum or a column's type.
    UsageError
        Hosts that cannot be pooled, ``net`` without an idle baseline or with estimated energy; a
        tuning run (its units are searches: :func:`analyze` gives its tables).
    """
    from harness.analysis.tuning import is_tuning_run

    first = _paths(path)[0]
    if is_tuning_run(first):
        raise UsageError(f"{first}: a tuning run, whose units are searches (searches.csv, evaluations.csv), not "
                         "trials; analyze() gives its tables")
    results = _results(path, host=host, pool_hosts=pool_hosts, net=net, mixed_versions=mixed_versions)
    trials = results.trials.copy()
    trials.attrs = {"source": str(results.source), "energy_notes": results.energy_notes(),
                    "incomplete": results.completeness_note()}
    return trials


def _options(clean: bool, f1_tolerance: float, n_resamples: int, seed: int):
    from harness.analysis.tables import Options

    if not 0 <= f1_tolerance <= 1:
        raise UsageError(f"f1_tolerance is an F1 difference from 0 to 1 (0.01 = 1 F1 point), got {f1_tolerance!r}")
    if not isinstance(seed, int) or seed < 0:
        raise UsageError(f"seed must be an integer >= 0, got {seed!r}")
    if not isinstance(n_resamples, int) or n_resamples < 100:
        raise UsageError(f"n_resamples must be at least 100 bootstrap resamples, got {n_resamples!r}")
    return Options(clean=clean, f1_tolerance=f1_tolerance, n_resamples=n_resamples, seed=seed)


def _frames(tables) -> dict[str, "pd.DataFrame"]:
    out = {}
    for t in tables:
        frame = t.frame.copy()
        frame.attrs = {"title": t.title, "notes": list(t.notes)}
        out[t.name] = frame
    return out


def analyze(path: PathLike | Sequence[PathLike], *, clean: bool = True, f1_tolerance: float = 0.01,
            n_resamples: int = N_RESAMPLES, seed: int = SEED, net: bool = False, host: str | None = None,
            pool_hosts: bool = False, mixed_versions: bool = False, intensity: float | str | None = None,
            pue: float = CARBON_DEFAULTS["pue"], embodied_kg: float | None = CARBON_DEFAULTS["embodied_kg"],
            lifetime_years: float = CARBON_DEFAULTS["lifetime_years"],
            target_f1: float | None = None, target_fraction: float = 0.95) -> dict[str, "pd.DataFrame"]:
    """The tables of ``python -m harness analyze``, as DataFrames; no file is written.

    Parameters
    ----------
    path : path or list of paths
        As :func:`load_trials` (several runs are pooled).
    clean : bool
        Drop trials with training energy <= 0 J or missing, then |z| >= 3 per configuration
        (``--no-clean`` is ``clean=False``).
    f1_tolerance : float
        Largest F1 drop still counted as "as accurate", as an F1 difference (0.01 = 1 F1 point;
        the command's ``--f1-tolerance`` is in points).
    n_resamples, seed : int
        Bootstrap resamples (>= 100) and their seed, for the confidence intervals.
    net, host, pool_hosts, mixed_versions
        As :func:`load_trials`.
    intensity : float or str, optional
        Grid carbon intensity in gCO2e/kWh, or an ISO 3166-1 alpha-3 country code; adds the
        carbon tables (``harness.data.carbon``).
    pue, embodied_kg, lifetime_years : float, optional
        Power usage effectiveness of the facility (default 1.0), manufacturing footprint of the
        machine in kgCO2e (default: none, no embodied carbon) and the service life in years it is
        spread over (default 5); they need ``intensity``.
    target_f1, target_fraction
        Tuning runs (a searches.csv) only: the validation F1 a search must reach, or that fraction
        of the best found per algorithm.

    Returns
    -------
    dict of str to pandas.DataFrame
        One frame per table, keyed by the file stem ``analyze`` writes (``rq1_energy``,
        ``tradeoff``, ...), with the raw numbers of its CSV: energies in J, savings and F1
        changes in percent and points as named, undefined statistics missing (NaN, <NA>), and an
        ``energy_basis`` column on every table that shows energy ("estimated energy (CPU-time
        model, not measured)" or "measured (rapl)"). ``frame.attrs["title"]`` and
        ``["notes"]`` are the table's title and notes. docs/analysis.md says what each means.

    Raises
    ------
    ResultsError, UsageError
        As :func:`load_trials`; also no trial left after cleaning, or a bad option.
    """
    from harness.analysis.tuning import is_tuning_run

    options = _options(clean, f1_tolerance, n_resamples, seed)
    paths = _paths(path)
    if is_tuning_run(paths[0]):
        from harness.analysis.tuning import load_tuning, tuning_tables

        if len(paths) > 1:
            raise UsageError("a tuning run is analysed alone: give one run directory")
        if intensity is not None:
            raise UsageError("intensity: a tuning run's tables give energy only (carbon tables cover data-reduction "
                             "runs); drop intensity")
        tables, _ = tuning_tables(load_tuning(paths[0]), target_f1, target_fraction, options.n_resamples,
                                  options.seed)
        return _frames(tables)
    if target_f1 is not None or target_fraction != 0.95:
        raise UsageError(f"target_f1 and target_fraction apply to tuning runs (a searches.csv) only; {paths[0]} is "
                         "a data-reduction run")
    from harness.analysis.study_tables import study_tables

    inputs = None
    if intensity is not None:
        from harness.data import carbon

        g, where = carbon.resolve_intensity(str(intensity))
        inputs = carbon.CarbonInputs(g, where, pue, embodied_kg, lifetime_years)
        for w in inputs.warnings():
            warnings.warn(w, HarnessWarning, stacklevel=2)
    elif (pue, embodied_kg, lifetime_years) != tuple(CARBON_DEFAULTS[k] for k in ("pue", "embodied_kg", "lifetime_years")):
        raise UsageError("pue, embodied_kg and lifetime_years need intensity (gCO2e/kWh or a country code such "
                         "as DEU)")
    results = _results(paths, host=host, pool_hosts=pool_hosts, net=net, mixed_versions=mixed_versions)
    tables, trials = study_tables(results, options, inputs)
    return _frames(tables)


def compare(path: PathLike | Sequence[PathLike], candidate: str, baselines: Sequence[str] | None = None, *,
            clean: bool = True, f1_tolerance: float = 0.01, n_resamples: int = N_RESAMPLES, seed: int = SEED,
            net: bool = False, host: str | None = None, pool_hosts: bool = False,
            mixed_versions: bool = False) -> "pd.DataFrame":
    """The table of ``python -m harness compare``: a candidate algorithm's training energy and F1
    against each baseline, per shared configuration and overall (ratio, tests, effect, verdict).

    Parameters
    ----------
    path : path or list of paths
        As :func:`load_trials`.
    candidate : str
        Algorithm name as in the results' ``algorithm`` column.
    baselines : list of str, optional
        The algorithms to compare it with (default: every other algorithm).
    clean, f1_tolerance, n_resamples, seed, net, host, pool_hosts, mixed_versions
        As :func:`analyze`.

    Returns
    -------
    pandas.DataFrame
        The raw numbers of ``compare_<candidate>.csv``; ``attrs["title"]`` and ``["notes"]``.

    Raises
    ------
    ResultsError, UsageError
        As :func:`analyze`; also an unknown candidate or baseline.
    """
    from harness.analysis.tables import compare_table
    from harness.analysis.tuning import is_tuning_run

    options = _options(clean, f1_tolerance, n_resamples, seed)
    paths = _paths(path)
    if is_tuning_run(paths[0]):
        raise UsageError(f"{paths[0]}: a tuning run; analyze() compares its strategies (compare is for "
                         "algorithms of a data-reduction run)")
    results = _results(paths, host=host, pool_hosts=pool_hosts, net=net, mixed_versions=mixed_versions)
    table = compare_table(results, candidate, list(baselines) if baselines is not None else None, options)
    return _frames([table])[table.name]


# ---------------------------------------------------------------- meters as a library


_estimate_warned = False  # EstimatedEnergyWarning is given once per process


def _user_stacklevel() -> int:
    """The ``stacklevel`` of ``warnings.warn`` that points at the first caller outside this module
    (the user's ``with harness.measure()`` line, not ours)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename == __file__:
        frame, level = frame.f_back, level + 1
    return level


class Window:
    """The energy of one measured block: filled in when the block ends.

    Attributes (read once the block has ended; before that they raise UsageError):

    - ``energy_j``: joules spent in the block, each joule counted once (the meter's total: RAPL
      packages + DRAM, zones that mirror one another once; plus GPUs with ``nvml``);
    - ``domains_j``: joules per domain the meter reads (``package-0``, ``package-0/dram``,
      ``gpu0``, ``cpu`` for the estimate), overlapping domains included;
    - ``duration_s``: wall-clock seconds (``time.perf_counter``); ``power_w``: mean watts;
    - ``estimated``: True when the energy is modelled (the ``estimate`` meter), not measured;
      ``note`` then says so in words, and every number from it must;
    - ``below_resolution``: True when the block was too short or too small for the meter to
      resolve within 5% (a run flags such phases the same way); the number is kept;
    - ``meter``: the meter's name (``rapl``, ``rapl+nvml``, ``estimate``);
    - ``baseline_w``: the meter's idle power (W) if it measured one, else None;
      ``net_energy_j``: ``energy_j - baseline_w x duration_s``.
    """

    __slots__ = ("meter", "estimated", "baseline_w", "_rel_error", "_resolution", "_m", "_token")

    def __init__(self, meter: str, estimated: bool, baseline_w: float | None, resolution, rel_error: float):
        self.meter, self.estimated, self.baseline_w = meter, estimated, baseline_w
        self._resolution, self._rel_error = resolution, rel_error
        self._m = None
        self._token = None

    def _done(self):
        if self._m is None:
            raise UsageError("the window is still open: read its energy after the 'with' block (or end()) closes it")
        return self._m

    @property
    def energy_j(self) -> float:
        """Joules spent in the block, each counted once (the meter's total domains)."""
        return self._done().total_j

    @property
    def domains_j(self) -> dict[str, float]:
        """Joules per domain the meter reads, overlapping domains included (a copy)."""
        return dict(self._done().domains_j)

    @property
    def duration_s(self) -> float:
        """Wall-clock seconds of the block (``time.perf_counter``)."""
        return self._done().duration_s

    @property
    def power_w(self) -> float:
        """Mean power over the block in watts (0 for an empty block)."""
        return self._done().power_w

    @property
    def below_resolution(self) -> bool:
        """True when the block was too short or too small for the meter to resolve within
        ``rel_error`` (``harness.hygiene.phases.below_resolution``)."""
        from harness.hygiene.phases import below_resolution

        return below_resolution(self._done(), self._resolution, self._rel_error)

    @property
    def note(self) -> str:
        """"" for a measurement; for an estimate, the sentence saying it is not one."""
        return ESTIMATE_NOTE if self.estimated else ""

    @property
    def net_energy_j(self) -> float:
        """Joules above the idle baseline. Raises UsageError for estimated energy (it has no idle
        power) or a meter opened without ``baseline_s``."""
        if self.estimated:
            raise UsageError("net energy subtracts idle power measured by a hardware meter; the estimate meter "
                             "models only the CPU time of this process and its children and has no idle power to subtract")
        if self.baseline_w is None:
            raise UsageError("no idle baseline: open the meter with baseline_s > 0 (e.g. EnergyMeter(baseline_s=5))")
        m = self._done()
        return m.total_j - self.baseline_w * m.duration_s

    def __repr__(self) -> str:
        if self._m is None:
            return f"<Window {self.meter}: open>"
        tag = " ESTIMATED" if self.estimated else ""
        return f"<Window {self.meter}: {self._m.total_j:.6g} J{tag} in {self._m.duration_s:.6g} s>"


class _Block:
    """The context manager of one window (a class: a generator-based one costs more per window)."""

    __slots__ = ("_meter", "_window")

    def __init__(self, meter: "EnergyMeter"):
        self._meter = meter
        self._window = None

    def __enter__(self) -> Window:
        self._window = self._meter.begin()
        return self._window

    def __exit__(self, *exc) -> None:
        self._meter.end(self._window)  # an exception in the block still ends its window


class EnergyMeter:
    """A meter opened once and used for many windows: ``with meter.window() as w: ...``.

    Opening is the costly part (the meter is chosen, its counters probed for advancing and for
    zones that mirror one another, an idle baseline measured if asked); a window then costs a few
    microseconds (``benchmarks/api_overhead.py``). The meter is the one a run would open with the
    same names and options (``harness.meters.open_meter``): RAPL counters that wrap are corrected,
    mirrored zones counted once. Close it when done (``close()``, or use it as a context manager);
    windows may nest or overlap.

    Parameters
    ----------
    meter : str or list of str
        ``auto`` (default: rapl if readable, else pyrapl, else the estimate), ``rapl``, ``pyrapl``,
        ``estimate``, or ``nvml`` alone or added to one CPU meter (``"rapl+nvml"`` or
        ``["rapl", "nvml"]``), as ``--meter``.
    options : mapping, optional
        Per meter, its options: ``{"estimate": {"tdp_w": 65, "cores": 8}}``, ``{"nvml":
        {"devices": [0]}}``, ``{"rapl": {"max_power_w": 400}}``.
    baseline_s : float
        Seconds of idle baseline to measure on opening (default 0: none); gives each window's
        ``baseline_w`` and ``net_energy_j``.
    sync : callable, optional
        Called with no argument just before each window starts and ends, e.g.
        ``torch.cuda.synchronize``, so that GPU work queued in the block is inside the window.
    rel_error : float
        A window shorter or smaller than the meter resolves to this fraction is flagged
        ``below_resolution`` (default 0.05, a run's ``hygiene.rel_error``).

    Raises
    ------
    MeterError
        A meter named that cannot be used here, with the fix (``auto`` falls back instead); an
        unknown meter or option.

    Warns
    -----
    EstimatedEnergyWarning
        When the meter's energy is estimated (``estimate``, or ``auto`` without counters); once
        per process.
    """

    def __init__(self, meter: str | Sequence[str] = "auto", *, options: Mapping[str, Mapping] | None = None,
                 baseline_s: float = 0.0, sync: Callable[[], Any] | None = None, rel_error: float = REL_ERROR):
        from harness.meters import measure_baseline, open_meter

        if isinstance(meter, str) and "+" in meter:
            meter = meter.split("+")
        if sync is not None and not callable(sync):
            raise UsageError(f"sync must be a function called with no argument (e.g. torch.cuda.synchronize), "
                             f"got {sync!r}")
        if isinstance(rel_error, bool) or not isinstance(rel_error, (int, float)) or not 0 < rel_error < 1:
            raise UsageError(f"rel_error must be a fraction between 0 and 1 (0.05 = 5%), got {rel_error!r}")
        self.selection: Selection = open_meter(meter, {k: dict(v) for k, v in (options or {}).items()})
        self._meter = self.selection.meter
        self._close = weakref.finalize(self, self._meter.close)  # closed when forgotten, at the latest at exit
        try:
            baseline = measure_baseline(self._meter, baseline_s)
        except BaseException:
            self._close()
            raise
        self.baseline: dict | None = baseline
        self._baseline_w = None if baseline is None else float(baseline["total_w"])
        self._sync = sync
        self._resolution = self._meter.resolution()
        self._rel_error = float(rel_error)
        log.info("%s", self.selection.summary())
        global _estimate_warned
        if self._meter.estimated and not _estimate_warned:  # once: every window's `estimated` and `note` say it too
            _estimate_warned = True
            warnings.warn(f"meter {self._meter.name}: {ESTIMATE_NOTE}", EstimatedEnergyWarning,
                          stacklevel=_user_stacklevel())

    @property
    def name(self) -> str:
        """The meter's name (``rapl``, ``rapl+nvml``, ``estimate``): what a run's ``meter`` column records."""
        return self._meter.name

    @property
    def estimated(self) -> bool:
        """True when energy is modelled from CPU time, not read from a counter."""
        return self._meter.estimated

    @property
    def domains(self) -> list[str]:
        """The domains each window's ``domains_j`` holds."""
        return self._meter.domains()

    @property
    def total_domains(self) -> list[str]:
        """The domains whose sum is ``energy_j`` (no two overlap)."""
        return self._meter.total_domains()

    @property
    def reasons(self) -> dict[str, str]:
        """Why each meter that ``auto`` did not pick was not used."""
        return dict(self.selection.reasons)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has run (or the meter was collected)."""
        return not self._close.alive

    def summary(self) -> str:
        """The line a run prints about its meter: which, what its total adds up, why not the others."""
        return self.selection.summary()

    def window(self) -> _Block:
        """A context manager measuring its block: ``with meter.window() as w: ...`` then ``w.energy_j``."""
        return _Block(self)

    def begin(self) -> Window:
        """Start a window (for code that cannot wrap the block in ``with``); :meth:`end` closes it."""
        if not self._close.alive:
            raise UsageError("this EnergyMeter is closed; open a new one")
        w = Window(self._meter.name, self._meter.estimated, self._baseline_w, self._resolution, self._rel_error)
        if self._sync is not None:
            self._sync()
        w._token = self._meter.begin()
        return w

    def end(self, window: Window) -> Window:
        """End ``window`` (from :meth:`begin`); returns it, its energy filled in."""
        if self._sync is not None:
            self._sync()
        if window._token is None or window._m is not None:
            raise UsageError("end() takes a window from this meter's begin(), once")
        window._m = self._meter.end(window._token)
        window._token = None
        return window

    def close(self) -> None:
        """Release the meter (files, sampling thread, NVML). Safe to call twice."""
        self._close()

    def __enter__(self) -> "EnergyMeter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("ESTIMATED" if self.estimated else "measuring")
        return f"<EnergyMeter {self.name} ({state})>"


class measure:  # noqa: N801 - used as a function: ``with harness.measure() as m``
    """Measure one block: ``with harness.measure() as m: ...`` then ``m.energy_j``.

    Opens an :class:`EnergyMeter` on entering and closes it on leaving: the meter is chosen and
    probed each time (a few ms with RAPL). To measure many blocks, open one ``EnergyMeter`` and use
    its ``window()``. Takes the parameters of :class:`EnergyMeter`; gives a :class:`Window`.

    Raises
    ------
    MeterError
        As :class:`EnergyMeter`.
    """

    __slots__ = ("_args", "_kwargs", "_meter", "_block")

    def __init__(self, meter: str | Sequence[str] = "auto", **kwargs):
        self._args, self._kwargs = meter, kwargs
        self._meter = None
        self._block = None

    def __enter__(self) -> Window:
        self._meter = EnergyMeter(self._args, **self._kwargs)
        self._block = self._meter.window()
        return self._block.__enter__()

    def __exit__(self, *exc) -> None:
        try:
            self._block.__exit__(*exc)
        finally:
            self._meter.close()


def measured(func: Callable | None = None, /, *, meter: "str | Sequence[str] | EnergyMeter" = "auto", **kwargs):
    """Decorator: measure every call of a function, ``@harness.measured`` or ``@harness.measured(meter=...)``.

    The meter is opened at the first call and kept for the next ones (or is the open
    :class:`EnergyMeter` given as ``meter``). Each call's :class:`Window` is appended to the
    wrapper's ``windows`` list (clear it as you wish) and is its ``last``; ``wrapper.meter`` is
    the EnergyMeter, ``wrapper.close()`` closes a meter the decorator opened. Other keyword
    arguments go to :class:`EnergyMeter`. The function's return value is unchanged.

    Raises
    ------
    MeterError
        At the first call, as :class:`EnergyMeter`.
    """
    if isinstance(meter, EnergyMeter) and kwargs:
        raise UsageError(f"{', '.join(kwargs)}: options of a meter to open; the EnergyMeter given is open already")

    def decorate(fn: Callable) -> Callable:
        lock = threading.Lock()

        @functools.wraps(fn)
        def wrapper(*args, **kw):
            if wrapper.meter is None:
                with lock:
                    if wrapper.meter is None:
                        wrapper.meter = EnergyMeter(meter, **kwargs)
            w = wrapper.meter.begin()
            try:
                return fn(*args, **kw)
            finally:
                wrapper.meter.end(w)
                wrapper.windows.append(w)
                wrapper.last = w

        def close() -> None:
            if wrapper.meter is not None and not isinstance(meter, EnergyMeter):
                wrapper.meter.close()

        wrapper.meter = meter if isinstance(meter, EnergyMeter) else None
        wrapper.windows = []
        wrapper.last = None
        wrapper.close = close
        return wrapper

    return decorate(func) if func is not None else decorate

