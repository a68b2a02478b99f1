"""Analysis of a tuning study: the energy (and evaluations) a strategy needs to reach a target F1.

Per search, the *energy to target* is the cumulative search energy (every evaluation's propose +
fit + score, ``evaluations.csv``) at the first evaluation whose validation F1 reaches the target. A
search that stops short of the target (its budget spent) is *right-censored* at its own energy:
all that is known is that it would have needed more than it spent. Ranking it as +inf (as this
analysis once did) put a random search that stopped at 13.5 J below a grid that reached the target
at 96 J, and a ratio over successes only ignores the searches that failed. The standard treatment
is survival analysis: Kaplan-Meier estimates of the energy-to-target distribution per strategy,
their medians, and the log-rank test between strategies.

The target is given (``--target-f1``) or a fraction (``--target-fraction``, default 0.95) of the
best validation F1 that any strategy found for the same algorithm, data level *and repetition*:
the target is set by the best any strategy found. Within a repetition every strategy scores
settings on the same folds (the repetition's seed), so a setting's validation F1 is the same
whichever strategy tried it, and the target is one all strategies could reach; a grid over lists
always finds that repetition's best, so it always reaches the target. (A target from the best
over all repetitions would be set by the luckiest folds.)

Tables (``PATH/analysis/``):
- ``tuning_strategies``: per algorithm, data level and strategy: searches, the share that reached
  the target, the Kaplan-Meier median energy to target with its 95% CI (Brookmeyer-Crowley,
  log-log), median evaluations to target among searches that reached it, median search and total
  energy, median test F1 of the final model;
- ``tuning_comparison``: per algorithm and data level, every pair of strategies: the ratio of their
  Kaplan-Meier medians, the share each reached, the log-rank test's chi-square and p (Holm over the
  table).
Figure: best validation F1 so far against cumulative search energy, median over repetitions with
the interquartile band, one panel per algorithm and data level, one line per strategy.

Statistics come from statsmodels (``statsmodels.duration.survfunc.SurvfuncRight``: Kaplan-Meier,
its ``quantile`` and ``quantile_ci``; ``survdiff``: the log-rank test; Holm), through
``harness.analysis.stats`` for Holm.

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
from harness.analysis.tables import Table, averaging_note, fraction, num, pval
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
    (J) and evaluations (count) when it first did (inf / NaN when it did not); ``censored_energy_j``:
    that energy, or the search's own cumulative energy when it stopped short (right-censored, with
    ``reached`` False as the censoring flag)."""
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
            # the survival time: energy to target, or (censored) the search's own energy when it stopped short
            "censored_energy_j": (float(hit["cumulative_energy_j"].iloc[0]) if reached
                                  else float(e["cumulative_energy_j"].max())),
            "evaluations_to_target": int(hit["evaluation"].iloc[0]) + 1 if reached else math.nan,
            "search_energy_j": s.search_energy_j, "total_energy_j": s.total_energy_j,
            "n_evaluations": s.n_evaluations, "f1": s.f1, "best_val_f1": s.best_val_f1,
        })
    return pd.DataFrame(rows)


def median_ci(values, n_resamples: int = stats.N_RESAMPLES, seed: int = stats.SEED) -> tuple[float, float, float]:
    """Median and its percentile bootstrap 95% CI; +inf values allowed. NaN CI below
    ``stats.MIN_BOOTSTRAP_N`` values, as every other bootstrap CI of the harness: from 2 to 4 values the
    percentile interval is the range of a handful of medians and covers far less than 95% (issue 21, item 5)."""
    v = np.asarray(values, dtype=float)
    if len(v) == 0:
        return math.nan, math.nan, math.nan
    med = float(np.median(v))
    if len(v) < stats.MIN_BOOTSTRAP_N:
        return med, math.nan, math.nan
    if np.all(v == v[0]):
        return med, med, med
    from scipy import stats as sps

    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore")
        res = sps.bootstrap((v,), np.median, n_resamples=n_resamples, confidence_level=0.95,
                            method="percentile", rng=np.random.default_rng(seed))
    return med, float(res.confidence_interval.low), float(res.confidence_interval.high)


