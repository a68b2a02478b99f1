"""A run's session: what one process (the driver) records in the manifest from its start to its end,
and what it prints about the machine before the first unit. Shared by every kind of unit (a trial,
a tuning search) and every executor."""

from __future__ import annotations

from harness.hygiene.provenance import library_versions, machine_facts
from harness.models.versions import version_notes
from harness.plan import Trial
from harness.run.trial import utc_now
from harness.spec import replication


def varying_factors(trials) -> set[str]:
    """The factors whose level differs between some of ``trials`` (a tactics plan's), for
    ``progress_label``: the label names those, not all twelve."""
    seen: dict[str, set[str]] = {}
    for trial in trials:
        for name, level in getattr(trial, "levels", None) or ():
            seen.setdefault(name, set()).add(repr(level))
    return {name for name, values in seen.items() if len(values) > 1}


def progress_label(trial: Trial, varying: set[str] | None = None) -> str:
    """What the progress bar shows for a unit, e.g. "adaboost, rows 10%, features 100%, rep 1" for
    a trial, "knn, random, rows 30%, features 10%, rep 0" for a tuning search. ``varying``
    (``varying_factors`` of the plan): a tactics trial names only those factors."""
    from harness.tactics import level_text

    if hasattr(trial, "strategy"):  # a tuning search (harness.plan.tuning.TuningTrial)
        return (f"{trial.algorithm}, {trial.strategy}, rows {trial.row_fraction:.0%}, "
                f"features {trial.feature_fraction:.0%}, rep {trial.repetition}")

    def text(name, level) -> str:
        fraction = name in ("rows", "features") and isinstance(level, float)
        return f"{level:.0%}" if fraction else level_text(level)

    # a step that is off (level None) is not named: "chi2 50%, rep 0", not twelve factors, eleven "none"
    shown = [(n, v) for n, v in trial.levels or () if (varying is None or n in varying) and v is not None]
    levels = ((", ".join(f"{name} {text(name, level)}" for name, level in shown) or "no tactic") if trial.levels else
              f"rows {trial.row_fraction:.0%}, features {trial.feature_fraction:.0%}")
    return f"{trial.algorithm}, {levels}, rep {trial.repetition}"


def machine_notes(spec, workers, cluster, notes, out) -> dict:
    """Check this machine's state and print it, the threads warning and the version notes; returns
    the machine state (``harness.hygiene.session.check_machine``)."""
    from harness.hygiene import session as hygiene_session

    machine_state = hygiene_session.check_machine(out)
    threads = hygiene_session.threads_warning(spec.hygiene.threads, workers or 1, machine_state) if cluster is None else None
    if threads:  # a cluster's workers run elsewhere: their CPUs are not this machine's
        print(threads, file=out, flush=True)
    # The version block only where it matters: when it names a known change that moves these results,
    # or on a replication run; "none known" on every ordinary run is noise (it stays in the manifest).
    if notes and (len(notes) > 1 or spec.replication != "none"):
        print("\n".join(notes), file=out, flush=True)
    return machine_state


def dataset_facts(dataset) -> dict:
    """Classes, averaging and provenance of the run's data set (``Dataset.describe``); a
    three-or-more-class data set has no positive class, so no ``n_positive``."""
    facts = dataset.describe() if hasattr(dataset, "describe") else {}
    return facts if facts.get("n_classes", 2) == 2 else {**facts, "n_positive": None}


def start_session(spec, run, n_trials: int, n_done: int, algorithms, executor, dataset, features,
                  machine_state: dict | None = None):
    """Open this process's session in the run's manifest (creating the manifest on a new run) and
    save it; returns ``(manifest, session)``. The caller fills in the session's end.
    ``machine_state``: ``harness.hygiene.machine.machine_state()`` of this session (the driver's)."""
    from harness.hygiene import session as hygiene_session

    session = {"started_at": utc_now(), "finished_at": None, "resumed_with_done": n_done,
               "meter_summary": executor.summary(), "executor": executor.describe(),
               "versions": library_versions(), "machine": machine_facts(), "machine_state": machine_state}
    m = run.manifest
    if not m:
        m.update({
            "run": run.dir.name, "spec": spec.model_dump(mode="json", by_alias=True), "design_hash": spec.design_hash(),
            "dataset": {"name": spec.dataset_name, "path": str(dataset.path), "sha256": dataset.sha256,
                        "n_rows": dataset.n_rows, "n_positive": int(dataset.y.sum()),
                        **dataset_facts(dataset)},
            "features": {"n_features": features.n_features, "cache_key": features.cache_key},
            "n_trials": n_trials, "versions": session["versions"], "machine": session["machine"],
            "tactics": {"steps": [{"factor": n, "tactic": t.tactic, "class": t.class_, "params": t.params,
                                   "level_param": t.level_param} for n, t in spec.factor_specs()],
                        "scale": spec.scale},
            "algorithms": {name: alg.describe() for name, alg in algorithms.items()},
            "meter": executor.meter_info,
            "baseline": None, "started_at": session["started_at"], "finished_at": None, "sessions": [],
            "replication": replication.describe(spec),
            "version_notes": version_notes(session["versions"], replication.algorithm_specs(spec), spec.replication),
            **hygiene_session.manifest_entries(machine_state, executor.reference_meter(), spec.hygiene),
        })
    m["sessions"].append(session)
    m.setdefault("hosts", {})
    merge_hosts(m, executor.hosts)
    run.save_manifest()
    return m, session


def close_session(run, m: dict, session: dict, done: int, n_planned: int) -> None:
    """End this process's session in the manifest: when it ended, how many trials are done (the run
    is finished only when all ``n_planned`` are), then save the manifest. With a cgroup CPU quota,
    ``cpu_throttled_s``: the seconds the quota throttled this process during the session."""
    from harness.meters.cpus import throttled_s

    session["finished_at"] = utc_now()
    start = ((session.get("machine_state") or {}).get("cpu_quota") or {}).get("throttled_s")
    end = throttled_s() if start is not None else None
    if end is not None:
        session["cpu_throttled_s"] = max(end - start, 0.0)
    session["trials_done"] = done
    if done == n_planned:
        m["finished_at"] = session["finished_at"]
    run.save_manifest()


def merge_hosts(m: dict, hosts: dict) -> bool:
    """Record what the executor knows of each host (facts, meter, idle baselines) in the manifest;
    True if anything changed. ``baseline`` keeps the one-host idle baseline that ``analyze --net``
    reads: the local run's, or a single worker's."""
    import copy

    changed = False
    for host, facts in hosts.items():
        merged = {**m["hosts"].get(host, {}), **copy.deepcopy(facts)}
        if merged != m["hosts"].get(host):
            m["hosts"][host] = merged
            changed = True
    if m.get("baseline") is None and len(m["hosts"]) == 1:
        (only,) = m["hosts"].values()
        baselines = [only["baseline"]] if "baseline" in only else list(only.get("baselines", {}).values())
        if only.get("workers", 1) == 1 and len(baselines) == 1 and baselines[0]:
            m["baseline"] = baselines[0]
            changed = True
    return changed
