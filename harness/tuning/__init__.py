"""Hyper-parameter search as a library: search spaces (``space``) and the grid, random and Bayesian
(Optuna TPE) strategies that propose settings and evaluate them (``search``)."""
