"""Subcommand ``replication``: a run's F1 per configuration against a published study's.

    python -m harness replication results/spam-faithful experiment_data.csv

For each configuration (algorithm, sweep, row fraction, feature fraction) of the run: the run's
median F1 over its repetitions, the published median and the published median's 95% bootstrap
confidence interval (percentile method, ``scipy.stats.bootstrap``), and whether the run's median
lies inside it; if not, by how many F1 points (F1 x 100) it lies outside. A configuration whose
published values are all equal (a deterministic algorithm under the ICT4S'22 code's fixed seeds)
has a zero-width interval: the run's median must then equal the published value to within
``TOLERANCE`` (the published file's values are rounded to about 6 decimals).

Energy is not compared: the ICT4S'22 file's "energy" is CodeCarbon emissions x3.6e6, not joules
(docs/explanation/replication.md), and another machine's energy would not be comparable anyway.

Writes ``replication.csv`` and ``replication.md`` into the run's ``analysis/`` directory (or
``--out``) and prints the Markdown. Only argparse at import time (``harness.cli``'s rule).
"""

from __future__ import annotations

KEY = ["algorithm", "sweep", "row_fraction", "feature_fraction"]
TOLERANCE = 5e-5  # F1; the published CSV holds about 6 significant decimals
CONFIDENCE = 0.95


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "replication", help="a run's median F1 per configuration against a published study's CI",
        description="For every configuration of RUN: its median F1, the published median F1 and that "
                    "median's 95%% bootstrap CI, and whether the run's median lies inside (else by how "
                    "many F1 points it misses). Energy is not compared (the ICT4S'22 file's energy is "
                    "CodeCarbon emissions x3.6e6, not joules).")
    p.add_argument("path", metavar="RUN", help="run directory (with trials.csv), e.g. results/spam-faithful")
    p.add_argument("published", metavar="PUBLISHED_CSV",
                   help="the ICT4S'22 experiment_data.csv (from the study's repository)")
    p.add_argument("--out", metavar="DIR", help="output directory (default: RUN/analysis/)")
    p.add_argument("--bootstrap", type=int, default=2000, metavar="N",
                   help="bootstrap resamples for the published medians' CIs (default 2000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.set_defaults(func=run_replication)


def compare_to_published(trials, published, n_resamples: int = 2000, seed: int = 0):
    """One row per configuration of ``trials`` that ``published`` also has.

    ``trials`` and ``published``: DataFrames with the ``KEY`` columns and ``f1`` (one row per trial;
    ``harness.results.load``'s layout). Returns a DataFrame with ``KEY``, ``n`` (the run's
    repetitions), ``median`` (run), ``published_n``, ``published_median``, ``ci_low``, ``ci_high``
    (95% percentile bootstrap CI of the published median, ``n_resamples`` resamples, seeded) and
    ``outside_pts``: 0 inside the CI (widened by ``TOLERANCE``), else the signed distance to the
    nearest bound in F1 points (negative: below). ``mannwhitney_p``: two-sided Mann-Whitney U test
    of the run's F1 values against the published ones (``scipy.stats.mannwhitneyu``, p from 9,999
    seeded permutations, exact when there are fewer arrangements; NaN when both samples are the same
    repeated value or either has one value), and ``holm_p`` the same p-values adjusted for the number of
    configurations tested (Holm, ``harness.analysis.stats.holm``). The CI check
    ignores the run's own sampling error, so a run drawn from the published distribution still
    misses the CI now and then (about one configuration in six for two samples of 30); the test
    takes both samples' spread into account. Configurations the published file lacks are left
    out; the caller says how many.
    """
    import numpy as np
    import pandas as pd
    from scipy.stats import PermutationMethod, bootstrap, mannwhitneyu

    from harness.analysis import stats

    pub = {k: g["f1"].to_numpy(dtype=float) for k, g in published.groupby(KEY)}
    rows = []
    for k, g in trials.groupby(KEY):
        p = pub.get(k)
        if p is None:
            continue
        if np.ptp(p) == 0 or len(p) < 2:
            low = high = float(p[0]) if np.ptp(p) == 0 else float(np.median(p))
        else:
            ci = bootstrap((p,), np.median, n_resamples=n_resamples, confidence_level=CONFIDENCE,
                           method="percentile", rng=np.random.default_rng(seed)).confidence_interval
            low, high = float(ci.low), float(ci.high)
        med = float(np.median(g["f1"]))
        if low - TOLERANCE <= med <= high + TOLERANCE:
            out = 0.0
        else:
            out = med - high if med > high else med - low
        f1 = g["f1"].to_numpy(dtype=float)
        same_value = np.ptp(p) == 0 and np.ptp(f1) == 0 and abs(f1[0] - p[0]) <= TOLERANCE
        if same_value or len(f1) < 2 or len(p) < 2:
            mw = np.nan
        else:  # a permutation p-value: the asymptotic one is far too small when most values tie
            method = PermutationMethod(n_resamples=9999, rng=np.random.default_rng(seed))
            mw = float(mannwhitneyu(f1, p, alternative="two-sided", method=method).pvalue)
        rows.append((*k, len(g), med, len(p), float(np.median(p)), low, high, 100 * out, mw))
    table = pd.DataFrame(rows, columns=[*KEY, "n", "median", "published_n", "published_median",
                                        "ci_low", "ci_high", "outside_pts", "mannwhitney_p"])
    table["holm_p"] = stats.holm(table["mannwhitney_p"])
    return table


def summary_lines(table) -> list[str]:
    """Per algorithm: configurations inside the published CI, and the range by which the others miss."""
    lines = []
    for alg, g in table.groupby("algorithm"):
        miss = g[g["outside_pts"] != 0]
        line = f"{alg}: {len(g) - len(miss)} of {len(g)} configurations inside the published median's CI"
        if len(miss):
            line += (f"; {len(miss)} outside by {miss['outside_pts'].min():+.2f} to "
                     f"{miss['outside_pts'].max():+.2f} F1 points")
        tested = g["holm_p"].notna()
        if tested.any():
            line += (f"; distributions differ (Mann-Whitney, Holm-adjusted p < 0.05) in "
                     f"{int((g.loc[tested, 'holm_p'] < 0.05).sum())} of {int(tested.sum())}")
        lines.append(line)
    return lines


def markdown(table) -> str:
    """The table as Markdown: fractions in %, F1 to 4 decimals, the miss in points."""
    head = ("| algorithm | sweep | rows | features | n | median F1 | published median (n) | "
            "published 95% CI | outside (pts) | Mann-Whitney p (Holm) |")
    out = [head, "|" + " --- |" * 10]
    for r in table.itertuples():
        ci = f"{r.ci_low:.4f}" if r.ci_low == r.ci_high else f"{r.ci_low:.4f}-{r.ci_high:.4f}"
        out.append(f"| {r.algorithm} | {r.sweep} | {r.row_fraction:.0%} | {r.feature_fraction:.0%} | {r.n} | "
                   f"{r.median:.4f} | {r.published_median:.4f} ({r.published_n}) | {ci} | "
                   f"{'inside' if r.outside_pts == 0 else f'{r.outside_pts:+.2f}'} | "
                   f"{'-' if r.mannwhitney_p != r.mannwhitney_p else f'{r.mannwhitney_p:.2g} ({r.holm_p:.2g})'} |")
    return "\n".join(out)


def run_replication(args) -> int:
    from harness.results.rundir import out_dir
    from harness.results.load import load_results, read_ict4s22
    from harness.errors import ResultsError

    if args.bootstrap < 100:  # before reading anything
        raise ResultsError(f"--bootstrap {args.bootstrap}: use at least 100 resamples")
    results = load_results(args.path)
    if results.layout != "run":
        raise ResultsError(f"{args.path}: RUN must be a run directory; the published CSV is the second argument")
    published = read_ict4s22(args.published)
    table = compare_to_published(results.trials, published, args.bootstrap, args.seed)
    if table.empty:
        raise ResultsError(f"{args.path}: no configuration of this run is in {args.published} "
                           "(algorithm, sweep, row and feature fractions must match the published design)")
    configs = results.trials.groupby(KEY).ngroups
    notes = [f"{len(table)} of {configs} configurations of {results.source.name} are in the published file"]
    if results.replication != "ict4s22":
        notes.append("this run is not in faithful mode (spec 'replication: ict4s22'): its seeds, file reading "
                     "and estimators differ from the original code's, so medians are expected to differ "
                     "(docs/explanation/replication.md, 'Differences')")
    if results.incomplete:
        notes.append(results.completeness_note())
    notes.append("energy is not compared: the published 'energy' is CodeCarbon emissions x3.6e6, not joules")
    text = "\n".join([*(f"note: {n}" for n in notes), "", *summary_lines(table), "", markdown(table), ""])
    out = out_dir(args.path, args.out, "analysis")
    try:
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / "replication.csv", index=False)
        (out / "replication.md").write_text(text, encoding="utf-8")
    except OSError as e:
        raise ResultsError(f"{out}: cannot write the replication table ({e.strerror}); pass a writable --out") from e
    print(text, end="")
    return 0
