"""Figures of a tactics study (any factor, ``harness.analysis.factors``), sized and checked like
the ICT4S'22 figures of ``harness.output.figures`` (7.16 in or 3.5 in wide, text >= 7 pt,
spread as interquartile ranges, log axes whose labels cannot run together):

- ``factor_curves`` / ``factor_curves_f1``: per factor, median training energy (or F1) and its IQR
  at every level, one line per algorithm; the F1 figure carries no energy label;
- ``tradeoff_tactics_<algorithm>``: median energy against median F1 (IQR bars) at every level of
  every factor, the Pareto front ringed; the front's levels are listed under the plot, not
  written beside the points (beside them they overlap: two tactics often land on one spot);
- ``factorial_<sweep>``: for a sweep in which two factors vary, a heatmap per algorithm of the
  median training-energy saving per cell, its IQR over the cell's trials and the F1 change.
"""

from __future__ import annotations

import math
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from harness.analysis import factors, stats
from harness.output.figures import (COLUMN_IN, MIN_FONT_PT, RED, WIDTH_IN, Skip, energy_label, fit_name, grid,
                                      log_scale, spread_table, title_with_notes, use_log)
from harness.results.load import Results

PANELS_PER_ROW = 4  # factor panels per row: 7.16 in / 4 = 1.79 in, room for five level labels at 7 pt
# 12 colours and markers, one pair per factor (tab10 then two of Dark2): told apart in grey print too.
COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf", "#1b9e77", "#7570b3"]
MARKERS = "o^sDv<>phX8P"

CAPTIONS = {
    "factor_curves": "Each tactic alone: median training energy per level of each factor (none: untreated), "
                     "one line per algorithm; bars: interquartile range over the trials.",
    "factor_curves_f1": "Each tactic alone: median F1 per level of each factor (none: untreated), one line per "
                        "algorithm; bars: interquartile range over the trials.",
    "tradeoff_tactics": "Median training energy against median F1 at every level of every factor for one "
                        "algorithm; bars: interquartile ranges; star: untreated; ringed and joined by the step "
                        "line: the Pareto front across tactics (lower energy, higher F1), listed under the plot.",
    "factorial": "Two-factor sweep: per cell, the median training-energy saving against the algorithm's "
                 "untreated trials (colour and first line), the interquartile range of the cell's per-trial "
                 "savings against the untreated median (second line) and the change of median F1 in points "
                 "(third line).",
}


def caption(name: str) -> str:
    """The caption of a figure this module draws, by its file name."""
    for prefix, what in (("tradeoff_tactics", "one algorithm"), ("factorial", "Two-factor sweep")):
        if name.startswith(prefix + "_"):
            named = name[len(prefix) + 1:] if prefix == "tradeoff_tactics" else f"{what} {name[len(prefix) + 1:]}"
            return CAPTIONS[prefix].replace(what, named, 1)
    return CAPTIONS.get(name, name)


def is_figure_name(name: str) -> bool:
    """True for a file name (without suffix) this module draws, for any run."""
    return name in CAPTIONS or name.startswith(("tradeoff_tactics_", "factorial_"))


def builders(results: Results, trials: pd.DataFrame) -> dict:
    """name -> function drawing it, for every figure of a tactics run (see the module docstring)."""
    out = {"factor_curves": lambda: factor_curves_figure(results, trials, "train_energy_j"),
           "factor_curves_f1": lambda: factor_curves_figure(results, trials, "f1")}
    slices = factors.factor_slices(trials)
    algorithms = sorted(set().union(*(set(df["algorithm"]) for df in slices.values()))) if slices else []
    for algorithm in algorithms:
        out[f"tradeoff_tactics_{algorithm}"] = (lambda a=algorithm: tactics_tradeoff_figure(results, trials, a))
    out.update(factorial_builders(results, trials))
    return out


def factorial_builders(results: Results, trials: pd.DataFrame) -> dict:
    cells = factors.factorial_cells(trials)
    if cells.empty:
        return {}
    return {f"factorial_{sweep}": (lambda s=sweep: factorial_heatmap(results, trials, s))
            for sweep in cells["sweep"].unique() if len(_varying(cells[cells["sweep"] == sweep])) == 2}


