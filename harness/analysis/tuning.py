"""Analysis of a tuning study: the energy (and evaluations) a strategy needs to reach a target F1.

Per search, the *energy to target* is the cumulative search energy (every evaluation's propose +
fit + score, ``evaluations.csv``) at the first evaluation whose validation F1 reaches the target; a
search that never reaches it counts as +inf (ranked worst, never dropped). The target is given
(``--target-f1``) or a fraction (``--target-fraction``, default 0.95) of the best validation F1 that
any search of the same algorithm, data level *and repetition* found. Within a repetition every
strategy scores settings on the same folds (the repetition's seed), so a setting's validation F1 is
the same whichever strategy tried it, and the target is one all strategies could reach; a grid over
lists always finds that repetition's best, so it always reaches the target. (A target from the best
over all repetitions would be set by the luckiest folds.)

Tables (``PATH/analysis/``):
- ``tuning_strategies``: per algorithm, data level and strategy: searches, share that reached the
  target, median energy to target with a percentile bootstrap 95% CI (2,000 resamples, seeded),
  median evaluations to target, median search and total energy, median test F1 of the final model;
- ``tuning_comparison``: per algorithm and data level, every pair of strategies: ratio of median
  energy to target with bootstrap CI (searches that reached it), Mann-Whitney U two-sided p on
  energy to target (inf included) with Holm's correction over the table, Cliff's delta.
Figure: best validation F1 so far against cumulative search energy, median over repetitions with
the interquartile band, one panel per algorithm and data level, one line per strategy.

Statistics come from scipy (``scipy.stats.bootstrap``, ``mannwhitneyu``) and statsmodels (Holm),
through ``harness.analysis.stats``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from harness.analysis import stats
from harness.results.load import ESTIMATED_LABEL
from harness.analysis.tables import Table, averaging_note, ci, fraction, num, pval
from harness.errors import ResultsError
from harness.results.schema import EVALUATION_COLUMNS, SEARCH_COLUMNS

LEVEL = ["algorithm", "sweep", "row_fraction", "feature_fraction"]
DEFAULT_TARGET_FRACTION = 0.95


@dataclasses.dataclass(frozen=True)
class TuningResults:
    """A tuning run: ``searches`` (searches.csv) and ``evaluations`` (evaluations.csv, only the
    evaluations of finished searches), with the manifest's planned count."""

    searches: pd.DataFrame
    evaluations: pd.DataFrame
    source: Path
    n_planned: int | None = None

    @property
    def estimated(self) -> bool:
        s = self.searches
        return bool(s["energy_estimated"].astype(str).str.lower().eq("true").any() or (s["meter"] == "estimate").any())

    def energy_notes(self) -> list[str]:
        return [ESTIMATED_LABEL] if self.estimated else []

    def completeness(self) -> str | None:
        """"N of M planned searches" when the run is incomplete, else None."""
        if self.n_planned and len(self.searches) < self.n_planned:
            return f"incomplete run: {len(self.searches)} of {self.n_planned} planned searches"
        return None


def is_tuning_run(path: str | Path) -> bool:
    return (Path(path) / "searches.csv").is_file()


def load_tuning(path: str | Path) -> TuningResults:
    """Read a tuning run directory (each file once, ``harness.results.read``). Raises ResultsError
    naming the file when one is missing, damaged, holds no finished search, or lacks the
    evaluations of a finished search."""
    path = Path(path)
    s_path, e_path = path / "searches.csv", path / "evaluations.csv"
    for p in (s_path, e_path):
        if not p.is_file():
            raise ResultsError(f"{p}: missing; pass a run directory made by 'harness run' on a tuning spec")
    searches = _read_checked(s_path, SEARCH_COLUMNS)
    if searches.empty:
        raise ResultsError(f"{s_path}: no finished search yet; run the spec (or resume it) first")
    evaluations = _read_checked(e_path, EVALUATION_COLUMNS, key=("trial_id", "evaluation"))
    evaluations = evaluations[evaluations["trial_id"].isin(searches["trial_id"])]
    bare = sorted(set(searches["trial_id"]) - set(evaluations["trial_id"]))
    if bare:  # every finished search evaluated at least one setting, each written before the search's row
        shown = ", ".join(str(i) for i in bare[:5]) + (", ..." if len(bare) > 5 else "")
        raise ResultsError(f"{e_path}: no evaluations of finished search(es) {shown} (trial_id); the file was cut "
                           "or replaced: restore it from a copy")
    n_planned = None
    manifest = path / "manifest.json"
    if manifest.is_file():
        try:
            n_planned = json.loads(manifest.read_text()).get("n_trials")
        except (OSError, ValueError):
            n_planned = None
    return TuningResults(searches, evaluations, path, n_planned)


