"""Figures of the study, PNG and PDF, sized for a two-column paper (7.16 in wide, 7-8 pt text).

Each ``*_figure`` function builds one matplotlib Figure from trials and draws nothing else;
``draw_all`` saves them. Every energy axis says when energy is estimated or net of the idle
baseline, and so does every figure title.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display here or in CI; must precede pyplot

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import EngFormatter, MaxNLocator  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import stats as sps  # noqa: E402

from harness.analysis import stats  # noqa: E402
from harness.analysis.load import Results  # noqa: E402
from harness.errors import ResultsError  # noqa: E402

WIDTH_IN = 7.16  # text width of a two-column paper (IEEE, ACM)
PANEL_IN = 1.35  # smallest readable panel width
RC = {"font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "xtick.labelsize": 7,
      "ytick.labelsize": 7, "legend.fontsize": 7, "figure.dpi": 100, "savefig.dpi": 200,
      "axes.spines.top": False, "axes.spines.right": False, "pdf.fonttype": 42}
FACTOR_LABEL = {"rows": "training rows (n_train)", "features": "features (n_features)"}


def energy_label(results: Results, what: str = "training energy") -> str:
    """``what (J)``, with "estimated" and "net of idle" inside the parentheses when they apply."""
    notes = ["J"]
    if results.estimated:
        notes.append("estimated")
    if results.net:
        notes.append("net of idle")
    return f"{what} ({', '.join(notes)})"


def _title(results: Results, title: str) -> str:
    notes = results.energy_notes()
    return title + ("\n" + "; ".join(notes) if notes else "")


def _width(n_panels: int) -> float:
    return max(WIDTH_IN, PANEL_IN * n_panels)


# ---------------------------------------------------------------- RQ1

def rq1_figure(results: Results, trials: pd.DataFrame, log: bool = False) -> plt.Figure:
    table = stats.rq1(trials)
    fig, ax = plt.subplots(figsize=(WIDTH_IN / 2 + 0.4 * max(0, len(table) - 4), 2.6),
                           layout="constrained")
    bars = ax.bar(table["algorithm"], table["median_train_energy_j"], color="#4c72b0")
    ax.bar_label(bars, labels=[f"{v:.3g}" for v in table["median_train_energy_j"]], fontsize=7,
                 padding=1)
    ax.set_ylabel(energy_label(results, "median training energy"))
    if log:
        ax.set_yscale("log")
    ax.margins(y=0.15)
    ax.tick_params(axis="x", rotation=30)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    ax.set_title(_title(results, "RQ1: training energy at 100% data"))
    return fig


# ---------------------------------------------------------------- RQ2 and RQ3 small multiples

def _medians(df: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    return df.groupby(x, sort=True)[y].median().reset_index()


def _small_multiples(results: Results, slices: dict[str, pd.DataFrame], corr: pd.DataFrame, y: str,
                     ylabel: str, title: str) -> plt.Figure:
    algorithms = sorted(set().union(*(set(df["algorithm"]) for df in slices.values())))
    if not algorithms:
        raise ResultsError(f"{results.source}: no sweep varies rows or features; RQ2/RQ3 figures "
                           "need at least two levels of one fraction")
    fig, axes = plt.subplots(2, len(algorithms), figsize=(_width(len(algorithms)), 3.6),
                             layout="constrained", squeeze=False)
    for col, algorithm in enumerate(algorithms):
        for row, factor in enumerate(("rows", "features")):
            ax = axes[row][col]
            x = stats.FACTORS[factor][0]
            df = slices[factor]
            df = df[df["algorithm"] == algorithm]
            if row == 0:
                ax.set_title(algorithm)
            if col == 0:
                ax.set_ylabel(f"{factor} sweep\n{ylabel}")
            if col == 0:  # one label per row: repeated labels read as titles of the row below
                ax.set_xlabel(FACTOR_LABEL[factor])
            if df.empty:
                ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
                continue
            med = _medians(df, x, y)
            ax.plot(med[x], med[y], "o", ms=3.5, color="#4c72b0")
            if len(med) >= 2 and np.ptp(med[x]) > 0:
                slope, icept = np.polyfit(med[x], med[y], 1)
                xs = np.array([med[x].min(), med[x].max()])
                ax.plot(xs, slope * xs + icept, "-", lw=1, color="#dd8452")
            hit = corr[(corr["algorithm"] == algorithm) & (corr["factor"] == factor)]
            rho = hit["rho"].iloc[0] if len(hit) else math.nan
            ax.text(0.03, 0.97, "rho undefined" if math.isnan(rho) else f"rho={rho:.2f}",
                    transform=ax.transAxes, va="top", fontsize=7)
            ax.xaxis.set_major_formatter(EngFormatter(sep=""))  # 2k, not 2 with a "1e3" offset
            ax.xaxis.set_major_locator(MaxNLocator(4))
    fig.suptitle(_title(results, title))
    return fig


def rq2_figure(results: Results, trials: pd.DataFrame) -> plt.Figure:
    return _small_multiples(results, stats.one_factor_slices(trials), stats.rq2(trials),
                            "train_energy_j", energy_label(results, "energy"),
                            "RQ2: training energy against rows (top) and features (bottom)\n"
                            "median per level, linear fit; rho: Spearman over all trials")


def rq3_figure(results: Results, trials: pd.DataFrame) -> plt.Figure:
    return _small_multiples(results, stats.representative_slices(trials), stats.rq3(trials),
                            "f1", "F1",
                            "RQ3: F1 against rows (top) and features (bottom)\n"
                            "median-energy trial per level, linear fit; rho: Spearman")


# ---------------------------------------------------------------- QQ plots

def _grid(n: int, per_row: int = 4, height: float = 1.9):
    ncols = min(n, per_row)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(WIDTH_IN, height * nrows + 0.5),
                             layout="constrained", squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat


def qq_figure(results: Results, trials: pd.DataFrame, column: str, label: str) -> plt.Figure:
    """Per algorithm, the values standardised within their configuration (z) against normal
    quantiles; configurations of identical values are left out."""
    algorithms = sorted(trials["algorithm"].unique())
    fig, axes = _grid(len(algorithms))
    for ax, algorithm in zip(axes, algorithms):
        df = trials[trials["algorithm"] == algorithm]
        z = df.groupby(stats.config_columns(df))[column].transform(
            # np.ptp, not std: the mean of identical floats can be off by 1e-16, and a std of 2e-16
            # would turn rounding noise into z = +-1 bands
            lambda s: (s - s.mean()) / s.std(ddof=1) if len(s) > 1 and np.ptp(s.to_numpy()) > 0 else np.nan)
        z = z.dropna().to_numpy()
        ax.set_title(algorithm)
        if len(z) < 3:
            ax.text(0.5, 0.5, "identical values in every\nconfiguration: nothing to plot", ha="center",
                    va="center", transform=ax.transAxes, fontsize=7)
            ax.set_axis_off()
            continue
        (theo, obs), _ = sps.probplot(z, dist="norm")
        ax.plot(theo, obs, ".", ms=2, color="#4c72b0")
        lim = [min(theo.min(), obs.min()), max(theo.max(), obs.max())]
        ax.plot(lim, lim, "-", lw=0.8, color="#dd8452")
        ax.set_xlabel("normal quantile")
        ax.set_ylabel(f"z of {label}")
    fig.suptitle(_title(results, f"QQ plots: {label} standardised per configuration"))
    return fig


# ---------------------------------------------------------------- trade-off

def tradeoff_figure(results: Results, trials: pd.DataFrame) -> plt.Figure:
    """Per algorithm, median training energy against median F1 of every configuration, rows
    sweep (circles) and features sweep (triangles), with the Pareto front (lower energy, higher
    F1) as a step line through ringed points."""
    slices = stats.one_factor_slices(trials)
    points = []
    for factor, df in slices.items():
        frac = stats.FACTORS[factor][1]
        if len(df):
            med = df.groupby(["algorithm", frac]).agg(energy=("train_energy_j", "median"),
                                                      f1=("f1", "median")).reset_index()
            points.append(med.assign(factor=factor, level=med[frac]).drop(columns=frac))
    if not points:
        full = stats.full_data(trials)
        points.append(full.groupby("algorithm").agg(energy=("train_energy_j", "median"),
                                                    f1=("f1", "median")).reset_index()
                      .assign(factor="full", level=1.0))
    pts = pd.concat(points, ignore_index=True)
    algorithms = sorted(pts["algorithm"].unique())
    fig, axes = _grid(len(algorithms), height=2.0)
    markers = {"rows": "o", "features": "^", "full": "s"}
    for ax, algorithm in zip(axes, algorithms):
        p = pts[pts["algorithm"] == algorithm].reset_index(drop=True)
        front = stats.pareto_front(p["energy"], p["f1"])
        for factor, g in p.groupby("factor"):
            ax.plot(g["energy"], g["f1"], markers[factor], ms=3.5, alpha=0.8, label=factor,
                    color="#4c72b0" if factor == "rows" else "#55a868")
        f = p[front].sort_values("energy")
        ax.step(f["energy"], f["f1"], where="post", lw=1, color="#c44e52", label="Pareto front")
        ax.plot(f["energy"], f["f1"], "o", ms=6, mfc="none", mec="#c44e52")
        for _, r in f.iterrows():  # r10% = 10% of the rows, f10% = 10% of the features
            tag = {"rows": "r", "features": "f"}.get(r["factor"], "")
            ax.annotate(f"{tag}{100 * r['level']:.0f}%", (r["energy"], r["f1"]), fontsize=6,
                        xytext=(3, -7), textcoords="offset points")
        ax.margins(x=0.08, y=0.12)  # room for the labels of points at the edges
        ax.set_title(algorithm)
        ax.set_ylabel("median F1")
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 3))
    axes[0].legend(loc="lower right", frameon=False)
    fig.supxlabel(energy_label(results, "median training energy"), fontsize=8)
    fig.suptitle(_title(results, "Trade-off: energy against F1 per configuration; ringed: Pareto front\n(lower energy, higher F1); r10% = 10% of rows, f10% = 10% of features"))
    return fig


# ---------------------------------------------------------------- all

def draw_all(results: Results, out_dir: Path, clean: bool = True, log: bool = False) -> list[Path]:
    """Draw every figure into ``out_dir`` as PNG and PDF; returns the paths written."""
    trials, _ = stats.analysed(results.trials, clean)
    if trials.empty:
        raise ResultsError(f"{results.source}: no trial left after cleaning; use --no-clean")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ResultsError(f"{out_dir}: cannot create the output directory ({e.strerror}); "
                           "pass a writable --out") from e
    builders = {
        "rq1_energy": lambda: rq1_figure(results, trials, log),
        "rq2_energy": lambda: rq2_figure(results, trials),
        "rq3_f1": lambda: rq3_figure(results, trials),
        "qq_energy": lambda: qq_figure(results, trials, "train_energy_j",
                                       "training energy"),
        "qq_f1": lambda: qq_figure(results, trials, "f1", "F1"),
        "tradeoff": lambda: tradeoff_figure(results, trials),
    }
    from harness.analysis import factors

    if not factors.is_legacy(trials):  # tactics: per-factor curves replace the rows/features ones
        for name in ("rq2_energy", "rq3_f1", "tradeoff"):
            builders.pop(name)
        builders["factor_curves"] = lambda: factor_curves_figure(results, trials)
    written = []
    with plt.rc_context(RC):
        extra = {} if factors.is_legacy(trials) else tactics_tradeoff_figures(results, trials)
        extra.update(factorial_heatmaps(results, trials))
        for name, fig in list(builders.items()) + list(extra.items()):
            fig = fig() if callable(fig) else fig
            try:
                for suffix in (".png", ".pdf"):
                    path = out_dir / f"{name}{suffix}"
                    fig.savefig(path)
                    written.append(path)
            finally:
                plt.close(fig)
    return written


# ---------------------------------------------------------------- tactics (any factor)

def factor_curves_figure(results: Results, trials: pd.DataFrame) -> plt.Figure:
    """Per factor (rows of panels): median training energy and median F1 against the level, one
    line per algorithm; the untreated level ``none`` first."""
    from harness.analysis import factors

    slices = factors.factor_slices(trials)
    fig, axes = plt.subplots(max(1, len(slices)), 2, figsize=(WIDTH_IN, 1.6 * max(1, len(slices))),
                             layout="constrained", squeeze=False)
    for row, (f, df) in enumerate(slices.items()):
        order = sorted(df["level"].unique(), key=lambda v: (v != factors.NONE, factors.level_bits(v)))
        for algorithm, g in df.groupby("algorithm", sort=True):
            med = g.groupby("level").agg(e=("train_energy_j", "median"), f1=("f1", "median")).reindex(order)
            axes[row, 0].plot(range(len(order)), med["e"], "o-", ms=2.5, lw=0.8, label=algorithm)
            axes[row, 1].plot(range(len(order)), med["f1"], "o-", ms=2.5, lw=0.8)
        for ax in axes[row]:
            ax.set_xticks(range(len(order)), order)
        axes[row, 0].set_yscale("log")
        axes[row, 0].set_ylabel(f"{f}\n{energy_label(results, 'energy')}", fontsize=7)
        axes[row, 1].set_ylabel("median F1")
    axes[0, 0].legend(fontsize=6, frameon=False, ncol=2)
    fig.suptitle(_title(results, "Each tactic alone: median training energy (log) and F1 per level"))
    return fig


def tactics_tradeoff_figures(results: Results, trials: pd.DataFrame) -> dict[str, plt.Figure]:
    """One figure per algorithm: median training energy against median F1 for every level of every
    factor (one marker and colour per factor), the untreated reference as a black star, and the
    Pareto front across all tactics (lower energy, higher F1) as a step line through ringed points."""
    from harness.analysis import factors

    slices = factors.factor_slices(trials)
    if not slices:
        return {}
    pts = pd.concat([df.groupby(["algorithm", "level"]).agg(energy=("train_energy_j", "median"),
                                                            f1=("f1", "median")).reset_index().assign(factor=f)
                     for f, df in slices.items()], ignore_index=True)
    names = list(slices)
    colours = plt.get_cmap("tab20")(np.linspace(0, 1, max(2, len(names))))
    markers = "o^sDv<>phX*P"
    out = {}
    for algorithm, p in pts.groupby("algorithm", sort=True):
        ref = p[p["level"] == factors.NONE].drop_duplicates("level")
        p = pd.concat([p[p["level"] != factors.NONE], ref]).reset_index(drop=True)
        fig, ax = plt.subplots(figsize=(WIDTH_IN / 2 + 0.6, 3.0), layout="constrained")
        for i, f in enumerate(names):
            g = p[(p["factor"] == f) & (p["level"] != factors.NONE)]
            ax.plot(g["energy"], g["f1"], markers[i % len(markers)], ms=3.5, color=colours[i], label=f, alpha=0.85)
        ax.plot(ref["energy"], ref["f1"], "*", ms=8, color="black", label="untreated")
        front = p[stats.pareto_front(p["energy"], p["f1"])].sort_values("energy")
        ax.step(front["energy"], front["f1"], where="post", lw=1, color="#c44e52", label="Pareto front")
        ax.plot(front["energy"], front["f1"], "o", ms=6, mfc="none", mec="#c44e52")
        for _, r in front.iterrows():
            ax.annotate(f"{r['factor']}={r['level']}" if r["level"] != factors.NONE else "none",
                        (r["energy"], r["f1"]), fontsize=5.5, xytext=(3, -7), textcoords="offset points")
        ax.set_xscale("log")
        ax.set_xlabel(energy_label(results, "median training energy"))
        ax.set_ylabel("median F1")
        ax.legend(fontsize=5.5, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
        ax.set_title(_title(results, f"{algorithm}: every tactic's levels; ringed: Pareto front across tactics"))
        out[f"tradeoff_tactics_{algorithm}"] = fig
    return out


def factorial_heatmaps(results: Results, trials: pd.DataFrame) -> dict[str, plt.Figure]:
    """For each sweep in which exactly two factors vary: one heatmap panel per algorithm of the
    training-energy saving (%) in every cell, annotated with the F1 change (points)."""
    from harness.analysis import factors

    cells = factors.factorial_cells(trials)
    out = {}
    for sweep, c in cells.groupby("sweep", sort=False) if len(cells) else []:
        cols = [k for k in c.columns if k.startswith("level_") and c[k].notna().any()]
        if len(cols) != 2:
            continue
        a, b = cols
        algorithms = sorted(c["algorithm"].unique())
        fig, axes = _grid(len(algorithms), height=2.0)
        axes = list(axes)[: len(algorithms)]
        for ax, algorithm in zip(axes, algorithms):
            g = c[c["algorithm"] == algorithm]
            sav = g.pivot_table(index=a, columns=b, values="saving_pct", aggfunc="first")
            df1 = g.pivot_table(index=a, columns=b, values="f1_change_pts", aggfunc="first")
            im = ax.imshow(sav.to_numpy(dtype=float), cmap="viridis", vmin=0, vmax=100, aspect="auto")
            ax.set_xticks(range(sav.shape[1]), sav.columns)
            ax.set_yticks(range(sav.shape[0]), sav.index)
            ax.set_xlabel(b[len("level_"):])
            ax.set_ylabel(a[len("level_"):])
            for i in range(sav.shape[0]):
                for j in range(sav.shape[1]):
                    v, d = sav.iat[i, j], df1.iat[i, j]
                    if not (isinstance(v, float) and math.isnan(v)):
                        ax.text(j, i, f"{v:.0f}%\n{d:+.1f}", ha="center", va="center", fontsize=5.5, color="white")
            ax.set_title(algorithm)
        fig.colorbar(im, ax=axes, shrink=0.6, label="training-energy saving (%)")
        fig.suptitle(_title(results, f"Sweep {sweep}: saving versus untreated in every cell (F1 change in points below)"))
        out[f"factorial_{sweep}"] = fig
    return out