def _level_order(levels) -> list[str]:
    """``none`` first, then by value (bits for dtypes)."""
    return sorted(set(levels), key=lambda v: (v != factors.NONE, factors.level_bits(v), v))


# ---------------------------------------------------------------- each factor alone

def factor_curves_figure(results: Results, trials: pd.DataFrame, y: str = "train_energy_j") -> plt.Figure:
    """One panel per factor (``PANELS_PER_ROW`` to a row, shared y axis): the median of ``y``
    (``train_energy_j`` or ``f1``) per level with its IQR as bars, one line per algorithm,
    dodged sideways so bars of different algorithms do not hide each other. Energy is on a log
    axis when the medians span ``LOG_SPREAD`` or more."""
    slices = factors.factor_slices(trials)
    if not slices:
        raise Skip("no factor has two levels (the untreated reference and one more)")
    energy = y == "train_energy_j"
    algorithms = sorted(set().union(*(set(df["algorithm"]) for df in slices.values())))
    ncols = min(len(slices), PANELS_PER_ROW)
    nrows = math.ceil(len(slices) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(WIDTH_IN, 1.5 * nrows + 1.0), sharey=True,
                             layout="constrained", squeeze=False)
    colours = plt.get_cmap("tab10")
    dodge = min(0.06, 0.4 / len(algorithms))  # the algorithms of one level stay within +-0.2 of its tick
    medians = []
    for ax, (f, df) in zip(axes.flat, slices.items()):
        order = _level_order(df["level"])
        for k, algorithm in enumerate(algorithms):
            g = df[df["algorithm"] == algorithm]
            if g.empty:
                continue
            sp = spread_table(g, "level", y).set_index("level").reindex(order)
            x = np.arange(len(order)) + (k - (len(algorithms) - 1) / 2) * dodge
            ok = sp["median"].notna().to_numpy()
            med, lo, hi = (sp[c].to_numpy(dtype=float)[ok] for c in ("median", "q25", "q75"))
            ax.errorbar(x[ok], med, yerr=[med - lo, hi - med], fmt="o-", ms=2.5, lw=0.7, elinewidth=0.6,
                        capsize=0, color=colours(k % 10), label=algorithm)
            medians += list(med)
        labels = [str(v) for v in order]
        ax.set_xticks(range(len(order)), labels)
        if sum(len(v) + 1 for v in labels) > 24:  # five short levels fit a 1.79 in panel, more do not
            ax.tick_params(axis="x", labelrotation=45)
            for t in ax.get_xticklabels():
                t.set_ha("right")
                t.set_rotation_mode("anchor")
        ax.set_xlim(-0.5, len(order) - 0.5)
        ax.set_title(fit_name(f, 26))
        ax.grid(axis="y", lw=0.3, alpha=0.5)
    for ax in list(axes.flat)[len(slices):]:
        ax.set_visible(False)
    log = energy and use_log(medians, None)
    if log:
        log_scale(axes[0, 0], "y")  # shared: every panel follows
    what = energy_label(results, "training energy") + (", log scale" if log else "") if energy else "F1"
    fig.supylabel(f"median {what}")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 6), frameon=False,
               title="algorithm (points: median per level; bars: interquartile range)")
    kind = "training energy" if energy else "F1"
    fig.suptitle(title_with_notes(results, f"Each tactic alone: {kind} per level (none: untreated)", energy=energy))
    return fig


# ---------------------------------------------------------------- trade-off across tactics

def _tactic_points(trials: pd.DataFrame, algorithm: str) -> pd.DataFrame:
    """Per factor and level of ``algorithm``: median, q25 and q75 of energy and F1; the untreated
    reference once, as factor ``none``."""
    rows = []
    for f, df in factors.factor_slices(trials).items():
        g = df[df["algorithm"] == algorithm]
        for level, h in g.groupby("level", sort=False):
            rows.append({"factor": factors.NONE if level == factors.NONE else f, "level": level,
                         **{f"{k}{q}": float(h[col].quantile(p)) for k, col in (("e", "train_energy_j"), ("f", "f1"))
                            for q, p in (("", 0.5), ("25", 0.25), ("75", 0.75))}})
    pts = pd.DataFrame(rows)
    return pts.drop_duplicates(["factor", "level"]).reset_index(drop=True) if len(pts) else pts


