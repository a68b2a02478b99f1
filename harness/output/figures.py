"""Figures of the study, PNG and PDF, sized for a two-column paper: 7.16 in wide across both
columns or 3.5 in for one, no text below 7 pt.

Each ``*_figure`` function builds one matplotlib Figure from trials and draws nothing else;
``draw_all`` saves them and writes figures/index.json (captions, skipped figures and why). Every
energy axis says when energy is estimated or net of the idle baseline, and so does every title of
a figure that shows energy (F1 figures carry no energy label); an incomplete run's titles say how
many of the planned trials they show. Spread is drawn as interquartile ranges, never medians alone.
"""

from __future__ import annotations

import math
import textwrap

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import EngFormatter, FixedLocator, FuncFormatter, LogLocator, MaxNLocator, NullFormatter
import pandas as pd
from scipy import stats as sps

from harness.analysis import stats
from harness.results.load import Results

WIDTH_IN = 7.16  # text width of a two-column paper (IEEE, ACM): a figure* spanning both columns
COLUMN_IN = 3.5  # one column of the same papers
MAX_COLUMNS = 6  # panels per row of a small-multiples figure: 7.16 in / 6 = 1.19 in each
MIN_FONT_PT = 7  # smallest text in any figure (IEEE and ACM ask for >= 7-8 pt at print size)
LOG_SPREAD = 100  # log scale when the largest median is this many times the smallest (RQ1)
LOG_INCHES_PER_DECADE = 1.0  # room for labels at 1, 2, 5 (log10 2 = 0.3 decade apart) at 7 pt
QQ_MIN_TRIALS = 5  # fewest trials per configuration for a QQ plot to say anything (see qq_skip_reason)
RC = {"font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "xtick.labelsize": MIN_FONT_PT,
      "ytick.labelsize": MIN_FONT_PT, "legend.fontsize": MIN_FONT_PT, "figure.titlesize": 8, "figure.labelsize": 8,
      "figure.dpi": 100, "savefig.dpi": 200,
      "axes.spines.top": False, "axes.spines.right": False, "pdf.fonttype": 42}
BLUE, ORANGE, RED = "#4c72b0", "#dd8452", "#c44e52"

# What each figure shows and is computed from, for the report and figures/index.json.
CAPTIONS = {
    "rq1_energy": "RQ1: median training energy per algorithm at 100% rows and features; bars: "
                  "interquartile range over the trials.",
    "rq2_energy": "RQ2: training energy against training rows (rows sweep) and features (features "
                  "sweep); points: median per level, bars: interquartile range, line: linear fit "
                  "of the medians; ρ: Spearman rank correlation over all trials.",
    "rq3_f1": "RQ3: F1 against training rows and features; points: median-energy trial per level "
              "(the one RQ3's Spearman uses), grey bars: interquartile range of F1 over all the "
              "level's trials, line: linear fit; ρ: Spearman rank correlation.",
    "qq_energy": "Normal QQ plot of training energy standardised within each configuration.",
    "qq_f1": "Normal QQ plot of F1 standardised within each configuration.",
    "tradeoff": "Trade-off: median training energy against median F1 per configuration, bars: "
                "interquartile ranges; colour: the level of the reduced factor; red step line: "
                "Pareto front (lower energy, higher F1).",
    "carbon": "Carbon per trial at 100% rows and features: operational (energy x grid intensity x "
              "PUE) and embodied (manufacturing footprint x trial duration / service life); "
              "points: medians, bars: interquartile range.",
}


F1_ONLY = ("rq3_f1", "qq_f1")  # figures without energy: no energy label on them


class Skip(Exception):
    """A figure that would say nothing with these results; the message says why (one line)."""


def energy_label(results: Results, what: str = "training energy") -> str:
    """``what (J)``, with "estimated" and "net of idle" inside the parentheses when they apply;
    the published ICT4S'22 file's unit is its scaled emissions, not J."""
    notes = [results.energy_unit]
    if results.estimated:
        notes.append("estimated")
    if results.net:
        notes.append("net of idle")
    return f"{what} ({', '.join(notes)})"


