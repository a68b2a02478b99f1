"""The tuning study's figure: best validation F1 so far against cumulative search energy
(``harness.analysis.tuning.curves``), one panel per algorithm and level."""

from __future__ import annotations

import math

from harness.analysis.tables import fraction
from harness.analysis.tuning import TuningResults, curves
from harness.errors import ResultsError


def tuning_figure(results: TuningResults):
    """Best validation F1 so far against cumulative search energy (log x), one panel per algorithm
    and level (3 to a row, 7.16 in wide); median line and interquartile band over repetitions per
    strategy. Checked like the study's figures (tests/analysis/figure_checks.py)."""
    import matplotlib.pyplot as plt

    from harness.output.figures import RC, WIDTH_IN, fit_name, log_scale

    data = curves(results)
    n = len(data)
    if n == 0:
        raise ResultsError(f"{results.source}: no evaluation with positive energy to draw")
    cols = min(3, n)
    rows = math.ceil(n / cols)
    colors = {"grid": "#4c72b0", "random": "#dd8452", "bayesian": "#55a868"}
    with plt.rc_context(RC):
        fig, axes = plt.subplots(rows, cols, figsize=(WIDTH_IN, 2.1 * rows + 1.0), squeeze=False,
                                 layout="constrained")
        for i, (ax, (key, per_strategy)) in enumerate(zip(axes.flat, data.items())):
            for strategy, (grid, med, q25, q75, k) in per_strategy.items():
                c = colors.get(strategy)
                ax.plot(grid, med, color=c, label=f"{strategy} (n={k})", lw=1.2)
                ax.fill_between(grid, q25, q75, color=c, alpha=0.2, lw=0)
            log_scale(ax, "x")  # plain labels; minor ones unlabelled (they ran together on short ranges)
            alg, sweep, rf, ff = key
            ax.set_title(f"{fit_name(alg, 26)}\nrows {fraction(rf)}, features {fraction(ff)}")
            ax.set_xlabel("search energy (J" + (", estimated" if results.estimated else "") + ")")
            if i % cols == 0:
                ax.set_ylabel("best validation F1 so far")
        for ax in list(axes.flat)[n:]:
            ax.set_visible(False)
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, [lab.split(" (")[0] for lab in labels], loc="outside lower center",
                   ncols=len(labels), frameon=False,
                   title=f"strategy (n = repetitions per line: {', '.join(sorted({lab.split('n=')[1][:-1] for lab in labels}))})")
        title = ("Tuning: best validation F1 so far against cumulative search energy (log scale; median, "
                 "IQR band over repetitions)")
        notes = results.energy_notes() + ([results.completeness()] if results.completeness() else [])
        fig.suptitle(title + ("\n" + "; ".join(notes) if notes else ""), fontsize=8)
    return fig