def tactics_tradeoff_figure(results: Results, trials: pd.DataFrame, algorithm: str) -> plt.Figure:
    """One column wide: median training energy (log x when it spans ``LOG_SPREAD``) against
    median F1 of ``algorithm`` at every level of every factor, IQR bars both ways, one colour and
    marker per factor, the untreated reference as a black star, and the Pareto front across all
    tactics (lower energy, higher F1) ringed and joined by a step line. No text on the data:
    the legend and the list of the front's levels sit under the plot."""
    pts = _tactic_points(trials, algorithm)
    if pts.empty:
        raise Skip(f"{algorithm}: no trial of any single tactic")
    names = [f for f in factors.factor_slices(trials) if (pts["factor"] == f).any()]
    front = pts[stats.pareto_front(pts["e"], pts["f"])].sort_values("e")
    front_text = "Pareto front, lowest energy first: " + ", ".join(
        "untreated" if r.level == factors.NONE else f"{r.factor}={r.level}" for r in front.itertuples())
    front_lines = textwrap.wrap(front_text, 56)  # 7 pt: about 60 characters fill 3.5 in
    legend_cols = 3 if max(len(n) for n in names + ["Pareto front"]) <= 12 else 2
    legend_rows = math.ceil((len(names) + 2) / legend_cols)
    legend_in, note_in = 0.16 * legend_rows + 0.1, 0.14 * len(front_lines) + 0.08
    fig = plt.figure(figsize=(COLUMN_IN, 2.6 + legend_in + note_in + 0.45), layout="constrained")
    ax, legend_ax, note_ax = fig.subplots(3, 1, height_ratios=[2.6, legend_in, note_in])
    handles = []
    for i, f in enumerate(names):
        g = pts[pts["factor"] == f]
        handles.append(ax.errorbar(g["e"], g["f"], xerr=[g["e"] - g["e25"], g["e75"] - g["e"]],
                                   yerr=[g["f"] - g["f25"], g["f75"] - g["f"]], fmt=MARKERS[i % len(MARKERS)],
                                   ms=3.5, color=COLOURS[i % len(COLOURS)], lw=0.5, alpha=0.85, label=f))
    ref = pts[pts["factor"] == factors.NONE]
    if len(ref):
        handles.append(ax.errorbar(ref["e"], ref["f"], xerr=[ref["e"] - ref["e25"], ref["e75"] - ref["e"]],
                                   yerr=[ref["f"] - ref["f25"], ref["f75"] - ref["f"]], fmt="*", ms=8,
                                   color="black", lw=0.5, label="untreated", zorder=3))
    ax.step(front["e"], front["f"], where="post", lw=1, color=RED, zorder=0)
    handles.append(ax.plot(front["e"], front["f"], "o", ms=7, mfc="none", mec=RED, label="Pareto front")[0])
    ax.margins(x=0.05, y=0.08)
    if use_log(pts["e"], None):
        log_scale(ax, "x")
    ax.set_xlabel(energy_label(results, "median training energy"))
    ax.set_ylabel("median F1")
    ax.grid(lw=0.3, alpha=0.4)
    legend_ax.set_axis_off()
    legend_ax.legend(handles=handles, loc="center", ncols=legend_cols, frameon=False, handletextpad=0.3,
                     columnspacing=0.8, borderaxespad=0)
    note_ax.set_axis_off()
    note_ax.text(0.5, 0.5, "\n".join(front_lines), transform=note_ax.transAxes, va="center", ha="center",
                 fontsize=MIN_FONT_PT)
    title = "\n".join(textwrap.wrap(f"{algorithm}: every tactic's levels (median, IQR)", 58))
    fig.suptitle(title_with_notes(results, title))
    return fig


# ---------------------------------------------------------------- two-factor sweeps

def _varying(cells: pd.DataFrame) -> list[str]:
    """The level_<factor> columns of a sweep's cells that hold a value other than ``none``."""
    return [k for k in cells.columns if k.startswith(factors.LEVEL_PREFIX)
            and cells[k].notna().any() and (cells[k].dropna() != factors.NONE).any()]


