"""Every figure of a run at once: which figures a run gets (``builders``), drawing them into a folder
with an index of captions and skipped figures (``draw_all``), and reading that index back.

The figures themselves live in ``harness.output.figures`` (the ICT4S'22 RQ figures, QQ, trade-off,
carbon) and ``harness.output.factor_figures`` (per-factor figures of a tactics run).
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from harness.analysis import factors, stats
from harness.errors import ResultsError
from harness.output import factor_figures
from harness.output.figures import (CAPTIONS, F1_ONLY, RC, Skip, carbon_figure, qq_figure, qq_skip_reason,
                                    rq1_figure, rq2_figure, rq3_figure, tradeoff_figure)
from harness.results.load import Results

# ---------------------------------------------------------------- all

INDEX = "index.json"


def builders(results: Results, trials: pd.DataFrame, log: bool | None = None, carbon=None) -> dict:
    """name -> function drawing that figure from the analysed ``trials`` (raises ``Skip`` when the
    figure would say nothing). Call them inside ``plt.rc_context(RC)``. The ICT4S'22 figures for
    a rows/features run; for a tactics run, RQ1 and the QQ plots, then the per-factor figures of
    ``harness.output.factor_figures``; the carbon figure when ``carbon`` inputs are given."""
    
    qq_reason = qq_skip_reason(trials)

    def qq(column, label, energy):
        if qq_reason:
            raise Skip(qq_reason)
        return qq_figure(results, trials, column, label, energy=energy)

    out = {
        "rq1_energy": lambda: rq1_figure(results, trials, log),
        "rq2_energy": lambda: rq2_figure(results, trials),
        "rq3_f1": lambda: rq3_figure(results, trials),
        "qq_energy": lambda: qq("train_energy_j", "training energy", True),
        "qq_f1": lambda: qq("f1", "F1", False),
        "tradeoff": lambda: tradeoff_figure(results, trials),
    }
    if not factors.is_legacy(trials):  # tactics: per-factor figures replace the rows/features ones
        for name in ("rq2_energy", "rq3_f1", "tradeoff"):
            out.pop(name)
        out.update(factor_figures.builders(results, trials))
    else:
        out.update(factor_figures.factorial_builders(results, trials))
    if carbon is not None:
        out["carbon"] = lambda: carbon_figure(results, trials, carbon)
    return out


def draw_all(results: Results, out_dir: Path, clean: bool = True, log: bool | None = None,
             carbon=None) -> list[Path]:
    """Draw every figure of ``builders`` into ``out_dir`` as PNG and PDF; returns the paths written.

    ``log``: RQ1's scale (None: log when the medians span ``LOG_SPREAD``); ``carbon``: a
    ``harness.data.carbon.CarbonInputs`` to add the carbon figure. A figure that would say nothing
    (too few repetitions for a QQ plot, no sweep for RQ2/RQ3) is skipped, and ``INDEX``
    (figures/index.json) lists every figure with its caption and files, and every skipped one
    with the reason; ``skipped(out_dir)`` reads those reasons back.
    """
    trials = stats.analysed_rows(results.trials, clean)
    if trials.empty:
        raise ResultsError(f"{results.source}: no trial left after cleaning; use --no-clean")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ResultsError(f"{out_dir}: cannot create the output directory ({e.strerror}); "
                           "pass a writable --out") from e
    written, index = [], {"figures": [], "skipped": []}
    completeness = [results.completeness_note()] if results.incomplete else []
    todo = builders(results, trials, log, carbon)
    for old in [*out_dir.glob("*.png"), *out_dir.glob("*.pdf")]:
        # a figure skipped now, or one this run no longer has (an algorithm, a sweep, a figure of
        # an older harness), must not leave a file the report would show as current
        if old.stem in todo or factor_figures.is_figure_name(old.stem) or old.stem in CAPTIONS:
            old.unlink(missing_ok=True)
    with plt.rc_context(RC):
        for name, build in todo.items():
            try:
                fig = build()
            except Skip as e:
                index["skipped"].append({"name": name, "reason": str(e)})
                continue
            paths = save(fig, out_dir, name)
            written += paths
            files = [p.name for p in paths]
            caption = CAPTIONS.get(name) or factor_figures.caption(name)
            if name == "carbon":
                caption += " Inputs: " + carbon.describe() + "."
            energy_notes = [] if name in F1_ONLY or name.endswith("_f1") else list(results.energy_notes())
            index["figures"].append({"name": name, "files": files, "caption": caption,
                                     "notes": completeness + energy_notes})
    (out_dir / INDEX).write_text(json.dumps(index, indent=2), encoding="utf-8")
    return written


def save(fig: plt.Figure, out_dir: Path, name: str) -> list[Path]:
    """Write ``fig`` as ``out_dir/name.png`` (at ``RC``'s savefig.dpi, whatever rc is active)
    and ``.pdf``, then close it; returns the two paths."""
    paths = [out_dir / f"{name}.png", out_dir / f"{name}.pdf"]
    try:
        fig.savefig(paths[0], dpi=RC["savefig.dpi"])
        fig.savefig(paths[1])
    finally:
        plt.close(fig)
    return paths


def skipped(out_dir: Path) -> list[dict]:
    """The skipped figures of the last ``draw_all`` into ``out_dir``: [{"name", "reason"}]."""
    path = Path(out_dir) / INDEX
    return json.loads(path.read_text(encoding="utf-8"))["skipped"] if path.is_file() else []
