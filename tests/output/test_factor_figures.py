"""The tactics figures (harness/output/factor_figures.py): each defect found on the tactics study
as a failing input: point labels that overlapped, a title cut off, log tick labels that ran
together, medians drawn without their spread, heatmap text below 7 pt."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest

matplotlib.use("Agg")

from synthetic import TACTICS, fabricate_tactics  # noqa: E402
from figure_checks import problems, visible_texts  # noqa: E402

from harness.analysis import stats  # noqa: E402
from harness.output import factor_figures
from harness.output import figures
from harness.results.load import Results  # noqa: E402


def _results(**kw):
    trials = fabricate_tactics(**kw)
    return Results(trials, Path("synthetic"), "run"), stats.analysed(trials)[0]


def _text(fig) -> str:
    return "\n".join(t.get_text() for t, _ in visible_texts(fig))


@pytest.fixture(autouse=True)
def _rc():
    with plt.rc_context(figures.RC):
        yield
    plt.close("all")


@pytest.mark.slow
def test_tradeoff_lists_the_front_instead_of_labels_that_overlap_on_coinciding_tactics():
    # stratified and random at 0.1 cost and score the same: their labels were drawn over each other
    same = {**TACTICS, "random": TACTICS["stratified"]}
    results, trials = _results(factors=same, noise=0.0, f1_noise=0.0)
    fig = factor_figures.tactics_tradeoff_figure(results, trials, "svm")
    assert not problems(fig)
    assert fig.get_figwidth() == figures.COLUMN_IN
    data_ax = fig.axes[0]
    assert not data_ax.texts, "text on the data axes can cover points or other labels"
    note = " ".join(_text(fig).split())
    assert "Pareto front, lowest energy first:" in note and "stratified=0.1" in note and "random=0.1" in note


@pytest.mark.slow
def test_tradeoff_shows_the_iqr_both_ways_and_a_long_name_keeps_its_title():
    results, trials = _results(algorithms={"a_very_long_algorithm_name_indeed": 1.0, "svm": 0.5})
    fig = factor_figures.tactics_tradeoff_figure(results, trials, "a_very_long_algorithm_name_indeed")
    bars = [c for c in fig.axes[0].containers if c.has_xerr and c.has_yerr]
    assert len(bars) >= len(TACTICS), "energy and F1 spread not shown"
    assert not problems(fig)  # the title used to run off a 4.18 in canvas
    assert "interquartile" in factor_figures.caption("tradeoff_tactics_svm")


@pytest.mark.slow
@pytest.mark.parametrize("lo, hi", [(0.05, 0.09), (0.2, 15.0), (0.006, 15.0), (1e-5, 1e4)])
def test_log_axes_label_plainly_and_never_run_together(lo, hi):
    fig, axes = plt.subplots(1, 6, figsize=(figures.WIDTH_IN, 1.5), layout="constrained")
    for ax in axes:  # 1.19 in panels, the narrowest the figures use
        ax.plot([lo, hi], [0, 1], "-")
        figures.log_scale(ax, "x")
    assert not problems(fig)
    fig.canvas.draw()
    shown = [t.get_text() for t in axes[0].get_xticklabels() if t.get_text() and lo * 0.9 <= t.get_position()[0] <= hi * 1.1]
    assert len(shown) >= 2 and not any("$" in s or "^" in s for s in shown), shown


@pytest.mark.slow
@pytest.mark.parametrize("column", ["train_energy_j", "f1"])
def test_factor_curves_show_the_iqr_and_f1_carries_no_energy_label(column):
    results, trials = _results()
    fig = factor_figures.factor_curves_figure(results, trials, column)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == len(TACTICS)
    assert all(ax.containers and all(c.has_yerr for c in ax.containers) for ax in panels), "medians without spread"
    text = _text(fig)
    assert "interquartile range" in text
    if column == "f1":
        assert "estimated" not in text and "(J" not in text
    else:
        assert "estimated energy (CPU-time model, not measured)" in text and "(J, estimated)" in text
    assert not problems(fig)


@pytest.mark.slow
def test_factor_curves_fit_a_page_with_twelve_factors():
    many = {f"{name}_{i}": levels for i in range(2) for name, levels in TACTICS.items()}
    results, trials = _results(factors=many, grid=None, repetitions=2)
    fig = factor_figures.factor_curves_figure(results, trials)
    assert fig.get_figheight() < 9.0  # was 1.6 in per factor: 19 in for twelve
    assert not problems(fig)


@pytest.mark.slow
def test_heatmap_cells_give_the_saving_its_iqr_and_the_f1_change_at_7_pt():
    results, trials = _results()
    fig = factor_figures.factorial_heatmap(results, trials, "grid")
    cells = [t for ax in fig.axes for t in ax.texts]
    assert len(cells) == 3 * 4 * 4
    assert all(t.get_fontsize() >= figures.MIN_FONT_PT for t in cells)
    assert all(len(t.get_text().split("\n")) == 3 and "\u2013" in t.get_text() for t in cells)
    assert not problems(fig)


@pytest.mark.slow
def test_an_incomplete_tactics_run_says_so_on_every_tactics_figure():
    results, trials = _results()
    import dataclasses

    partial = dataclasses.replace(results, trials=results.trials.iloc[:400], planned_trials=len(results.trials))
    t = stats.analysed(partial.trials)[0]
    for name, build in factor_figures.builders(partial, t).items():
        fig = build()
        assert f"INCOMPLETE RUN: 400 OF {len(results.trials)} PLANNED TRIALS" in _text(fig), name
        plt.close(fig)
