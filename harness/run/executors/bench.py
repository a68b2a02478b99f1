"""A measuring bench: one process that runs units of work (trials, tuning searches), one at a time,
with its own meter.

Every process that runs units holds one: the driver for the local executor, each Dask worker for
the distributed one. A bench opens its meter, limits BLAS/OpenMP threads, measures its own idle
baseline, warms the CPU up, and then runs units with the spec's cool-down between them. It writes
nothing: each unit's ``Rows`` go back to the driver, the one writer of the run's files.
"""

from __future__ import annotations

import hashlib
import socket
import time
from dataclasses import dataclass
from typing import Any

from harness.errors import DatasetError
from harness.run.study import Rows


@dataclass(frozen=True)
class Workload:
    """Everything a process needs to run any trial of a run; shipped once per process.

    ``X`` (n_rows x n_features, float64, sparse or dense) and ``y`` (n_rows, 0/1) are the feature
    matrix built on the driver; ``matrix_sha256`` is its digest there (``matrix_sha256()``), checked
    again where the trials run. ``session`` tells one session's benches from another's on
    long-lived workers.
    """

    spec: Any
    run_name: str
    X: Any
    y: Any
    matrix_sha256: str
    session: str
    protocol: Any = None    # the driver's protocol over X, y (with its tactic pipeline): trials run on it
    algorithms: Any = None  # name -> harness.models.algorithms.Algorithm, resolved on the driver


def run_unit(unit, workload: "Workload", meter) -> Rows:
    """Run one unit of the workload's study with ``meter``: a tuning search
    (``harness.plan.tuning.TuningTrial``: ``harness.run.tuning.run_tuning_unit``) or a trial
    (``harness.run.trial.run_trial``, or ``run_faithful_trial`` for the ICT4S'22 replication)."""
    from harness.plan.tuning import TuningTrial

    spec = workload.spec
    if isinstance(unit, TuningTrial):
        from harness.run.tuning import run_tuning_unit

        return run_tuning_unit(unit, spec, workload.protocol, workload.algorithms, meter, workload.run_name)
    from harness.run.trial import run_faithful_trial, run_trial

    trial_fn = run_faithful_trial if getattr(spec, "replication", "none") == "ict4s22" else run_trial
    return Rows(trial_fn(unit, workload.protocol, workload.algorithms[unit.algorithm], meter, workload.run_name, spec))


def matrix_sha256(X, y) -> str:
    """sha256 over a feature matrix (its shape, values and, if sparse, structure) and its labels."""
    import numpy as np
    import scipy.sparse as sp

    h = hashlib.sha256()
    h.update(repr((type(X).__name__, X.shape)).encode())
    parts = (X.data, X.indices, X.indptr) if sp.issparse(X) else (X,)
    for a in (*parts, y):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def host_facts() -> dict:
    """The host this process runs on: ``host`` (hostname), ``harness.hygiene.provenance.machine_facts()``
    and the machine's identity (``harness.hygiene.machine.machine_identity()``: ``boot_id``,
    ``machine_id``, ``container``): containers of one server have hostnames of their own but one
    kernel ``boot_id``, and share its RAPL packages and GPUs."""
    from harness.hygiene.machine import machine_identity
    from harness.hygiene.provenance import machine_facts

    return {"host": socket.gethostname(), **machine_facts(), **machine_identity()}


def warmup(seconds: float) -> None:
    """Busy CPU work so that frequency and caches settle before the first measured trial."""
    import numpy as np

    a = np.random.default_rng(0).random((200, 200))
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        a = np.tanh(a @ a.T / 200.0)


class Bench:
    """Runs units (trials, searches) of one ``Workload`` in this process.

    ``selection`` is an opened ``harness.meters.Selection`` (the bench closes it), or None to open
    the spec's meter here. Raises DatasetError when the matrix received differs from the driver's
    (``matrix_sha256``), MeterError when the meter cannot be opened, SpecError for an estimator that
    cannot be imported here.
    """

    def __init__(self, workload: Workload, selection=None):
        from threadpoolctl import threadpool_limits

        spec = workload.spec
        digest = matrix_sha256(workload.X, workload.y)
        if digest != workload.matrix_sha256:
            raise DatasetError(f"{socket.gethostname()}: the feature matrix here has sha256 {digest[:16]}..., the "
                               f"driver's {workload.matrix_sha256[:16]}...; use the same dataset and library versions")
        if selection is None:
            from harness.meters import open_meter

            selection = open_meter(spec.meter_names, spec.meter_options())
        self.workload, self.selection, self.meter = workload, selection, selection.meter
        self.algorithms, self.protocol = workload.algorithms, workload.protocol
        self._threads = threadpool_limits(limits=spec.hygiene.threads)
        facts = host_facts()
        self.host = facts.pop("host")
        self.facts = facts  # CPU model, cores, OS, Python of this host
        self.baseline: dict | None = None
        self.cooldown = None
        self.waited = None  # the cool-down before the next trial (harness.hygiene.session)
        self.prepared = False
        self.trials_run = 0
        self.hygiene_s = {"baseline_s": 0.0, "warmup_s": 0.0}  # s spent on the idle baseline and warm-up here

    def prepare(self, known_baseline: dict | None = None) -> None:
        """Idle baseline (unless ``known_baseline`` is given or the spec asks for none), then warm-up.
        Done once, before this bench's first trial."""
        if self.prepared:
            return
        from harness.hygiene import session as hygiene_session

        h = self.workload.spec.hygiene
        self.baseline = known_baseline
        start = time.perf_counter()
        if self.baseline is None and h.baseline_s > 0:
            self.baseline = hygiene_session.measure_idle_baseline(self.meter, h)
        self.hygiene_s["baseline_s"] = time.perf_counter() - start  # the study's footprint (harness.run.footprint)
        start = time.perf_counter()
        if h.warmup_s > 0:
            warmup(h.warmup_s)
        self.hygiene_s["warmup_s"] = time.perf_counter() - start
        self.cooldown = hygiene_session.Cooldown(h, self.meter, self.baseline)
        self.waited = hygiene_session.FIRST
        self.prepared = True

    def run(self, unit) -> Rows:
        """One unit's rows (``run_unit``), its main row completed with the cool-down that preceded
        it and the ``host``; the cool-down (``hygiene``) runs before every unit but this bench's first."""
        self.prepare()
        if self.trials_run:
            self.waited = self.cooldown.wait()
        rows = run_unit(unit, self.workload, self.meter)
        rows.row.update(self.waited.columns())
        rows.row["host"] = self.host
        self.trials_run += 1
        return rows

    def close(self) -> None:
        self._threads.restore_original_limits()
        self.meter.close()
