"""What ``analyze`` says of an adaptive run (``repetitions: {min, max, ...}``): the stopping rule, and
per configuration the repetitions it reached, why it stopped and how precise its medians are."""

from __future__ import annotations

import dataclasses

import pandas as pd

from harness.analysis.tables import Table, num
from harness.plan.adaptive import precision, watched_energy
from harness.results.load import Results
from harness.spec import AdaptiveRepetitions

WHY_HONEST = ("A configuration stops on its own precision, never on a comparison or a p-value: which trials a test "
              "sees does not depend on that test's outcome, so the tests keep their nominal error rates "
              "(simulated in tests/plan/test_adaptive.py); every test states its n, the repetitions its "
              "configurations reached.")


def rule_line(rule: AdaptiveRepetitions) -> str:
    """The stopping rule in words, for headers and notes."""
    return (f"adaptive, {rule.min}-{rule.max} per configuration: stop once the {100 * rule.confidence:g}% "
            f"order-statistic CI of the median {rule.energy} energy is within +-{100 * rule.energy_half_width:g}% "
            f"of it and that of the median F1 within +-{rule.f1_half_width:g} points")


def rule_note(results: Results) -> str | None:
    """The note every other table of an adaptive run carries: the stopping rule, the repetitions the
    configurations reached and why they stopped (the manifest's counts); None for a fixed design."""
    a = results.adaptive
    if a is None or not isinstance(a.get("rule"), dict):
        return None
    per = [v for v in (a.get("per_configuration") or {}).values() if isinstance(v, dict)]
    reps = [int(v["repetitions"]) for v in per if isinstance(v.get("repetitions"), int)]
    stops = [v.get("stopped") for v in per]
    reached = (f"; reached {min(reps)}-{max(reps)} per configuration ({stops.count('precise')} precise, "
               f"{stops.count('max')} at max, {stops.count('open')} open)" if reps else "")
    return (f"Repetitions: {rule_line(AdaptiveRepetitions(**a['rule']))}{reached}: each test's n is the repetitions "
            "its configurations reached (table 'Adaptive repetitions').")


def with_rule_note(table: Table, results: Results) -> Table:
    """``table`` with the adaptive run's rule note (``rule_note``) added; unchanged for a fixed design."""
    note = rule_note(results)
    return dataclasses.replace(table, notes=(*table.notes, note)) if note else table


def adaptive_table(results: Results) -> Table | None:
    """Per configuration of an adaptive run: repetitions reached, why it stopped (precise, max, or
    open while the run is unfinished), medians and their CI half-widths; None for a fixed design."""
    if results.adaptive is None or not isinstance(results.adaptive.get("rule"), dict):
        return None
    rule = AdaptiveRepetitions(**results.adaptive["rule"])
    rows = []
    for config, g in results.trials.groupby("config_id", sort=True):
        first = g.iloc[0]
        energies = [watched_energy(r, rule.energy) for r in g.to_dict("records")]
        p = precision(energies, g["f1"].to_numpy(dtype=float), rule)
        rows.append({"config_id": int(config), "algorithm": first["algorithm"], "sweep": first["sweep"],
                     "treatment": first["treatment"], "row_fraction": first["row_fraction"],
                     "feature_fraction": first["feature_fraction"], "repetitions": p.n, "stopped": p.status,
                     f"median_{rule.energy}_energy_j": p.energy_median_j,
                     "energy_ci_half_width_pct": 100 * p.energy_half_width,
                     "median_f1": p.f1_median, "f1_ci_half_width_points": p.f1_half_width_points})
    frame = pd.DataFrame(rows)
    display = pd.DataFrame({
        "algorithm": frame["algorithm"], "sweep": frame["sweep"],
        "rows": [f"{x:.0%}" for x in frame["row_fraction"]], "features": [f"{x:.0%}" for x in frame["feature_fraction"]],
        "treatment": frame["treatment"], "repetitions": frame["repetitions"].astype(str), "stopped": frame["stopped"],
        f"median {rule.energy} energy (J)": [num(x) for x in frame[f"median_{rule.energy}_energy_j"]],
        "energy CI +-%": [num(x, 3) for x in frame["energy_ci_half_width_pct"]],
        "median F1": [num(x) for x in frame["median_f1"]],
        "F1 CI +-points": [num(x, 3) for x in frame["f1_ci_half_width_points"]]})
    counts = frame["stopped"].value_counts()
    summary = (f"{len(frame)} configurations, {int(frame['repetitions'].sum())} trials (a fixed design of "
               f"{rule.max} repetitions: {rule.max * len(frame)}); {int(counts.get('precise', 0))} stopped precise, "
               f"{int(counts.get('max', 0))} at max, {int(counts.get('open', 0))} still open; repetitions "
               f"{int(frame['repetitions'].min())}-{int(frame['repetitions'].max())}.")
    return Table("adaptive_repetitions", "Adaptive repetitions: what each configuration reached", frame, display,
                 notes=(f"Repetitions: {rule_line(rule)}.", summary, WHY_HONEST))
