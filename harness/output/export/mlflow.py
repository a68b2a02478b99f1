"""Export a run to MLflow (optional extra: ``pip install -e '.[mlflow]'``), through MLflow's own
client (``MlflowClient``), into any tracking store it accepts (``sqlite:///mlruns.db``, a
``file:`` directory, a server).

Layout: one MLflow experiment (default: the run's name); one parent MLflow run for the harness run
that holds the report, the figures and the analysis tables as artifacts; one child run per
configuration (``mlflow.parentRunId``) with

- parameters: every column constant within the configuration that is not a measurement
  (algorithm, dataset, protocol, sweep, row and feature fractions, and any factor column other
  parts of the harness add), plus the meter and whether energy is estimated;
- metrics: per phase the median, 25th and 75th percentile of energy (J) and time (s); the same for
  F1, accuracy, precision and recall; the number of trials; the carbon medians (g) when carbon
  inputs are given.

A tuning run (``export_tuning``): the parent run as above, one child run per search with
parameters algorithm, strategy, data level (sweep, row and feature fractions), repetition, seed,
validation, budget and best_params, and metrics: energy (J) and time (s) of every phase and in
total, f1, accuracy, precision, recall, best_val_f1 and the number of evaluations.

Each run is found again by its ``harness.key`` tag, so exporting twice updates the same runs
(metrics get a new value at the same step, the latest is shown) instead of adding new ones.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

from harness.analysis import stats
from harness.results.load import PHASES, Results
from harness.errors import ExportError  # noqa: F401  (raised here; re-exported for callers)

KEY_TAG = "harness.key"
MEASURES = ("f1", "accuracy", "precision", "recall")
# Columns that are measurements or bookkeeping of one trial, never a parameter of a configuration.
NOT_PARAMS = {"trial_id", "repetition", "seed", "started_at", "finished_at", "n_train", "n_test",
              "n_features", "energy_estimated", *MEASURES,
              # hygiene and placement of one trial (harness.results.store): how it ran, not what it was
              "cooldown_end", "start_power_w", "host", "concurrent_trials", "row_sha256",
              "preprocess_below_resolution", "train_below_resolution", "predict_below_resolution"}


def _client(tracking_uri: str):
    try:
        from mlflow.tracking import MlflowClient
    except ImportError as e:
        raise ExportError("MLflow is not installed; pip install -e '.[mlflow]'") from e
    _check_server(tracking_uri)
    try:
        return MlflowClient(tracking_uri=tracking_uri)
    except Exception as e:  # MLflow raises its own exception types for a URI it cannot use
        first = " ".join(str(e).split())[:160]
        raise ExportError(f"--tracking-uri {tracking_uri}: MLflow cannot use this store ({type(e).__name__}: "
                          f"{first}); use e.g. sqlite:///mlruns.db") from None


def _check_server(tracking_uri: str, timeout_s: float = 5.0) -> None:
    """An http(s) tracking server must accept a connection within ``timeout_s``: MLflow's client
    retries an unreachable one for minutes (about 4 here) before failing, after the report is
    rewritten. Raises ExportError naming the address."""
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(tracking_uri)
    if url.scheme not in ("http", "https") or not url.hostname:
        return
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname, port), timeout=timeout_s).close()
    except OSError as e:
        reason = e.strerror or type(e).__name__
        raise ExportError(f"--tracking-uri {tracking_uri}: no server answers at {url.hostname}:{port} ({reason}); "
                          "start it (mlflow server --port ...) or use a local store, e.g. sqlite:///mlruns.db") from None


def artifact_location(tracking_uri: str) -> str | None:
    """Where a new experiment keeps its artifacts: for ``sqlite:///dir/name.db``, the directory
    ``dir/name-artifacts`` beside the database (MLflow's own default, ``./mlruns``, would
    scatter them into whatever directory the command runs from); for other stores, None (the
    store's default)."""
    if not tracking_uri.startswith("sqlite:///"):
        return None
    db = Path(tracking_uri[len("sqlite:///"):])
    return (db.parent.resolve() / f"{db.stem}-artifacts").as_uri()


def _key(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _is_param(name: str) -> bool:
    return not (name in NOT_PARAMS or name.endswith(("_j", "_s", "_domains_j", "_g")))


def configuration_params(group) -> dict[str, str]:
    """Parameters of one configuration: its non-measurement columns that have one value in it."""
    out = {}
    for col in group.columns:
        if _is_param(col):
            values = group[col].dropna().unique()
            if len(values) == 1:
                out[col] = str(values[0])
    out["energy_estimated"] = str(bool(group["energy_estimated"].any()))
    return out


def configuration_metrics(group, carbon=None) -> dict[str, float]:
    """Medians, 25th and 75th percentiles over the trials of one configuration (J, s, F1 ...)."""
    metrics = {"n_trials": float(len(group))}
    columns = [f"{p}_energy_j" for p in PHASES] + [f"{p}_s" for p in PHASES] + list(MEASURES)
    if carbon is not None:
        from harness.data import carbon as carbon_model

        group = carbon_model.trial_carbon(group, carbon)
        columns += ["operational_g", "gco2e"] + (["embodied_g"] if carbon.has_embodied else [])
    for col in columns:
        if col not in group:
            continue
        values = group[col].astype(float).dropna()
        if values.empty:
            continue
        metrics[f"median_{col}"] = float(values.median())
        metrics[f"q25_{col}"] = float(values.quantile(0.25))
        metrics[f"q75_{col}"] = float(values.quantile(0.75))
    return {k: v for k, v in metrics.items() if math.isfinite(v)}


def footprint_metrics(results: Results, carbon=None) -> list:
    """The run's own footprint (``harness.run.footprint``) as parent-run metrics: ``footprint_<part>_s``
    and ``footprint_energy_j``/``footprint_phases_energy_j`` where recorded (an energy not measured
    is left out, never logged as 0); with ``carbon``, ``footprint_gco2e`` as ``analyze`` computes it;
    ``footprint_sessions_unrecorded`` when a killed session left no footprint (the sums miss it)."""
    from mlflow.entities import Metric

    from harness.analysis.footprint import footprint_gco2e

    f = dict(results.footprint or {})
    f["gco2e"] = footprint_gco2e(f, carbon)
    names = ("wall_s", "setup_s", "phases_s", "cooldown_s", "baseline_s", "warmup_s", "other_s", "energy_j",
             "phases_energy_j", "measured_share", "gco2e", "sessions_unrecorded")
    return [Metric(f"footprint_{k}", float(f[k]), 0, 0) for k in names if isinstance(f.get(k), (int, float))
            and not isinstance(f.get(k), bool) and f[k] == f[k]
            and not (k == "sessions_unrecorded" and not f[k])]


def adaptive_params(results: Results, config_id) -> dict[str, str]:
    """An adaptive run's configuration: the repetitions it reached and why it stopped (precise, max,
    or open), from the manifest's ``adaptive`` entry; {} for a fixed design."""
    per = ((results.adaptive or {}).get("per_configuration") or {}).get(str(config_id))
    if not isinstance(per, dict):
        return {}
    return {"repetitions_reached": str(per.get("repetitions")), "stopped": str(per.get("stopped"))}


def export_run(results: Results, tracking_uri: str, experiment: str | None = None,
               trials=None, carbon=None, artifacts: list[Path] = (), artifact_dirs: dict[str, Path] = None) -> dict:
    """Export ``results`` (analysed ``trials``, default all) to MLflow; returns
    {"experiment_id", "parent_run_id", "runs": {configuration key: run_id}, "created", "updated"}.

    ``artifacts``: files logged on the parent run (the report); ``artifact_dirs``: name -> directory
    logged under that name (figures, analysis). Raises ExportError when MLflow is missing or the
    store cannot be opened.
    """
    from mlflow.entities import Metric, Param, RunTag

    client = _client(tracking_uri)
    trials = results.trials if trials is None else trials
    run_name = str(trials["run"].iloc[0]) if "run" in trials and len(trials) else results.source.name
    source = str(Path(results.source).resolve())
    exp_id, get_or_create, counts = _store(client, tracking_uri, experiment or run_name)
    parent_key = _key("run", source, run_name)
    parent = get_or_create(parent_key, run_name, {"harness.source": source})
    notes = "; ".join(results.energy_notes()) or "measured"
    client.log_batch(parent, params=[Param("source", source), Param("layout", results.layout)],
                     tags=[RunTag("harness.energy", notes),
                           RunTag("harness.trials", f"{len(results.trials)} of "
                                  f"{results.planned_trials if results.planned_trials is not None else 'unknown'} planned")],
                     metrics=[Metric("n_trials", float(len(results.trials)), 0, 0),
                              *footprint_metrics(results, carbon)])
    if results.footprint:
        client.set_tag(parent, "harness.footprint_energy", results.footprint.get("energy_note", ""))
    if carbon is not None:
        client.set_tag(parent, "harness.carbon_inputs", carbon.describe())
    rule = (results.adaptive or {}).get("rule")
    repetitions = None  # an adaptive run's stopping rule, said on every run that shows its results
    if isinstance(rule, dict):
        from harness.analysis.adaptive import rule_line
        from harness.spec import AdaptiveRepetitions

        repetitions = RunTag("harness.repetitions", rule_line(AdaptiveRepetitions(**rule)))
        client.set_tag(parent, repetitions.key, repetitions.value)
    _log_artifacts(client, parent, artifacts, artifact_dirs)

    runs = {}
    for key_values, group in trials.groupby(stats.CONFIG, sort=True):
        config = dict(zip(stats.CONFIG, key_values))
        key = _key("config", source, run_name, config)
        label = (f"{config['algorithm']} {config['sweep']} rows {100 * config['row_fraction']:.0f}% "
                 f"features {100 * config['feature_fraction']:.0f}%")
        run_id = get_or_create(key, label, {"mlflow.parentRunId": parent, "harness.source": source})
        params = configuration_params(group)
        if "config_id" in group and group["config_id"].nunique() == 1:
            params.update(adaptive_params(results, group["config_id"].iloc[0]))
        metrics = configuration_metrics(group, carbon)
        tags = [RunTag("harness.energy", notes)]
        if carbon is not None:
            tags.append(RunTag("harness.carbon_inputs", carbon.describe()))
        if repetitions is not None:
            tags.append(repetitions)
        client.log_batch(run_id, params=[Param(k, v[:6000]) for k, v in params.items()],
                         metrics=[Metric(k, v, 0, 0) for k, v in metrics.items()], tags=tags)
        client.set_terminated(run_id)
        runs[key] = run_id
    return {"experiment_id": exp_id, "parent_run_id": parent, "runs": runs, **counts}


SEARCH_PARAMS = ("algorithm", "strategy", "sweep", "row_fraction", "feature_fraction", "repetition", "seed",
                 "validation", "budget", "best_params", "meter", "energy_estimated")
SEARCH_METRICS = ("preprocess_energy_j", "preprocess_s", "search_energy_j", "search_s", "propose_energy_j",
                  "propose_s", "train_energy_j", "train_s", "predict_energy_j", "predict_s", "total_energy_j",
                  "total_s", "f1", "accuracy", "precision", "recall", "best_val_f1", "n_evaluations", "n_failed")


def export_tuning(results, tracking_uri: str, experiment: str | None = None, artifacts: list[Path] = (),
                  artifact_dirs: dict[str, Path] = None) -> dict:
    """Export a tuning run (``harness.analysis.tuning.TuningResults``) to MLflow: a parent run with
    the report and figures, one child run per search (``SEARCH_PARAMS``, ``SEARCH_METRICS``: J, s,
    scores in [0, 1]); returns as ``export_run``, ``runs`` keyed by search. Raises ExportError."""
    from mlflow.entities import Metric, Param, RunTag

    client = _client(tracking_uri)
    s = results.searches
    run_name = str(s["run"].iloc[0]) if len(s) else Path(results.source).name
    source = str(Path(results.source).resolve())
    exp_id, get_or_create, counts = _store(client, tracking_uri, experiment or run_name)
    parent = get_or_create(_key("run", source, run_name), run_name, {"harness.source": source})
    notes = "; ".join(results.energy_notes()) or "measured"
    client.log_batch(parent, params=[Param("source", source), Param("layout", "tuning")],
                     tags=[RunTag("harness.energy", notes), RunTag("harness.searches", f"{len(s)} of "
                           f"{results.n_planned if results.n_planned is not None else 'unknown'} planned")],
                     metrics=[Metric("n_searches", float(len(s)), 0, 0)])
    _log_artifacts(client, parent, artifacts, artifact_dirs)
    runs = {}
    for _, row in s.sort_values("trial_id").iterrows():
        key = _key("search", source, run_name, int(row["trial_id"]))
        label = (f"{row['algorithm']} {row['strategy']} rows {100 * row['row_fraction']:.0f}% "
                 f"features {100 * row['feature_fraction']:.0f}% rep {row['repetition']}")
        run_id = get_or_create(key, label, {"mlflow.parentRunId": parent, "harness.source": source})
        metrics = {k: float(row[k]) for k in SEARCH_METRICS if k in row and math.isfinite(float(row[k]))}
        client.log_batch(run_id, params=[Param(k, str(row[k])[:6000]) for k in SEARCH_PARAMS if k in row],
                         metrics=[Metric(k, v, 0, 0) for k, v in metrics.items()],
                         tags=[RunTag("harness.energy", notes)])
        client.set_terminated(run_id)
        runs[key] = run_id
    return {"experiment_id": exp_id, "parent_run_id": parent, "runs": runs, **counts}


def _store(client, tracking_uri: str, name: str):
    """(experiment id, ``get_or_create(key, label, tags) -> run id``, counts {"created", "updated"}
    that it keeps). Raises ExportError when the store cannot be used."""
    try:
        found = client.get_experiment_by_name(name)
        exp_id = (found.experiment_id if found is not None else
                  client.create_experiment(name, artifact_location=artifact_location(tracking_uri)))
    except Exception as e:  # MLflow raises its own exception types for a bad store or URI
        first = " ".join(str(e).split())[:160]
        raise ExportError(f"--tracking-uri {tracking_uri}: MLflow cannot use this store ({type(e).__name__}: "
                          f"{first}); use e.g. sqlite:///mlruns.db") from None
    counts = {"created": 0, "updated": 0}

    def get_or_create(key: str, run_label: str, tags: dict) -> str:
        hits = client.search_runs([exp_id], filter_string=f"tags.`{KEY_TAG}` = '{key}'", max_results=2)
        if hits:
            counts["updated"] += 1
            return hits[0].info.run_id
        counts["created"] += 1
        return client.create_run(exp_id, run_name=run_label, tags={KEY_TAG: key, **tags}).info.run_id

    return exp_id, get_or_create, counts


def _log_artifacts(client, parent: str, artifacts, artifact_dirs) -> None:
    """Log ``artifacts`` (files) and ``artifact_dirs`` (name -> folder) on the parent run, then end it."""
    for path in artifacts:
        if Path(path).is_file():
            client.log_artifact(parent, str(path))
    for sub, directory in (artifact_dirs or {}).items():
        if Path(directory).is_dir():
            client.log_artifacts(parent, str(directory), artifact_path=sub)
    client.set_terminated(parent)
