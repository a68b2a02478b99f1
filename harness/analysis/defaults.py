"""Defaults of the analysis that the command line shows in ``--help``: a module with no imports, so
that building the parser does not load scipy, statsmodels or pandas (``stats`` re-exports them)."""

N_RESAMPLES = 2000  # bootstrap resamples for confidence intervals
SEED = 0  # bootstrap seed