def km_median(energy, reached) -> tuple[float, float, float]:
    """Kaplan-Meier median of right-censored energies (J) and its 95% CI.

    ``energy``: per search, the energy to target, or its own energy where it stopped short;
    ``reached``: True where the search reached the target (an event), False where censored.
    statsmodels ``SurvfuncRight``: the median is its ``quantile(0.5)``, the first energy at which the
    estimated share not yet at the target falls below 0.5 (strict, as SAS); NaN when it never does
    (half or more of the searches stopped short, so the median is beyond the data). The CI is
    ``quantile_ci(0.5)`` (Brookmeyer-Crowley, log-log transform); an unbounded end is +inf, an
    undefined one NaN. Returns (median, low, high)."""
    from statsmodels.duration.survfunc import SurvfuncRight

    t = np.asarray(energy, dtype=float)
    d = np.asarray(reached, dtype=bool).astype(int)
    if len(t) == 0:
        return math.nan, math.nan, math.nan
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        sf = SurvfuncRight(t, d)
        med = float(sf.quantile(0.5))
        try:
            low, high = (float(v) for v in sf.quantile_ci(0.5))
        except (ValueError, ZeroDivisionError, IndexError):
            low, high = math.nan, math.nan
    if d.any() and not math.isnan(low) and math.isnan(high):
        high = math.inf  # the upper end is beyond the data: unbounded
    return med, low, high


def logrank(energy_a, reached_a, energy_b, reached_b) -> tuple[float, float]:
    """Log-rank test of two strategies' right-censored energies to target: (chi-square, p), 1
    degree of freedom, statsmodels ``survdiff``. NaN when no search of either reached the target, or
    when the statistic has no variance (every event came when only one strategy's searches were left)."""
    from statsmodels.duration.survfunc import survdiff

    t = np.concatenate([np.asarray(energy_a, dtype=float), np.asarray(energy_b, dtype=float)])
    d = np.concatenate([np.asarray(reached_a, dtype=bool), np.asarray(reached_b, dtype=bool)]).astype(int)
    g = np.r_[np.zeros(len(energy_a), dtype=int), np.ones(len(energy_b), dtype=int)]
    if not d.any() or len(energy_a) == 0 or len(energy_b) == 0:
        return math.nan, math.nan
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            chisq, p = survdiff(t, d, g)
        except np.linalg.LinAlgError:  # zero variance: at every event only one strategy was at risk
            return math.nan, math.nan
    return float(chisq), float(p)


def strategy_summary(per_search: pd.DataFrame, n_resamples: int = stats.N_RESAMPLES,
                     seed: int = stats.SEED) -> pd.DataFrame:
    """Per algorithm, level and strategy: ``reached_share``, the Kaplan-Meier median energy to
    target (``km_median``: ``median_energy_to_target_j``, ``ci_low_j``, ``ci_high_j``), the other
    medians (search and total energy with a bootstrap CI of the search energy, evaluations, test F1)."""
    rows = []
    for key, g in per_search.groupby([*LEVEL, "strategy"], sort=False):
        e, e_lo, e_hi = km_median(g["censored_energy_j"], g["reached"])
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
    """Per algorithm and level, every pair of strategies: ``ratio`` of their Kaplan-Meier medians
    (NaN where either is undefined), the share each reached (``reached``, "k/n"), and the log-rank
    test (``chisq``, ``p``; ``p_holm``: Holm over the table). Censored searches count at their own
    energy, never as +inf and never dropped."""
    rows = []
    for key, g in per_search.groupby(LEVEL, sort=True):
        strategies = sorted(g["strategy"].unique())
        for i, a in enumerate(strategies):
            for b in strategies[i + 1:]:
                ga, gb = g[g["strategy"] == a], g[g["strategy"] == b]
                ma = km_median(ga["censored_energy_j"], ga["reached"])[0]
                mb = km_median(gb["censored_energy_j"], gb["reached"])[0]
                chisq, p = logrank(ga["censored_energy_j"], ga["reached"], gb["censored_energy_j"], gb["reached"])
                rows.append({**dict(zip(LEVEL, key)), "strategy": a, "versus": b, "n": f"{len(ga)}/{len(gb)}",
                             "reached": f"{int(ga['reached'].sum())}/{int(gb['reached'].sum())}",
                             "km_median_j": ma, "versus_km_median_j": mb,
                             "ratio": ma / mb if mb > 0 else math.nan,
                             "test": "log-rank (statsmodels survdiff)", "chisq": chisq, "p": p})
    out = pd.DataFrame(rows)
    if not out.empty:
        out["p_holm"] = stats.holm(out["p"].to_numpy())
    return out


