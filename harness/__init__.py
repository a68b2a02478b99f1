"""harness: an empirical benchmark harness for data-centric Green AI experiments.

Data flows one way, and the folders follow it: spec -> plan -> run (units of work on executors,
meters per phase) -> results -> analysis -> tables, figures, report, export. Each layer imports only
from the layers below it (pyproject's [tool.importlinter] contract, checked in .ci/run):

- ``cli``: the command line, one module per command (``harness.cli.main`` is the program);
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
"""

__version__ = "0.1.0"  # the one place the version lives: pyproject.toml reads it
