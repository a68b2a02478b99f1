"""``harness report``: run the analysis and the figures of a run, then write the one-page HTML
report (``page.render``). The headline findings are worded here from the analysis tables."""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path

from harness.output import draw
from harness.results.load import Results
from harness.analysis.study_tables import study_tables
from harness.analysis.tables import Options, Table, write_tables
from harness.errors import ResultsError, counted
from harness.output.report.page import Page, render

MIN_TESTABLE = 4  # repetitions per side for an exact Mann-Whitney p below 0.05 (2 / C(8, 4) = 0.029)


def write_report(results: Results, out_html: Path, analysis_dir: Path, figures_dir: Path,
                 options: Options = Options(), carbon=None) -> Path:
    """Write the analysis tables, the figures and ``out_html``; returns ``out_html``.

    ``carbon``: a ``harness.data.carbon.CarbonInputs`` or None (no carbon computed). The HTML is
    written to a temporary file and renamed, so a crash never leaves half a report.
    """
    tables, trials = study_tables(results, options, carbon)
    if carbon is None:  # carbon tables of an earlier call would carry inputs this report does not state
        for name in ("carbon", "carbon_trials"):
            for suffix in (".md", ".tex", ".csv"):
                (analysis_dir / f"{name}{suffix}").unlink(missing_ok=True)
    write_tables(tables, analysis_dir)
    draw.draw_all(results, figures_dir, clean=options.clean, carbon=carbon)
    page = Page(results=results, analysis_dir=analysis_dir, figures_dir=figures_dir,
                fresh_tables=tuple(t.name for t in tables), findings=tuple(findings(results, tables, carbon)),
                settings=tuple(settings(options, carbon, results)))
    _write_html(render(page), out_html)
    return out_html


def settings(options: Options, carbon, results: Results | None = None) -> list[str]:
    """The report's settings lines: cleaning, tolerance, bootstrap, carbon inputs and, for an adaptive
    run, its stopping rule and the repetitions reached (``harness.analysis.adaptive.rule_note``)."""
    from harness.analysis.adaptive import rule_note

    out = [("Cleaning: on (training energy <= 0 J or missing, then |z| >= 3 per configuration)"
            if options.clean else "Cleaning: off (--no-clean)")
           + f"; F1 tolerance {100 * options.f1_tolerance:g} point(s); bootstrap {options.n_resamples} resamples, "
           f"seed {options.seed}; alpha {options.alpha:g}."]
    out.append("Carbon: " + (carbon.describe() if carbon is not None else
                             "not computed (pass --intensity gCO2e/kWh or a country code such as DEU; "
                             "--embodied-kg for the manufacturing share)") + ".")
    rule = rule_note(results) if results is not None else None
    if rule:
        out.append(rule)
    return out


def _by_name(tables: list[Table]) -> dict[str, Table]:
    return {t.name: t for t in tables}


def _ci_text(low, high) -> str:
    """" (95% CI a to b)", or " (no CI: too few trials)" when the bound is undefined."""
    if any(x is None or (isinstance(x, float) and math.isnan(x)) for x in (low, high)):
        return " (no CI: too few trials)"
    return f" (95% CI {_fmt(low)} to {_fmt(high)})"


def _fmt(x, digits=3) -> str:
    return "undefined" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}g}"


def findings(results: Results, tables: list[Table], carbon=None) -> list[str]:
    """Headline sentences: trials, RQ1 spread, RQ2/RQ3 correlations, the largest saving within
    the F1 tolerance per algorithm and factor, and the carbon of the run. Each one that shows
    energy says when it is estimated."""
    t = _by_name(tables)
    est = " (estimated energy)" if results.estimated else ""
    out = []
    n = len(results.trials)
    out.append(counted(n, "trial") + (f" of {results.planned_trials} planned" if results.planned_trials else "")
               + (" (INCOMPLETE RUN)" if results.incomplete else "") + f", {counted(results.trials['algorithm'].nunique(), 'algorithm')}"
               ", meter " + ", ".join(results.meters) + ".")
    per_config = results.trials.groupby(["algorithm", "sweep", "row_fraction", "feature_fraction"]).size()
    reps = int(per_config.median()) if len(per_config) else 0
    if reps < MIN_TESTABLE:
        from harness.analysis.stats import MIN_BOOTSTRAP_N, min_mannwhitney_p

        out.append(f"Only {counted(reps, 'repetition')} per configuration: no bootstrap confidence interval is "
                   f"given (they need {MIN_BOOTSTRAP_N} values a side), and no test between two configurations "
                   "can reach p < 0.05 "
                   f"(the smallest Mann-Whitney p with {reps} per side is {min_mannwhitney_p(reps, reps):.2g}).")
    if "rq1_energy" in t:
        rq1 = t["rq1_energy"].frame
        if len(rq1) >= 2 and rq1["median_train_energy_j"].min() > 0:
            lo, hi = rq1.iloc[0], rq1.iloc[-1]
            spread = hi["median_train_energy_j"] / lo["median_train_energy_j"]
            out.append(f"RQ1{est}: median training energy at 100% data spans {spread:,.0f}x "
                       f"({math.log10(spread):.1f} orders of magnitude), from {lo['algorithm']} "
                       f"({_fmt(lo['median_train_energy_j'])} {results.energy_unit}) to {hi['algorithm']} "
                       f"({_fmt(hi['median_train_energy_j'])} {results.energy_unit}).")
    for name, what in (("rq2_energy_spearman", "training energy" + est), ("rq3_f1_spearman", "F1")):
        if name in t:
            corr = t[name].frame.dropna(subset=["rho"])
            for factor, g in corr.groupby("factor", sort=False):
                out.append(f"{name[:3].upper()}: Spearman rho of {what} with {factor} ranges "
                           f"{g['rho'].min():.2f} to {g['rho'].max():.2f} over {len(g)} algorithms"
                           f" (median {g['rho'].median():.2f}).")
    if "tradeoff_best" in t:
        best = t["tradeoff_best"].frame
        tol = best["f1_tolerance"].iloc[0] if "f1_tolerance" in best and len(best) else math.nan
        for r in best.itertuples():
            if isinstance(r.fraction, float) and math.isnan(r.fraction):
                why = ("every reduced level that keeps F1 within {} point(s) costs more training energy"
                       if getattr(r, "outcome", "") == "nothing saves" else "no reduced level keeps F1 within {} point(s)")
                out.append(f"{r.algorithm}, {r.factor}: {why.format(f'{100 * tol:g}')}.")
                continue
            out.append(f"{r.algorithm}, {r.factor} at {100 * r.fraction:.0f}% (the largest saving among its "
                       f"{r.factor} levels keeping F1 within {100 * tol:g} point(s), selected after the fact, so "
                       f"likely overstated): {r.saving_pct:.1f}% of the "
                       f"training energy saved{est}{_ci_text(r.saving_ci_low_pct, r.saving_ci_high_pct)}, "
                       f"F1 {r.f1_change_pts:+.2f} points.")
    if carbon is not None and "carbon" in t:
        c = t["carbon_trials"].frame if "carbon_trials" in t else None
        if c is not None and len(c):
            total = float(c["gco2e"].sum())
            op = float(c["operational_g"].sum())
            share = (f"; {100 * op / total:.1f}% operational, {100 - 100 * op / total:.1f}% embodied"
                     if carbon.has_embodied and total > 0 else "; operational only")
            out.append(f"Carbon{est}: {_fmt(total)} gCO2e for the {len(c)} analysed trials{share} "
                       f"({carbon.describe(short=True)}).")
    return out


