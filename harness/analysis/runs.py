"""Runs read for analysis: the one loading path of ``analyze``, ``compare``, ``figures``, ``report``,
``export`` and the Python API (``harness.load_trials`` and friends).

Each run is read and checked (``harness.results.load.load_results``), the runs are pooled where they
may be (``pool``: same dataset and protocol, versions that do not move results), one host is kept or
the hosts are checked (``harness.analysis.hosts.check_hosts``), and the idle baseline is subtracted
if asked. What a reader must be told about that is returned as ``LoadNotes``, not printed: the CLI
prints the notes, the API turns them into warnings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from harness.analysis.hosts import check_hosts
from harness.errors import UsageError
from harness.results.load import Results, load_results, net_of_baseline, pool, torn_line_note


@dataclasses.dataclass(frozen=True)
class LoadNotes:
    """What loading found that the reader must be told.

    ``torn``: one line per file whose torn last line was left out; ``pooling``: version warnings and
    where executors, hosts or meters of pooled runs differ; ``unverified``: the number of rows no
    ``row_sha256`` vouches for (0 when every row does).
    """

    torn: tuple[str, ...] = ()
    pooling: tuple[str, ...] = ()
    unverified: int = 0
    rows: int = 0

    def unverified_note(self) -> str:
        """One line about rows without a checksum, or "" when there are none."""
        if not self.unverified:
            return ""
        return (f"{self.unverified} of {self.rows} rows have no row_sha256 (written before per-row checksums, "
                "or an export without that column): their values are unverified")


def load_runs(paths: Sequence[str | Path], *, host: str | None = None, pool_hosts: bool = False,
              net: bool = False, mixed_versions: bool = False) -> tuple[Results, LoadNotes]:
    """The runs at ``paths`` (run directories, trials.csv files or the ICT4S'22 file) as one ``Results``.

    Raises UsageError when ``net`` is asked of several runs (each run has its own idle baseline),
    ResultsError (from ``load_results``/``pool``) for a file that cannot be read or runs that cannot be
    pooled, and UsageError from ``check_hosts`` for hosts that differ or a ``host`` with no trials.
    """
    if net and len(paths) > 1:
        raise UsageError("--net (net=True) subtracts one run's idle baseline; analyse the runs one at a time")
    parts = [load_results(p) for p in paths]
    torn = tuple(torn_line_note(part.source / "trials.csv" if part.source.is_dir() else part.source,
                                part.torn_bytes) for part in parts if part.torn_bytes)
    results, pooling = pool(parts, mixed_versions)
    notes = LoadNotes(torn=torn, pooling=tuple(pooling), unverified=results.unverified, rows=len(results.trials))
    results = check_hosts(results, host, pool_hosts)
    return (net_of_baseline(results) if net else results), notes
