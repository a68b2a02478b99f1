"""harness: an empirical benchmark harness for data-centric Green AI experiments.

Data flows one way, and the folders follow it: spec -> plan -> run (units of work on executors,
meters per phase) -> results -> analysis -> tables, figures, report, export. Each layer imports only
from the layers below it (pyproject's [tool.importlinter] contract, checked in .ci/run):

- ``cli`` | ``api``: the command line, one module per command (``harness.cli.main`` is the program) |
  the Python API (docs/api.md), whose names this package re-exports: ``harness.run_spec``,
  ``harness.load_trials``, ``harness.analyze``, ``harness.compare``, ``harness.measure``,
  ``harness.measured``, ``harness.EnergyMeter``, ``harness.Window``;
- ``output``: figures, the HTML report, MLflow export;
- ``analysis`` | ``run``: statistics and tables of results | running a study: the runner, the
  session recorded in the manifest, the units (a trial, a tuning search), the executors;
- ``results``: the run directory: its columns and files (``schema``), writer and scanner (``store``),
  reader (``load``), folder and lock (``rundir``);
- ``plan``: units of work from a spec, up-front checks, duration, protocols (how a trial's data is made);
- ``spec``: the strict YAML spec and its models;
- libraries: ``meters`` (energy), ``hygiene`` (machine state, cool-down), ``tactics`` (data-centric
  treatments), ``data`` (data sets, features, carbon intensity), ``models`` (algorithms and what
  library versions change), ``estimators`` (the faithful ICT4S'22 estimators), ``tuning`` (search
  spaces and strategies);
- ``imports`` (the user-class import rule), ``errors``, ``signals``, ``environment`` (every
  environment variable the harness reads, read there only).

The public API is ``__all__`` below and the errors of ``harness.errors``; every other module is
internal. The API's names load on first use (``__getattr__``), so ``import harness`` and
``python -m harness --help`` stay fast.
"""

__version__ = "0.1.0"  # the one place the version lives: pyproject.toml reads it

__all__ = ["run_spec", "load_trials", "analyze", "compare", "measure", "measured", "EnergyMeter", "Window",
           "EstimatedEnergyWarning", "HarnessWarning", "__version__"]


def __getattr__(name: str):
    """``harness.run_spec`` and the API's other names, imported from ``harness.api`` on first use."""
    if name in __all__:
        # by name, as the command registry loads commands: the package root is imported by every
        # layer (``__version__``), so a static import here would tie them all to the API's layer
        import importlib

        return getattr(importlib.import_module("harness.api"), name)
    raise AttributeError(f"module 'harness' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