TARGET_KEY = [*LEVEL, "repetition"]


def _read_checked(path: Path, columns: tuple[str, ...], key=("trial_id",)) -> pd.DataFrame:
    """Whole rows of a tuning file as a typed DataFrame, read once and every line checked as on
    resume (``harness.results.read``: a damaged line or an edited value is refused, naming the
    line); a torn last line is left out."""
    from harness.results.read import READ_FIX, read_results_file

    from harness.results.schema import TUNING_FLOATS, TUNING_INTEGERS

    file = read_results_file(path, columns, key=key, fix=READ_FIX,
                             integers=tuple(c for c in TUNING_INTEGERS if c in columns),
                             floats=tuple(c for c in TUNING_FLOATS if c in columns))
    return file.frame() if file.columns else pd.DataFrame(columns=list(columns))


def targets(results: TuningResults, target_f1: float | None = None,
            target_fraction: float = DEFAULT_TARGET_FRACTION) -> pd.Series:
    """Target validation F1 per (algorithm, sweep, row_fraction, feature_fraction, repetition)."""
    best = results.evaluations.drop(columns=["algorithm", "strategy", "repetition"]).merge(
        results.searches[["trial_id", *TARGET_KEY]], on="trial_id")
    best = best.groupby(TARGET_KEY)["val_f1"].max()
    return best * 0 + target_f1 if target_f1 is not None else best * target_fraction


def to_target(results: TuningResults, target: pd.Series) -> pd.DataFrame:
    """One row per search: its target, whether it reached it, and the cumulative search energy
    (J) and evaluations (count) when it first did (inf / NaN when it did not)."""
    ev = results.evaluations.sort_values(["trial_id", "evaluation"])
    rows = []
    for s in results.searches.itertuples(index=False):
        key = (s.algorithm, s.sweep, s.row_fraction, s.feature_fraction, s.repetition)
        t = float(target.loc[key])
        e = ev[ev["trial_id"] == s.trial_id]
        hit = e[e["best_val_f1_so_far"] >= t - 1e-12]
        reached = not hit.empty
        rows.append({
            "trial_id": s.trial_id, "algorithm": s.algorithm, "sweep": s.sweep, "row_fraction": s.row_fraction,
            "feature_fraction": s.feature_fraction, "strategy": s.strategy, "repetition": s.repetition,
            "target_f1": t, "reached": reached,
            "energy_to_target_j": float(hit["cumulative_energy_j"].iloc[0]) if reached else math.inf,
            "evaluations_to_target": int(hit["evaluation"].iloc[0]) + 1 if reached else math.nan,
            "search_energy_j": s.search_energy_j, "total_energy_j": s.total_energy_j,
            "n_evaluations": s.n_evaluations, "f1": s.f1, "best_val_f1": s.best_val_f1,
        })
    return pd.DataFrame(rows)


def median_ci(values, n_resamples: int = stats.N_RESAMPLES, seed: int = stats.SEED) -> tuple[float, float, float]:
    """Median and its percentile bootstrap 95% CI (NaN CI below 2 values); +inf values allowed."""
    v = np.asarray(values, dtype=float)
    if len(v) == 0:
        return math.nan, math.nan, math.nan
    med = float(np.median(v))
    if len(v) < 2 or np.all(v == v[0]):
        return med, (med if len(v) >= 2 else math.nan), (med if len(v) >= 2 else math.nan)
    from scipy import stats as sps

    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore")
        res = sps.bootstrap((v,), np.median, n_resamples=n_resamples, confidence_level=0.95,
                            method="percentile", rng=np.random.default_rng(seed))
    return med, float(res.confidence_interval.low), float(res.confidence_interval.high)


