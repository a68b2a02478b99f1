"""Analysis of a run's results: the study's RQ1-RQ3 and the energy/F1 trade-off, candidate versus
baseline comparisons, and their tables and figures.

Flow: ``load`` (trials.csv + manifest, or the ICT4S'22 published CSV, as one DataFrame) ->
``stats`` (pure functions: DataFrames in, DataFrames out) -> ``tables`` / ``figures`` (files) ->
``command`` (the ``analyze``, ``figures`` and ``compare`` subcommands).
"""
