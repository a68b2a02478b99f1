"""Defaults of the analysis that the command line shows in ``--help``: a module with no imports, so
that building the parser does not load scipy, statsmodels or pandas (``stats`` re-exports them)."""

N_RESAMPLES = 9999  # bootstrap resamples: a 95% bound moves by ~0.002-0.004 (ratio; sd over seeds) at 10-30 trials a side, ~3x that at 2000
SEED = 0  # bootstrap seed
# argparse dest -> default of the options of _stat_args and carbon_args; also what tells an option
# given on the command line from one left out (tuning runs, harness.output.report.options)
STAT_DEFAULTS = {"no_clean": False, "net": False, "f1_tolerance": 1.0, "bootstrap": N_RESAMPLES,
                 "seed": SEED}
CARBON_DEFAULTS = {"intensity": None, "pue": 1.0, "embodied_kg": None, "lifetime_years": 5.0}