def strategy_summary(per_search: pd.DataFrame, n_resamples: int = stats.N_RESAMPLES,
                     seed: int = stats.SEED) -> pd.DataFrame:
    rows = []
    for key, g in per_search.groupby([*LEVEL, "strategy"], sort=False):
        e, e_lo, e_hi = median_ci(g["energy_to_target_j"], n_resamples, seed)
        s, s_lo, s_hi = median_ci(g["search_energy_j"], n_resamples, seed)
        rows.append({**dict(zip([*LEVEL, "strategy"], key)), "n_searches": len(g),
                     "target_f1": float(g["target_f1"].median()), "reached_share": g["reached"].mean(),
                     "median_energy_to_target_j": e, "ci_low_j": e_lo, "ci_high_j": e_hi,
                     "median_evaluations_to_target": float(np.nanmedian(g["evaluations_to_target"]))
                     if g["reached"].any() else math.nan,
                     "median_search_energy_j": s, "search_ci_low_j": s_lo, "search_ci_high_j": s_hi,
                     "median_total_energy_j": float(np.median(g["total_energy_j"])),
                     "median_evaluations": float(np.median(g["n_evaluations"])),
                     "median_test_f1": float(np.median(g["f1"]))})
    return pd.DataFrame(rows).sort_values([*LEVEL, "strategy"], kind="stable").reset_index(drop=True)


def strategy_comparison(per_search: pd.DataFrame, n_resamples: int = stats.N_RESAMPLES,
                        seed: int = stats.SEED) -> pd.DataFrame:
    rows = []
    for key, g in per_search.groupby(LEVEL, sort=True):
        strategies = sorted(g["strategy"].unique())
        for i, a in enumerate(strategies):
            for b in strategies[i + 1:]:
                ea = g.loc[g["strategy"] == a, "energy_to_target_j"].to_numpy()
                eb = g.loc[g["strategy"] == b, "energy_to_target_j"].to_numpy()
                fa, fb = ea[np.isfinite(ea)], eb[np.isfinite(eb)]
                # a ratio of medians needs at least two searches that reached the target on each side
                ratio, lo, hi = (stats.bootstrap_median_ratio(fa, fb, n_resamples, seed)
                                 if min(len(fa), len(fb)) >= 2 else (math.nan, math.nan, math.nan))
                delta, p = stats.cliffs_delta(ea, eb)
                rows.append({**dict(zip(LEVEL, key)), "strategy": a, "versus": b, "n": f"{len(ea)}/{len(eb)}",
                             "reached": f"{len(fa)}/{len(fb)}",
                             "ratio": ratio, "ratio_ci_low": lo, "ratio_ci_high": hi, "p": p,
                             "cliffs_delta": delta, "magnitude": stats.cliffs_magnitude(delta),
                             "min_p_possible": _min_p(len(ea), len(eb))})
    out = pd.DataFrame(rows)
    if not out.empty:
        out["p_holm"] = stats.holm(out["p"].to_numpy())
    return out


def _min_p(n1: int, n2: int) -> float:
    """Smallest two-sided Mann-Whitney p possible with these sample sizes (exact, no ties):
    2 / C(n1 + n2, n1). With 2 per side it is 0.33: no test can reach 0.05."""
    return stats.min_mannwhitney_p(n1, n2)  # in log space: math.comb(1200, 600) overflows a float


def _level(r) -> str:
    return f"{r.algorithm} ({r.sweep}: rows {fraction(r.row_fraction)}, features {fraction(r.feature_fraction)})"


def _j(x) -> str:
    return "not reached" if x == math.inf else num(x, 4)