def stacked(label: str, max_chars: int = 24) -> str:
    """``label`` with its parenthesised unit on a line of its own when it is longer than
    ``max_chars``: "energy (kgCO2e x3.6e6, not J)" would outgrow a short panel's y axis."""
    return label.replace(" (", "\n(", 1) if len(label) > max_chars else label


NOTE_CHARS = 56  # a title's note line at figure.titlesize 8 pt fits one column (3.5 in) at this length


def title_with_notes(results: Results, title: str, energy: bool = True) -> str:
    """The title, then the energy notes (only on figures that show energy) and, for a run that
    has not finished, how many of its planned trials it holds: one note per line, wrapped at
    ``NOTE_CHARS`` so that the longest (the published ICT4S'22 file's unit) stays on the canvas
    of a one-column figure."""
    notes = list(results.energy_notes()) if energy else []
    if results.incomplete:
        notes.insert(0, results.completeness_note().upper())
    lines = [line for note in notes for line in textwrap.wrap(note, NOTE_CHARS, break_long_words=False)]
    return "\n".join([title] + lines)


def fit_name(name: str, max_chars: int) -> str:
    """``name`` broken after underscores (or hard) into lines of at most ``max_chars``, so a
    panel title is never wider than its panel."""
    if len(name) <= max_chars:
        return name
    lines, line = [], ""
    for part in (p + "_" for p in name.split("_")):
        while len(part) > max_chars:
            if line:
                lines.append(line)
                line = ""
            lines.append(part[:max_chars])
            part = part[max_chars:]
        if len(line) + len(part) > max_chars and line:
            lines.append(line)
            line = ""
        line += part
    lines.append(line)
    return "\n".join(lines).rstrip("_")


def spread_table(df: pd.DataFrame, by, y: str) -> pd.DataFrame:
    """Per group of ``by``: median, q25 and q75 of ``y``."""
    g = df.groupby(by, sort=True)[y]
    return pd.DataFrame({"median": g.median(), "q25": g.quantile(0.25),
                         "q75": g.quantile(0.75)}).reset_index()


def errorbar(ax, x, med, lo, hi, **kw):
    """Median with an asymmetric bar from ``lo`` to ``hi`` (the IQR)."""
    med, lo, hi = (np.asarray(v, dtype=float) for v in (med, lo, hi))
    return ax.errorbar(x, med, yerr=[med - lo, hi - med], fmt="o", ms=3.5, lw=0.8, capsize=2, **kw)


def use_log(values, log: bool | None) -> bool:
    """``log`` if given; else True when the positive values span ``LOG_SPREAD`` or more."""
    if log is not None:
        return log
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    return len(v) > 1 and v.max() / v.min() >= LOG_SPREAD


def log_scale(ax, which: str = "y") -> None:
    """Put ``ax``'s ``which`` ("x" or "y") axis on a log scale whose labels cannot run together,
    written plainly (0.05, 2, 300) rather than as 10^x, minor ticks unlabelled: under one decade,
    at most 4 evenly stepped labels; at 1, 2 and 5 per decade when the axis has the room
    (``LOG_INCHES_PER_DECADE``); else at powers of ten. Call it after the data are drawn.
    (Matplotlib's default labels minor ticks on short ranges, and those collide.)"""
    getattr(ax, f"set_{which}scale")("log")
    lo, hi = sorted(getattr(ax, f"get_{which}lim")())
    decades = math.log10(hi / lo) if lo > 0 and hi > 0 else 99
    box = ax.get_position()
    inches = box.width * ax.figure.get_figwidth() if which == "x" else box.height * ax.figure.get_figheight()
    axis = getattr(ax, f"{which}axis")
    if decades < 1:
        axis.set_major_locator(MaxNLocator(nbins=3, steps=[1, 2, 2.5, 5, 10]))
    elif inches / decades >= LOG_INCHES_PER_DECADE * (1.0 if which == "x" else 0.6):  # y labels sit one above another  # LogLocator(subs=(1, 2, 5)) thins to decades: placed here
        ticks = [m * 10.0 ** k for k in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
                 for m in (1, 2, 5)]
        axis.set_major_locator(FixedLocator([v for v in ticks if lo <= v <= hi]))
    else:
        # a label such as 0.0001 is 0.3 in wide at 7 pt (x: one per 0.45 in) and 0.1 in tall (y: one per 0.25 in)
        per_label = 0.45 if which == "x" else 0.25
        axis.set_major_locator(LogLocator(base=10, numticks=max(2, min(6, int(inches / per_label)))))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


