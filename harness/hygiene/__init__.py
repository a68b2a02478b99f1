"""Measurement hygiene: the conditions a number was measured under, and how far it can be trusted.

- ``machine``: the machine's state (frequency governor, turbo, SMT, load and the busiest other
  processes, free memory, pinning, temperatures, BLAS/OpenMP threads, git commit), read from
  sysfs/procfs roots that tests point at fake trees (``HARNESS_SYSFS_ROOT``,
  ``HARNESS_PROCFS_ROOT``);
- ``checklist``: that state turned into warnings a careful experimenter acts on (pyperf's
  ``system show`` is the model), printed by ``python -m harness doctor`` and at a run's start;
- ``cooldown``: the wait between trials, fixed or until the meter reads idle power again;
- ``phases``: per-phase "below the meter's resolution" flags and repetition of short predict phases.

Nothing here is imported by ``python -m harness --help`` except ``command`` (no heavy imports).
"""
