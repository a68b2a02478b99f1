"""Display of the tables: how undefined values and the reference row read."""

from __future__ import annotations

import numpy as np
from synthetic import fabricate

from harness.analysis import stats
from harness.analysis.tables import UNDEFINED, _best_table, _tradeoff_table, ci, to_latex


def test_undefined_ci_reads_undefined_and_the_reference_row_reads_dash():
    trials = fabricate(algorithms={"svm": 1.0}, repetitions=5, noise=0.05)  # 5: the other levels get a CI
    single = trials.index[(trials["sweep"] == "rows") & np.isclose(trials["row_fraction"], 0.1)]
    trials = trials.drop(single[1:])  # one trial left at 10% of rows: no bootstrap interval
    trade = stats.tradeoff(trials, n_resamples=100)
    table = _tradeoff_table(trade)
    shown = table.display.assign(fraction=trade["fraction"].to_numpy(),
                                 factor=trade["factor"].to_numpy())
    rows = shown[shown["factor"] == "rows"].set_index("fraction")
    assert rows.loc[0.1, "95% CI"] == UNDEFINED
    assert rows.loc[1.0, "95% CI"] == "-"
    assert rows.loc[0.5, "95% CI"].startswith("[")
    assert "-" in table.notes[0] and "reference" in table.notes[0]
    assert ci(float("nan"), 1.0) == UNDEFINED
    best = _best_table(stats.best_saving(trade.assign(f1_change_pts=-100.0)), 0.01)
    assert (best.display["95% CI"] == UNDEFINED).all()  # no level qualifies
    assert "undefined" in to_latex(table)


def test_invalid_energy_is_counted_once_per_phase_with_its_reasons():
    import pandas as pd

    from harness.analysis.invalid import invalid_energy_note

    assert invalid_energy_note(pd.DataFrame({"f1": [1.0]})) == ""  # a trials.csv before the column
    assert invalid_energy_note(pd.DataFrame({"energy_invalid": [float("nan")] * 2})) == ""
    cells = ["train: gpu0 counter went backwards (4000 -> 10 mJ: driver reloaded or GPU reset)",
             "", "train: gpu0 counter went backwards (9 -> 1 mJ: driver reloaded or GPU reset) | predict: "
             "package-0 counter wrapped (pyRAPL does not correct a wrap)"]
    note = invalid_energy_note(pd.DataFrame({"energy_invalid": cells}))
    assert note.startswith("Invalid energy: 3 phases of 2 trials are not measurements (train 2, predict 1)")
    assert note.count("gpu0 counter went backwards (driver reloaded or GPU reset)") == 1
    assert "package-0 counter wrapped" in note


def test_a_rapl_reset_reason_is_grouped_without_its_readings():
    import pandas as pd

    from harness.analysis.invalid import invalid_energy_note

    cells = [f"train: package-0 counter went backwards ({a} -> {b} uJ: reset, not a wrap of 262143328850 uJ)"
             for a, b in ((50_000_000, 49_990_000), (70_000_000, 60_000_000))]
    note = invalid_energy_note(pd.DataFrame({"energy_invalid": cells}))
    assert note.count("package-0 counter went backwards (reset, not a wrap") == 1


def test_throttled_trials_are_counted_with_their_seconds():
    import pandas as pd

    from harness.analysis.invalid import throttled_note

    assert throttled_note(pd.DataFrame({"f1": [1.0]})) == ""  # a trials.csv before the column
    assert throttled_note(pd.DataFrame({"cpu_throttled_s": [float("nan"), float("nan")]})) == ""  # no quota
    assert throttled_note(pd.DataFrame({"cpu_throttled_s": [0.0, 0.0]})) == ""
    note = throttled_note(pd.DataFrame({"cpu_throttled_s": [0.0, 0.25, "", 0.5]}))
    assert note.startswith("Throttled: 2 trials of 4 were throttled by the cgroup's CPU quota (0.75 s in all")
    assert "cpu_throttled_s" in note