# ---------------------------------------------------------------- RQ1

def rq1_figure(results: Results, trials: pd.DataFrame, log: bool | None = None) -> plt.Figure:
    """Median training energy per algorithm at full data with its IQR, one column wide; log
    scale when the medians span ``LOG_SPREAD`` or more (or as ``log`` says)."""
    table = stats.rq1(trials)
    full = stats.full_data(trials)
    spread = spread_table(full, "algorithm", "train_energy_j").set_index("algorithm").loc[table["algorithm"]]
    width = COLUMN_IN if len(table) <= 8 else WIDTH_IN
    title = title_with_notes(results, "RQ1: training energy at 100% data\n(median, IQR)")
    # each note line beyond the estimate's one takes ~0.15 in from the axes: give back a bit more,
    # so that the axes stays as tall as a two-line unit label on its y axis
    height = 2.8 + max(title.count("\n") - 2, 0) * 0.25
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    x = np.arange(len(table))
    errorbar(ax, x, spread["median"], spread["q25"], spread["q75"], color=BLUE)
    ax.set_xticks(x, table["algorithm"], rotation=30, ha="right", rotation_mode="anchor")
    ax.set_xlim(-0.6, len(table) - 0.4)
    ax.set_ylabel(stacked(energy_label(results, "training energy"), 40))
    if use_log(table["median_train_energy_j"], log):
        log_scale(ax, "y")
        ax.set_ylabel(stacked(energy_label(results, "training energy") + ", log scale", 40))
    ax.grid(axis="y", lw=0.3, alpha=0.5)
    # on the figure, not the axes: an axes title is centred on the axes and its long note lines
    # ran off the canvas's left edge past the y label
    fig.suptitle(title)
    return fig


# ---------------------------------------------------------------- RQ2 and RQ3 small multiples

# The swept size in words, not its column name (n_train, n_features)
AXIS_WORDS = {"rows": "training rows", "features": "features used"}

def _small_multiples(results: Results, slices: dict[str, pd.DataFrame], corr: pd.DataFrame, y: str,
                     ylabel: str, title: str, spread: dict[str, pd.DataFrame] | None = None) -> plt.Figure:
    """Per algorithm (columns) and sweep (rows of panels): ``y`` of ``slices`` against the
    swept size, median per level and a linear fit. The interquartile range drawn is that of
    ``spread`` (all trials; RQ3 passes them while its points are one trial per level), or of
    ``slices`` themselves when ``spread`` is None."""
    algorithms = sorted(set().union(*(set(df["algorithm"]) for df in slices.values())))
    if not algorithms:
        raise Skip("no sweep varies rows or features (RQ2/RQ3 need two levels of one fraction)")
    ncols = min(len(algorithms), MAX_COLUMNS)
    blocks = math.ceil(len(algorithms) / ncols)
    fig, axes = plt.subplots(2 * blocks, ncols, figsize=(WIDTH_IN, 1.75 * 2 * blocks + 0.7),
                             layout="constrained", squeeze=False)
    for i, algorithm in enumerate(algorithms):
        block, col = divmod(i, ncols)
        for r, factor in enumerate(("rows", "features")):
            ax = axes[2 * block + r][col]
            x = stats.FACTORS[factor][0]
            df = slices[factor]
            df = df[df["algorithm"] == algorithm]
            hit = corr[(corr["algorithm"] == algorithm) & (corr["factor"] == factor)]
            rho = hit["rho"].iloc[0] if len(hit) else math.nan
            # rho in the panel title: above the data, so it can never cover a point
            rho_text = "ρ undefined" if math.isnan(rho) else f"ρ = {rho:.2f}"
            ax.set_title(f"{fit_name(algorithm, 18)}\n{rho_text}" if r == 0 else rho_text, fontsize=MIN_FONT_PT)
            if col == 0:
                ax.set_ylabel(f"{factor} sweep\n{ylabel}")
            ax.set_xlabel(AXIS_WORDS[factor], fontsize=MIN_FONT_PT)  # short: 6 panels share 7.16 in
            if df.empty:
                ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
                continue
            med = spread_table(df, x, y)
            if spread is None:
                errorbar(ax, med[x], med["median"], med["q25"], med["q75"], color=BLUE)
            else:  # grey IQR of every trial of the level behind the one trial the statistic uses
                s_df = spread[factor]
                iqr = spread_table(s_df[s_df["algorithm"] == algorithm], x, y)
                ax.vlines(iqr[x], iqr["q25"], iqr["q75"], color="0.6", lw=2.5, zorder=1)
                ax.plot(med[x], med["median"], "o", ms=3.5, color=BLUE, zorder=2)
            if len(med) >= 2 and np.ptp(med[x]) > 0:
                slope, icept = np.polyfit(med[x], med["median"], 1)
                xs = np.array([med[x].min(), med[x].max()])
                ax.plot(xs, slope * xs + icept, "-", lw=1, color=ORANGE)
            ax.xaxis.set_major_formatter(EngFormatter(sep=""))  # 2k, not 2 with a "1e3" offset
            ax.xaxis.set_major_locator(MaxNLocator(3))
            ax.yaxis.set_major_locator(MaxNLocator(4))
    for i in range(len(algorithms), blocks * ncols):  # empty panels of the last block
        block, col = divmod(i, ncols)
        axes[2 * block][col].set_visible(False)
        axes[2 * block + 1][col].set_visible(False)
    fig.suptitle(title)
    return fig