def _level(r) -> str:
    return f"{r.algorithm} ({r.sweep}: rows {fraction(r.row_fraction)}, features {fraction(r.feature_fraction)})"


def _j(x) -> str:
    return "not reached" if x == math.inf else num(x, 4)


def _km(x) -> str:
    return "beyond the data" if math.isnan(x) else num(x, 4)


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
           "(the target is set by the best any strategy found; same folds for every strategy; 'target F1' shows "
           "the median over repetitions)")
    notes = results.energy_notes()
    tag = f" [{'; '.join(notes)}]" if notes else ""
    display = pd.DataFrame({
        "algorithm and level": [_level(r) for r in summary.itertuples()],
        "strategy": summary["strategy"],
        "searches": summary["n_searches"].astype(str),
        "target F1": [num(x, 3) for x in summary["target_f1"]],
        "reached": [f"{100 * x:.0f}%" for x in summary["reached_share"]],
        "KM median energy to target J": [_km(x) for x in summary["median_energy_to_target_j"]],
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
                f"the best validation F1 so far first reaches the target; {how}. A search that stopped short of "
                "the target is right-censored at its own search energy (it would have needed more), never "
                "dropped nor counted as infinite: 'KM median' is the Kaplan-Meier median (statsmodels "
                "SurvfuncRight, the first energy at which under half the searches are still short of the "
                "target), 'beyond the data' when half or more stopped short; 95% CI Brookmeyer-Crowley "
                "(log-log), 'not reached' for an end beyond the data. 'reached': the share of searches that "
                "reached the target; evals to target: median over those that did.",
                averaging_note(results.searches)))
    comp = strategy_comparison(per, n_resamples, seed)
    if comp.empty:
        cdisplay = pd.DataFrame()
    else:
        cdisplay = pd.DataFrame({
            "algorithm and level": [_level(r) for r in comp.itertuples()],
            "strategy": comp["strategy"], "versus": comp["versus"], "n": comp["n"], "reached": comp["reached"],
            "KM median ratio": [num(x, 3) for x in comp["ratio"]],
            "log-rank chi2": [num(x, 3) for x in comp["chisq"]],
            "p": [pval(p) for p in comp["p"]],
            "p (Holm)": [pval(p) for p in comp["p_holm"]],
        })
    cnotes = [f"KM median ratio: the strategy's Kaplan-Meier median energy to target / the other's (undefined "
              f"where either median is beyond the data). Log-rank test (statsmodels survdiff) of the two "
              f"energy-to-target distributions, searches that stopped short right-censored at their own energy; "
              f"1 degree of freedom, chi-square approximation (rough with few searches a side); Holm over the "
              f"{len(comp)} comparisons of the table. 'reached': searches that reached the target, per side; {how}."]
    if not comp.empty:
        sizes = [int(x) for n in comp["n"] for x in n.split("/")]
        if min(sizes) < stats.MIN_BOOTSTRAP_N:
            cnotes.append(f"Too few repetitions for a firm test: down to {min(sizes)} searches a side, where the "
                          "log-rank chi-square approximation is only indicative; 'no difference' there means "
                          "'not enough data', not 'equal'.")
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
