"""Process-wide settings are made at the edges and only while needed: importing the figures
chooses no matplotlib backend (the commands that draw do), and a search or a Dask cluster gives the
logger levels it lowered back when it ends."""

from __future__ import annotations

import pytest

import logging
import subprocess
import sys

import numpy as np

from clitools import cli_env


@pytest.mark.slow
def test_importing_the_figures_keeps_the_backend_a_user_chose():
    code = ("import matplotlib; matplotlib.use('svg'); "
            "import harness.output.figures, harness.output.factor_figures, harness.output.tuning_figures, "
            "harness.output.draw; print(matplotlib.get_backend())")
    env = cli_env()
    env.pop("MPLBACKEND", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "svg"


def test_the_drawing_commands_choose_agg():
    import matplotlib

    from harness.cli.analyze import file_backend

    before = matplotlib.get_backend()
    try:
        matplotlib.use("svg")
        file_backend()
        assert matplotlib.get_backend().lower() == "agg"
    finally:
        matplotlib.use(before)


def test_a_bayesian_search_gives_optunas_log_level_back(capfd):
    import optuna

    from harness.meters import EstimateMeter
    from harness.models.algorithms import resolve
    from harness.spec import AlgorithmSpec, Validation
    from harness.tuning.search import run_search

    rng = np.random.default_rng(0)
    X = rng.random((80, 2))
    y = (X[:, 0] > 0.5).astype(int)
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.DEBUG)
    try:
        with EstimateMeter() as meter:
            run_search("bayesian", {"max_depth": [1, 2, 3]}, 3, resolve(AlgorithmSpec(name="decision_tree"), 0),
                       X, y, Validation(folds=2), 1, meter)
        assert optuna.logging.get_verbosity() == optuna.logging.DEBUG
    finally:
        optuna.logging.set_verbosity(before)
    assert "Trial 0 finished" not in capfd.readouterr().err  # quiet during the search


def test_a_dask_executor_gives_dasks_log_levels_back():
    from harness.run.executors import dask as dask_executor

    logger = logging.getLogger("distributed.worker")
    before = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        ex = dask_executor.DaskExecutor(spec=None, workers=1)
        ex._log_levels = dask_executor._silence()  # what start() does first
        assert logger.level >= logging.ERROR  # CRITICAL while a cluster runs: its reconnect errors stay off stderr
        ex.close()
        assert logger.level == logging.DEBUG
    finally:
        logger.setLevel(before)