def rq2_figure(results: Results, trials: pd.DataFrame) -> plt.Figure:
    return _small_multiples(results, stats.one_factor_slices(trials), stats.rq2(trials),
                            "train_energy_j", stacked(energy_label(results, "energy")),
                            title_with_notes(results, "RQ2: training energy against rows and features "
                                   "(median per level, IQR, linear fit; ρ: Spearman, all trials)"))


def rq3_figure(results: Results, trials: pd.DataFrame) -> plt.Figure:
    return _small_multiples(results, stats.representative_slices(trials), stats.rq3(trials),
                            "f1", "F1",
                            title_with_notes(results, "RQ3: F1 against rows and features (median-energy "
                                             "trial per level, linear fit; grey: IQR of all trials; "
                                             "ρ: Spearman)", energy=False),
                            spread=stats.one_factor_slices(trials))


# ---------------------------------------------------------------- QQ plots

def grid(n: int, per_row: int = 4, height: float = 1.9):
    ncols = min(n, per_row)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(WIDTH_IN, height * nrows + 0.6),
                             layout="constrained", squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat


def qq_skip_reason(trials: pd.DataFrame) -> str:
    """Why a QQ plot of these trials would say nothing, or "" when it can be drawn.

    Values are standardised within their configuration, so with n trials per configuration
    every z lies within +-(n - 1) / sqrt(n) and takes at most n values: with 2 trials every z is
    +-0.71, whatever the distribution. Below ``QQ_MIN_TRIALS`` (median over configurations) the
    plot is skipped.
    """
    n = trials.groupby(stats.config_columns(trials)).size()
    median = float(n.median()) if len(n) else 0.0
    if median < 2:
        return (f"{median:g} trial per configuration (median): a value cannot be standardised within its "
                f"configuration; a QQ plot needs at least {QQ_MIN_TRIALS} repetitions")
    if median < QQ_MIN_TRIALS:
        return (f"{median:g} {'trial' if median == 1 else 'trials'} per configuration (median); a QQ plot needs at least "
                f"{QQ_MIN_TRIALS}: standardised within a configuration of {median:g} trials every value lies "
                f"within +-{(median - 1) / math.sqrt(median) if median >= 1 else 0:.2f}, whatever their distribution")
    return ""