def default_paths(path: str | Path, out: str | None) -> tuple[Path, Path, Path]:
    """(report.html, analysis dir, figures dir) for a run directory or a CSV, as analyze and
    figures place theirs. ``out`` names the HTML file, and then the tables and figures go beside it
    (``<stem>-analysis/``, ``<stem>-figures/``): nothing is written into the run, which may be on a
    read-only location."""
    from harness.results.rundir import out_dir

    path = Path(path)
    analysis_dir, figures_dir = out_dir(path, None, "analysis"), out_dir(path, None, "figures")
    if out:
        html = Path(out)
        analysis_dir, figures_dir = html.with_name(f"{html.stem}-analysis"), html.with_name(f"{html.stem}-figures")
    elif path.is_dir():
        html = path / "report.html"
    elif path.name == "trials.csv":
        html = path.parent / "report.html"
    else:
        html = path.with_name(f"{path.stem}-report.html")
    return html, analysis_dir, figures_dir


@dataclasses.dataclass(frozen=True)
class _TuningPage:
    """A tuning run as the page reads a run (``harness.results.load.Results``): its searches are
    its trials (one row per finished search)."""

    tuning: object  # harness.analysis.tuning.TuningResults

    @property
    def trials(self):
        return self.tuning.searches

    @property
    def source(self) -> Path:
        return Path(self.tuning.source)

    @property
    def manifest(self) -> Path:
        return self.source / "manifest.json"

    @property
    def planned_trials(self):
        return self.tuning.n_planned

    @property
    def incomplete(self) -> bool:
        return self.tuning.completeness() is not None

    @property
    def meters(self) -> list[str]:
        return sorted(self.trials["meter"].astype(str).unique())

    layout = "run"

    def energy_notes(self) -> list[str]:
        return self.tuning.energy_notes()


def write_tuning_report(results, out_html: Path, analysis_dir: Path, figures_dir: Path,
                        options: Options = Options(), target_f1: float | None = None,
                        target_fraction: float | None = None) -> Path:
    """The report of a tuning run (``harness.analysis.tuning.TuningResults``): the tuning tables
    (``tuning_tables``) in ``analysis_dir``, the tuning figure (``tuning_curves.png``/``.pdf``) in
    ``figures_dir`` and ``out_html``; returns ``out_html``. Raises ResultsError when the page cannot
    be written."""
    from harness.analysis.tuning import DEFAULT_TARGET_FRACTION, tuning_tables
    from harness.output.tuning_figures import tuning_figure

    fraction = DEFAULT_TARGET_FRACTION if target_fraction is None else target_fraction
    tables, _ = tuning_tables(results, target_f1, fraction, options.n_resamples, options.seed)
    write_tables(tables, analysis_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    draw.save(tuning_figure(results), figures_dir, "tuning_curves")
    s = results.searches
    found = [f"{len(s)} searches: {', '.join(sorted(s['strategy'].unique()))} on "
             f"{', '.join(sorted(s['algorithm'].unique()))}; target: "
             + (f"validation F1 {target_f1:g}" if target_f1 is not None else
                f"{fraction:g} x the best validation F1 per algorithm, data level and repetition")]
    page = Page(results=_TuningPage(results), analysis_dir=analysis_dir, figures_dir=figures_dir,
                fresh_tables=tuple(t.name for t in tables), findings=tuple(found),
                settings=(f"bootstrap: {options.n_resamples} resamples, seed {options.seed}",))
    _write_html(render(page), out_html)
    return out_html


def _write_html(text: str, out_html: Path) -> None:
    """Write to a temporary file and rename it: a crash never leaves half a report."""
    try:
        out_html.parent.mkdir(parents=True, exist_ok=True)
        tmp = out_html.with_name(out_html.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out_html)
    except OSError as e:
        raise ResultsError(f"{out_html}: cannot write the report ({e.strerror}); pass a writable --out") from e
