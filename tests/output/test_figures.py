"""Every figure passes the paper checks (figure_checks.py) on designs of several sizes, and says
what it must: estimated energy on energy figures only, an incomplete run, the carbon inputs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest

matplotlib.use("Agg")

from synthetic import fabricate, fabricate_tactics  # noqa: E402
from figure_checks import check, problems, visible_texts  # noqa: E402

from harness.analysis import stats  # noqa: E402
from harness.output import draw, figures
from harness.results.load import Results  # noqa: E402
from harness.data.carbon import CarbonInputs  # noqa: E402

SIX = {"svm": 0.5, "decision_tree": 0.1, "knn": 0.006, "random_forest": 15.0, "adaboost": 5.0,
       "bagging": 6.0}
EIGHT = {**SIX, "gradient_boosting_long_name": 3.0, "naive_bayes": 0.01}


def _results(algorithms, repetitions=5, **kw):
    trials = fabricate(algorithms=algorithms, repetitions=repetitions, **kw)
    return Results(trials, Path("synthetic"), "run"), stats.analysed(trials)[0]


def _all(results, trials):
    inputs = CarbonInputs(380.9, "Germany 2023, Our World in Data", 1.2, 1200, 5)
    return {
        "rq1": lambda: figures.rq1_figure(results, trials),
        "rq2": lambda: figures.rq2_figure(results, trials),
        "rq3": lambda: figures.rq3_figure(results, trials),
        "qq": lambda: figures.qq_figure(results, trials, "train_energy_j", "training energy"),
        "tradeoff": lambda: figures.tradeoff_figure(results, trials),
        "carbon": lambda: figures.carbon_figure(results, trials, inputs),
    }


def _every_figure(results, log=None):
    """(name, problems) of every figure ``figures.builders`` draws for ``results``, with carbon."""
    trials = stats.analysed(results.trials)[0]
    inputs = CarbonInputs(380.9, "Germany 2023, Our World in Data", 1.2, 1200, 5)
    out = {}
    with plt.rc_context(figures.RC):
        for name, build in draw.builders(results, trials, log, inputs).items():
            try:
                fig = build()
            except figures.Skip:
                continue
            out[name] = problems(fig)
            plt.close(fig)
    return out


DESIGNS = {
    "3 algorithms": lambda: fabricate(algorithms={"svm": 0.5, "knn": 0.02, "random_forest": 2.0}),
    "6 algorithms": lambda: fabricate(algorithms=SIX),
    "8 algorithms, a long name": lambda: fabricate(algorithms=EIGHT),
    "tactics with a two-factor grid": lambda: fabricate_tactics(),
    "tactics, 8 algorithms, 2 repetitions": lambda: fabricate_tactics(algorithms=EIGHT, repetitions=2),
}


@pytest.mark.slow
@pytest.mark.parametrize("design", list(DESIGNS))
def test_every_figure_the_harness_draws_is_paper_ready(design):
    """Every figure of figures.builders (RQ1-RQ3, QQ, trade-off, carbon; for tactics the factor
    curves, the per-algorithm trade-offs and the factorial heatmaps) passes figure_checks."""
    trials = DESIGNS[design]()
    found = _every_figure(Results(trials, Path("synthetic"), "run"))
    expected = {"rq1_energy", "carbon"} | ({"factor_curves", "factor_curves_f1", "factorial_grid"}
                                           if "tactics" in design else {"rq2_energy", "rq3_f1", "tradeoff"})
    assert expected <= set(found), set(found)
    if "tactics" in design:
        assert {f"tradeoff_tactics_{a}" for a in trials["algorithm"].unique()} <= set(found)
    bad = {name: p for name, p in found.items() if p}
    assert not bad, bad


def test_the_checks_catch_overlapping_and_small_text():
    fig, ax = plt.subplots(figsize=(3.5, 2), layout="constrained")
    ax.plot([0.0, 1.0], [0.0, 1.0], "o")
    ax.text(0.0, 0.0, "on a point", fontsize=6)
    ax.text(0.1, 0.4, "one text", transform=ax.transAxes)
    ax.text(0.15, 0.4, "on another", transform=ax.transAxes)
    ax.set_xticks([0, 0.02], ["a long tick label", "running into it"])
    found = problems(fig)
    plt.close(fig)
    assert any("'one text' overlaps 'on another'" in p for p in found)
    assert any("'a long tick label' overlaps 'running into it'" in p for p in found)
    assert any("6" in p and "pt" in p for p in found)
    assert any("covers a data point" in p for p in found)
    fig, ax = plt.subplots(figsize=(5, 2))
    assert any("width" in p for p in problems(fig))
    plt.close(fig)


def test_rq1_is_log_when_medians_span_orders_of_magnitude_and_shows_the_iqr():
    results, trials = _results(SIX)
    with plt.rc_context(figures.RC):
        fig = figures.rq1_figure(results, trials)
        assert fig.axes[0].get_yscale() == "log"
        assert fig.axes[0].containers, "no error bars: spread is not shown"
        check(fig)
        results, trials = _results({"a": 1.0, "b": 2.0})
        assert figures.rq1_figure(results, trials).axes[0].get_yscale() == "linear"
        assert figures.rq1_figure(results, trials, log=True).axes[0].get_yscale() == "log"
    plt.close("all")


def _all_text(fig) -> str:
    return "\n".join(t.get_text() for t, _ in visible_texts(fig))


@pytest.mark.slow
def test_f1_figures_carry_no_energy_label_and_energy_figures_do():
    results, trials = _results(SIX)
    assert results.estimated
    with plt.rc_context(figures.RC):
        for fig in (figures.rq3_figure(results, trials), figures.qq_figure(results, trials, "f1", "F1", energy=False)):
            assert "estimated" not in _all_text(fig) and "(J" not in _all_text(fig)
        for fig in (figures.rq1_figure(results, trials), figures.rq2_figure(results, trials),
                    figures.tradeoff_figure(results, trials)):
            assert "estimated energy (CPU-time model, not measured)" in _all_text(fig)
    plt.close("all")


@pytest.mark.slow
def test_an_incomplete_run_says_so_on_every_figure(tmp_path):
    results, trials = _results(SIX)
    partial = dataclasses.replace(results, trials=results.trials.iloc[:100], planned_trials=len(results.trials))
    t = stats.analysed(partial.trials)[0]
    written = draw.draw_all(partial, tmp_path)
    assert written
    with plt.rc_context(figures.RC):
        for name, build in _all(partial, t).items():
            if name in ("qq",):
                continue
            fig = build()
            assert f"INCOMPLETE RUN: 100 OF {len(results.trials)} PLANNED TRIALS" in _all_text(fig), name
    plt.close("all")


def test_qq_skip_reason_depends_on_repetitions():
    assert "2 trials per configuration" in figures.qq_skip_reason(fabricate(repetitions=2))
    assert figures.qq_skip_reason(fabricate(repetitions=figures.QQ_MIN_TRIALS)) == ""
    one = figures.qq_skip_reason(fabricate(repetitions=1))  # said "every value lies within +-0.00"
    assert "cannot be standardised" in one and "+-" not in one


def test_carbon_figure_names_its_inputs():
    results, trials = _results(SIX)
    with plt.rc_context(figures.RC):
        fig = figures.carbon_figure(results, trials, CarbonInputs(380.9, "Germany 2023, OWID", 1.2, 1200, 5))
        text = " ".join(_all_text(fig).split())  # wrapped title lines
    plt.close(fig)
    for needle in ("380.9 gCO2e/kWh", "Germany 2023", "PUE 1.2", "1200 kgCO2e over 5 years", "embodied",
                   "operational", "estimated"):
        assert needle in text, needle


def test_carbon_under_a_gram_is_plotted_in_milligrams_with_plain_ticks():
    """Per-trial carbon of small trials read "0.0000 0.0005 ... 0.0025" or "5e-05" in gCO2e."""
    results, trials = _results({"knn": 0.01, "svm": 0.05, "decision_tree": 0.02})
    with plt.rc_context(figures.RC):
        fig = figures.carbon_figure(results, trials, CarbonInputs(380.9, "Germany 2023, OWID", 1.2))
        fig.canvas.draw()
        ax = fig.axes[0]
        assert ax.get_ylabel().startswith("mgCO2e per trial")
        ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    plt.close(fig)
    assert ticks and not any("e-" in t or t.startswith("0.000") for t in ticks), ticks


@pytest.mark.slow
def test_rq3_shows_the_spread_of_f1_behind_its_one_trial_per_level():
    from matplotlib.collections import LineCollection

    results, trials = _results(SIX, repetitions=3)
    with plt.rc_context(figures.RC):
        fig = figures.rq3_figure(results, trials)
        panels = [ax for ax in fig.axes if ax.get_visible()]
        assert all(any(isinstance(c, LineCollection) for c in ax.collections) for ax in panels), \
            "RQ3 drew its points without any spread"
        assert "IQR of all trials" in _all_text(fig)
        check(fig)
    assert "interquartile range of F1" in figures.CAPTIONS["rq3_f1"]


@pytest.mark.slow
def test_figures_of_an_earlier_drawing_that_this_run_does_not_have_are_removed(tmp_path):
    """A tactics run kept the rq2/tradeoff PNGs an older harness drew for it, and the report showed
    them as current; files the harness never draws are left alone."""
    out = tmp_path / "figures"
    out.mkdir()
    for stale in ("rq2_energy", "tradeoff", "tradeoff_tactics_gone", "factorial_old", "factor_curves"):
        (out / f"{stale}.png").write_bytes(b"old")
    (out / "my_own_plot.png").write_bytes(b"mine")
    trials = fabricate_tactics(algorithms={"svm": 0.5, "knn": 0.02}, repetitions=2, grid=None)
    draw.draw_all(Results(trials, Path("synthetic"), "run"), out)
    names = {p.stem for p in out.glob("*.png")}
    assert {"rq2_energy", "tradeoff", "tradeoff_tactics_gone", "factorial_old"}.isdisjoint(names)
    assert {"my_own_plot", "factor_curves", "tradeoff_tactics_svm", "rq1_energy"} <= names
    assert (out / "factor_curves.png").read_bytes() != b"old"


def test_energy_axes_show_plain_numbers_not_si_prefixes():
    """A trade-off panel of sub-joule energies read "20m 30m 40m" under "(J)": a second unit."""
    results, trials = _results({"knn": 0.03, "decision_tree": 0.9}, noise=0.2)
    with plt.rc_context(figures.RC):
        fig = figures.tradeoff_figure(results, trials)
        fig.canvas.draw()
        for ax in fig.axes:
            if not ax.get_visible() or ax.get_xscale() != "linear" or not ax.get_title():
                continue
            labels = [t.get_text().replace("\u2212", "-") for t in ax.get_xticklabels() if t.get_text()]
            assert labels, ax.get_title()
            for label in labels:
                float(label)  # ValueError on "400m"
        plt.close(fig)


def _labelled_variants():
    """Results whose figure titles carry the longest notes: the published ICT4S'22 file's unit, and
    an incomplete run of estimated energy (its upper-case trial count beside the estimate note)."""
    trials = fabricate(algorithms=SIX, meter="codecarbon (published)")
    trials["energy_estimated"] = False
    published = Results(trials, Path("experiment_data.csv"), "ict4s22")
    full = fabricate(algorithms=SIX)
    incomplete = Results(full.iloc[:100].copy(), Path("synthetic"), "run", planned_trials=len(full))
    return {"published ICT4S'22 file": published, "incomplete estimated run": incomplete}


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["published ICT4S'22 file", "incomplete estimated run"])
def test_figures_with_the_longest_energy_notes_are_paper_ready(variant):
    """The RQ1 figure of the published file clipped its title ("odeCarbon emissions ... proportional
    to energy", the rest off the canvas) and the title ran into the y label: its one-column title
    carried the whole published-data note on one line."""
    results = _labelled_variants()[variant]
    found = _every_figure(results)
    assert "rq1_energy" in found
    bad = {name: p for name, p in found.items() if p}
    assert not bad, bad


@pytest.mark.slow
@pytest.mark.parametrize("name", ["rq2", "rq3"])
def test_rq2_rq3_axes_read_as_words_not_column_names(name):
    # issue 22 item 7: the axes read n_train / n_features and the panels "rho"
    results, trials = _results(SIX, repetitions=3)
    with plt.rc_context(figures.RC):
        fig = _all(results, trials)[name]()
        labels = [ax.get_xlabel() for ax in fig.axes if ax.get_visible()]
        titles = " ".join(ax.get_title() for ax in fig.axes if ax.get_visible())
        assert "training rows" in labels and "features used" in labels
        assert not {"n_train", "n_features"} & set(labels)
        assert "ρ = " in titles and "rho" not in titles
        check(fig)
        plt.close(fig)