def qq_figure(results: Results, trials: pd.DataFrame, column: str, label: str,
              energy: bool = True) -> plt.Figure:
    """Per algorithm, the values standardised within their configuration (z) against normal
    quantiles; configurations of identical values are left out."""
    algorithms = sorted(trials["algorithm"].unique())
    fig, axes = grid(len(algorithms))
    for ax, algorithm in zip(axes, algorithms):
        df = trials[trials["algorithm"] == algorithm]
        z = df.groupby(stats.config_columns(df))[column].transform(
            # np.ptp, not std: the mean of identical floats can be off by 1e-16, and a std of 2e-16
            # would turn rounding noise into z = +-1 bands
            lambda s: (s - s.mean()) / s.std(ddof=1) if len(s) > 1 and np.ptp(s.to_numpy()) > 0 else np.nan)
        z = z.dropna().to_numpy()
        ax.set_title(fit_name(algorithm, 24))
        if len(z) < 3:
            ax.text(0.5, 0.5, "identical values in every\nconfiguration: nothing to plot", ha="center",
                    va="center", transform=ax.transAxes, fontsize=MIN_FONT_PT)
            ax.set_axis_off()
            continue
        (theo, obs), _ = sps.probplot(z, dist="norm")
        ax.plot(theo, obs, ".", ms=2, color=BLUE)
        lim = [min(theo.min(), obs.min()), max(theo.max(), obs.max())]
        ax.plot(lim, lim, "-", lw=0.8, color=ORANGE)
        ax.set_xlabel("normal quantile")
        ax.set_ylabel(f"z of {label}")
    fig.suptitle(title_with_notes(results, f"QQ plots: {label} standardised per configuration", energy=energy))
    return fig


# ---------------------------------------------------------------- trade-off

def tradeoff_figure(results: Results, trials: pd.DataFrame) -> plt.Figure:
    """Per algorithm, median training energy against median F1 of every configuration with
    their IQRs, rows sweep (circles) and features sweep (triangles) coloured by level, and the
    Pareto front (lower energy, higher F1) as a step line. No text labels on the data: the level
    is the colour (legend), so nothing can cover a point. Energy on a log axis when a panel's
    medians span ``LOG_SPREAD`` or more."""
    slices = stats.one_factor_slices(trials)
    points = []
    for factor, df in slices.items():
        frac = stats.FACTORS[factor][1]
        if len(df):
            e = spread_table(df, ["algorithm", frac], "train_energy_j")
            f = spread_table(df, ["algorithm", frac], "f1")
            med = pd.DataFrame({"algorithm": e["algorithm"], "level": e[frac],
                                "energy": e["median"], "e25": e["q25"], "e75": e["q75"],
                                "f1": f["median"], "f25": f["q25"], "f75": f["q75"]})
            points.append(med.assign(factor=factor))
    if not points:
        full = stats.full_data(trials)
        e = spread_table(full, "algorithm", "train_energy_j")
        f = spread_table(full, "algorithm", "f1")
        points.append(pd.DataFrame({"algorithm": e["algorithm"], "level": 1.0, "energy": e["median"],
                                    "e25": e["q25"], "e75": e["q75"], "f1": f["median"],
                                    "f25": f["q25"], "f75": f["q75"], "factor": "full"}))
    pts = pd.concat(points, ignore_index=True)
    algorithms = sorted(pts["algorithm"].unique())
    levels = sorted(pts["level"].unique())
    cmap = matplotlib.colormaps["viridis"]
    colour = {lv: cmap(0.9 * i / max(1, len(levels) - 1)) for i, lv in enumerate(levels)}
    fig, axes = grid(len(algorithms) + 1, height=2.0)  # the extra panel holds the legend
    axes = list(axes)
    markers = {"rows": "o", "features": "^", "full": "s"}
    for ax, algorithm in zip(axes, algorithms):
        p = pts[pts["algorithm"] == algorithm].reset_index(drop=True)
        for r in p.itertuples():
            ax.errorbar(r.energy, r.f1, xerr=[[r.energy - r.e25], [r.e75 - r.energy]],
                        yerr=[[r.f1 - r.f25], [r.f75 - r.f1]], fmt=markers[r.factor], ms=4,
                        color=colour[r.level], lw=0.6, alpha=0.9)
        front = stats.pareto_front(p["energy"], p["f1"])
        f = p[front].sort_values("energy")
        ax.step(f["energy"], f["f1"], where="post", lw=1, color=RED, zorder=0)
        if use_log(p["energy"], None):
            log_scale(ax, "x")
        else:
            ax.xaxis.set_major_locator(MaxNLocator(4))
            # plain numbers: SI prefixes ("400m") under a "(J)" label read as another unit
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_major_locator(MaxNLocator(4))
        ax.margins(x=0.08, y=0.1)
        ax.set_title(fit_name(algorithm, 24))
        ax.set_ylabel("median F1")
    handles = [plt.Line2D([], [], ls="", marker=markers[k], color="0.3", label=f"{k} sweep")
               for k in markers if k in set(pts["factor"])]
    handles.append(plt.Line2D([], [], color=RED, label="Pareto front"))
    handles += [plt.Line2D([], [], ls="", marker="s", color=colour[lv], label=f"{100 * lv:.0f}%")
                for lv in levels]
    ncols = math.ceil(len(handles) / 7)  # 7 entries fit the height of a panel at 7 pt
    legend_ax = axes[len(algorithms)]  # a panel of its own: the legend cannot cover data there
    legend_ax.set_axis_off()
    legend_ax.legend(handles=handles, loc="center", frameon=False, ncols=ncols, columnspacing=0.8,
                     handletextpad=0.3)
    fig.supxlabel(energy_label(results, "median training energy"))
    fig.suptitle(title_with_notes(results, "Trade-off: training energy against F1 per configuration "
                        "(median, IQR); colour: level of the reduced factor"))
    return fig