def _saving_iqr(trials: pd.DataFrame, sweep: str, algorithm: str, label: str) -> tuple[float, float]:
    """q25 and q75 (%) of the per-trial saving 100 x (1 - trial energy / untreated median) of one cell."""
    t = factors.with_treatment(trials)
    ref = factors.untreated(t)
    ref = ref[ref["algorithm"] == algorithm]["train_energy_j"]
    cell = t[(t["sweep"] == sweep) & (t["algorithm"] == algorithm) & (t["treatment"] == label)]["train_energy_j"]
    if ref.empty or cell.empty or not ref.median() > 0:
        return math.nan, math.nan
    saving = 100 * (1 - cell / float(ref.median()))
    return float(saving.quantile(0.25)), float(saving.quantile(0.75))


def factorial_heatmap(results: Results, trials: pd.DataFrame, sweep: str) -> plt.Figure:
    """One heatmap panel per algorithm (3 to a row) of a sweep in which exactly two factors vary:
    colour and first line, the median training-energy saving (%) against the untreated trials;
    second line, the IQR of the cell's per-trial savings; third, the F1 change in points."""
    cells = factors.factorial_cells(trials)
    c = cells[cells["sweep"] == sweep]
    cols = _varying(c)
    if len(cols) != 2:
        raise Skip(f"sweep {sweep}: {len(cols)} factors vary, a heatmap needs two")
    a, b = cols
    algorithms = sorted(c["algorithm"].unique())
    rows_a = _level_order(c[a].dropna())
    cols_b = _level_order(c[b].dropna())
    per_row = min(3, len(algorithms))
    fig, axes = grid(len(algorithms), per_row=per_row, height=max(1.5, 0.45 * len(rows_a) + 0.9))
    axes = list(axes)[: len(algorithms)]
    low = min(0.0, float(np.floor(c["saving_pct"].min() / 10) * 10)) if c["saving_pct"].notna().any() else 0.0
    image = None
    for ax, algorithm in zip(axes, algorithms):
        g = c[c["algorithm"] == algorithm]
        sav = g.pivot_table(index=a, columns=b, values="saving_pct", aggfunc="first").reindex(index=rows_a, columns=cols_b)
        df1 = g.pivot_table(index=a, columns=b, values="f1_change_pts", aggfunc="first").reindex(index=rows_a, columns=cols_b)
        lab = g.pivot_table(index=a, columns=b, values="treatment", aggfunc="first").reindex(index=rows_a, columns=cols_b)
        image = ax.imshow(sav.to_numpy(dtype=float), cmap="viridis", vmin=low, vmax=100, aspect="auto")
        ax.set_xticks(range(len(cols_b)), cols_b)
        ax.set_yticks(range(len(rows_a)), rows_a)
        ax.set_xlabel(b[len(factors.LEVEL_PREFIX):])
        ax.set_ylabel(a[len(factors.LEVEL_PREFIX):])
        ax.spines[:].set_visible(False)
        for i in range(len(rows_a)):
            for j in range(len(cols_b)):
                v, d = sav.iat[i, j], df1.iat[i, j]
                if isinstance(v, float) and math.isnan(v):
                    continue
                q25, q75 = _saving_iqr(trials, sweep, algorithm, lab.iat[i, j])
                light = (v - low) / (100 - low) > 0.6  # viridis is light (yellow) at the top
                iqr = ("no IQR" if math.isnan(q25) else
                       f"{q25:.0f}\u2013{q75:.0f}" if q25 >= 0 else f"{q25:.0f} to {q75:.0f}")  # no "-5--2"
                ax.text(j, i, f"{v:.0f}%\n{iqr}\n{d:+.1f}", ha="center", va="center",
                        fontsize=MIN_FONT_PT, linespacing=1.0, color="black" if light else "white")
        ax.set_title(fit_name(algorithm, 30))
    # short: the colour bar of a one-row heatmap is under 2 in tall
    fig.colorbar(image, ax=axes, shrink=0.9, label="median energy saving (%)")
    fig.suptitle(title_with_notes(results, f"Sweep {sweep}: saving against untreated per cell (median; IQR; "
                                  "F1 change in points)"))
    return fig
