"""Every table of ``analyze``, the report and the Python API, in the order shown: what an adaptive run
reached, what the study itself cost, the analysis proper (``harness.analysis.tables``), and the
carbon tables when carbon inputs are given."""

from __future__ import annotations

import pandas as pd

from harness.analysis.adaptive import adaptive_table, with_rule_note
from harness.analysis.footprint import footprint_table
from harness.analysis.tables import Options, Table, with_notes, analysis_tables, with_energy_basis
from harness.results.load import Results


def study_tables(results: Results, options: Options = Options(), carbon=None) -> tuple[list[Table], pd.DataFrame]:
    """The tables, and the trials they were computed from (after cleaning); ``carbon``:
    ``harness.data.carbon.CarbonInputs`` or None. Raises ResultsError as ``analysis_tables``."""
    tables, trials = analysis_tables(results, options)
    if carbon is not None:
        from harness.analysis.carbon_tables import carbon_tables

        tables += carbon_tables(results, trials, carbon)
    tables = [with_rule_note(t, results) for t in tables]  # the stopping rule said wherever results are shown
    adaptive, footprint = adaptive_table(results), footprint_table(results, carbon)
    # both show energy: labelled (estimated, ...) and with energy_basis like every other energy table
    first = [t for t in (adaptive and with_notes(adaptive, results),
                         footprint and with_energy_basis(footprint, results)) if t is not None]
    return [*first, *tables], trials