# ---------------------------------------------------------------- carbon

def carbon_figure(results: Results, trials: pd.DataFrame, inputs) -> plt.Figure:
    """Per algorithm at full data: operational and (when a manufacturing footprint is given)
    embodied gCO2e per trial, median and IQR, on a log axis when they span ``LOG_SPREAD``. The
    title names every input (``inputs``: a ``harness.data.carbon.CarbonInputs``)."""
    from harness.data import carbon

    full = stats.full_data(trials)
    if full.empty:
        raise Skip("no trial at 100% rows and features to compare algorithms at")
    c = carbon.trial_carbon(full, inputs)
    parts = [("operational_g", "operational", BLUE)]
    if inputs.has_embodied:
        parts.append(("embodied_g", "embodied", ORANGE))
    algorithms = sorted(c["algorithm"].unique())
    fig, ax = plt.subplots(figsize=(COLUMN_IN if len(algorithms) <= 8 else WIDTH_IN, 3.4),
                           layout="constrained")
    x = np.arange(len(algorithms))
    offset = 0.15 if len(parts) == 2 else 0.0
    spreads = [spread_table(c, "algorithm", col).set_index("algorithm").loc[algorithms] for col, _, _ in parts]
    # mgCO2e when every median is under a gram (as the carbon table): ticks 0.5, 1, 2, not 5e-04
    unit, scale = ("mgCO2e", 1000.0) if max(float(sp["median"].max()) for sp in spreads) < 1 else ("gCO2e", 1.0)
    values = []
    for k, ((col, label, colour), sp) in enumerate(zip(parts, spreads)):
        sp = sp[["median", "q25", "q75"]] * scale
        values += list(sp["median"])
        errorbar(ax, x + (k - (len(parts) - 1) / 2) * 2 * offset, sp["median"], sp["q25"], sp["q75"],
                  color=colour, label=label)
    ax.set_xticks(x, algorithms, rotation=30, ha="right", rotation_mode="anchor")
    ax.set_xlim(-0.6, len(algorithms) - 0.4)
    ax.set_ylabel(f"{unit} per trial" + (" (estimated)" if results.estimated else ""))
    if use_log(values, None):
        log_scale(ax, "y")
    # above the plot, under the title: inside, it could cover a bar
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=len(parts), frameon=False, borderaxespad=0.2)
    ax.grid(axis="y", lw=0.3, alpha=0.5)
    inputs_text = textwrap.fill(inputs.describe(short=True), 62)
    fig.suptitle(title_with_notes(results, "Carbon per trial at 100% data (median, IQR)") + "\n" + inputs_text,
                 fontsize=MIN_FONT_PT)
    return fig
