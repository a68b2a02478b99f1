"""harness: an empirical benchmark harness for data-centric Green AI experiments.

Flow, one direction, one module per step:
spec (YAML) -> plan (trials) -> runner (treatment, model, meter per phase) -> store (trials.csv)
-> analysis -> tables and figures.
"""

__version__ = "0.1.0"  # the one place the version lives: pyproject.toml reads it