def tuning_tables(results: TuningResults, target_f1: float | None = None,
                  target_fraction: float = DEFAULT_TARGET_FRACTION,
                  n_resamples: int = stats.N_RESAMPLES, seed: int = stats.SEED) -> tuple[list[Table], pd.DataFrame]:
    """The tables of ``analyze`` on a tuning run, and the per-search frame they come from."""
    if target_f1 is None and not 0 < target_fraction <= 1:
        raise ResultsError(f"--target-fraction must be in (0, 1], got {target_fraction}")
    if target_f1 is not None and not 0 < target_f1 <= 1:
        raise ResultsError(f"--target-f1 must be an F1 in (0, 1] (0.9 = 90 points), got {target_f1}")
    per = to_target(results, targets(results, target_f1, target_fraction))
    summary = strategy_summary(per, n_resamples, seed)
    how = (f"target validation F1 {target_f1:g}" if target_f1 is not None else
           f"target = {target_fraction:g} x the best validation F1 any strategy found in the same repetition "
           "(same folds for every strategy; 'target F1' shows the median over repetitions)")
    notes = results.energy_notes()
    tag = f" [{'; '.join(notes)}]" if notes else ""
    display = pd.DataFrame({
        "algorithm and level": [_level(r) for r in summary.itertuples()],
        "strategy": summary["strategy"],
        "searches": summary["n_searches"].astype(str),
        "target F1": [num(x, 3) for x in summary["target_f1"]],
        "reached": [f"{100 * x:.0f}%" for x in summary["reached_share"]],
        "energy to target J": [_j(x) for x in summary["median_energy_to_target_j"]],
        "95% CI": [f"[{_j(lo)}, {_j(hi)}]" if not math.isnan(lo) else "undefined"
                   for lo, hi in zip(summary["ci_low_j"], summary["ci_high_j"])],
        "evals to target": [num(x, 3) for x in summary["median_evaluations_to_target"]],
        "search energy J": [num(x, 4) for x in summary["median_search_energy_j"]],
        "evals": [num(x, 3) for x in summary["median_evaluations"]],
        "test F1": [num(x, 3) for x in summary["median_test_f1"]],
    })
    frame = summary.assign(energy_basis="; ".join(notes) if notes else "measured")
    t1 = Table("tuning_strategies", f"Tuning: energy to reach the target F1, per strategy{tag}", frame, display,
               (f"Energy to target: cumulative search energy (propose + fit + score of every evaluation) when "
                f"the best validation F1 so far first reaches the target; {how}. Medians over repetitions "
                "with percentile bootstrap 95% CIs; a search that never reached the target counts as "
                "'not reached' (+inf).", averaging_note(results.searches)))
    comp = strategy_comparison(per, n_resamples, seed)
    if comp.empty:
        cdisplay = pd.DataFrame()
    else:
        cdisplay = pd.DataFrame({
            "algorithm and level": [_level(r) for r in comp.itertuples()],
            "strategy": comp["strategy"], "versus": comp["versus"], "n": comp["n"], "reached": comp["reached"],
            "energy ratio": [num(x, 3) for x in comp["ratio"]],
            "95% CI": [ci(lo, hi, lambda v: num(v, 3)) for lo, hi in zip(comp["ratio_ci_low"], comp["ratio_ci_high"])],
            "p (Holm)": [pval(p) for p in comp["p_holm"]],
            "Cliff's delta": [f"{num(d, 2)} ({m})" for d, m in zip(comp["cliffs_delta"], comp["magnitude"])],
        })
    few = comp[comp["min_p_possible"] > stats.ALPHA] if not comp.empty else comp
    cnotes = ["Ratio: median energy to target of the strategy / of the one it is compared with, over searches "
              "that reached the target (undefined below two on either side). Mann-Whitney U on energy to target (not reached = +inf), Holm-corrected "
              "over the table; negative Cliff's delta: the first strategy needs less energy."]
    if len(few):
        cnotes.append(f"{len(few)} of {len(comp)} comparisons have too few repetitions for any test to reach "
                      f"p < {stats.ALPHA:g} (smallest possible p {few['min_p_possible'].min():.2g}): "
                      "'no difference' there means 'not enough data', not 'equal'.")
    t2 = Table("tuning_comparison", f"Tuning: strategies compared on energy to target{tag}",
               comp.assign(energy_basis="; ".join(notes) if notes else "measured"), cdisplay,
               (*cnotes, averaging_note(results.searches)))
    return [t1, t2], per


def curves(results: TuningResults, n_points: int = 60) -> dict:
    """Best validation F1 so far on a common log-spaced grid of cumulative search energy (J), per
    (algorithm, level) and strategy: {level: {strategy: (energy grid, median, q25, q75)}}. A search
    holds its last best after its final evaluation and is undefined before its first."""
    ev = results.evaluations.merge(results.searches[["trial_id", *LEVEL[1:]]], on="trial_id")
    out = {}
    for key, g in ev.groupby(LEVEL, sort=True):
        pos = g["cumulative_energy_j"][g["cumulative_energy_j"] > 0]
        if pos.empty:
            continue
        grid = np.geomspace(pos.min(), g["cumulative_energy_j"].max(), n_points)
        per_strategy = {}
        for strategy, gs in g.groupby("strategy"):
            lines = []
            for _, one in gs.groupby("trial_id"):
                one = one.sort_values("evaluation")
                idx = np.searchsorted(one["cumulative_energy_j"].to_numpy(), grid, side="right") - 1
                vals = np.where(idx >= 0, one["best_val_f1_so_far"].to_numpy()[np.clip(idx, 0, None)], np.nan)
                lines.append(vals)
            arr = np.vstack(lines)
            # Drawn only where every repetition has made its first evaluation: a median over the
            # searches started so far would dip when a slower one joins.
            per_strategy[strategy] = (grid, np.median(arr, axis=0), np.percentile(arr, 25, axis=0),
                                      np.percentile(arr, 75, axis=0), arr.shape[0])
        out[key] = per_strategy
    return out
