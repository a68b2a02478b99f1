"""Carbon tables: per trial and phase (CSV) and per configuration (medians and IQR), from
``harness.data.carbon``. They carry the results' energy notes like every energy table, and a note that
names every carbon input (intensity and its source, PUE, manufacturing footprint, service life).
"""

from __future__ import annotations

import pandas as pd

from harness.data import carbon
from harness.analysis import stats
from harness.results.load import Results
from harness.analysis.tables import Table, _config_display, with_notes, num

MG_PER_G = 1000.0


def carbon_tables(results: Results, trials: pd.DataFrame, inputs: carbon.CarbonInputs) -> list[Table]:
    """``carbon_trials`` (one row per trial: operational, embodied and total gCO2e per phase and
    summed) and ``carbon`` (per configuration: medians per phase, total median and IQR).
    ``trials`` are the analysed (cleaned or not) trials."""
    c = carbon.trial_carbon(trials, inputs)
    keep = [col for col in ("trial_id", *stats.config_columns(c), "repetition") if col in c.columns]
    parts = [f"{p}_{k}" for p in carbon.PHASES for k in ("operational_g", "embodied_g", "gco2e")]
    per_trial = c[keep + parts + ["operational_g", "embodied_g", "gco2e"]].reset_index(drop=True)
    total_g = float(c["gco2e"].sum())
    op_g = float(c["operational_g"].sum())
    inputs_note = f"Inputs: {inputs.describe()}."
    if inputs.has_embodied and "concurrent_trials" in c.columns and (c["concurrent_trials"] > 1).any():
        n = int(c["concurrent_trials"].max())
        inputs_note += (f" Up to {n} trials ran at once on a host (Dask workers): each is charged "
                        f"1/{n} of the machine's embodied share for its wall time.")
    run_note = (f"All {len(c)} analysed trials together: {num(total_g, 3)} gCO2e"
                + (f", of which {100 * op_g / total_g:.1f}% operational" if inputs.has_embodied and total_g > 0
                   else " (operational only)") + ".")

    g = c.groupby(stats.config_columns(c), sort=True)
    config = pd.DataFrame({
        "n_trials": g.size(),
        **{f"median_{p}_operational_g": g[f"{p}_operational_g"].median() for p in carbon.PHASES},
        "median_embodied_g": g["embodied_g"].median(),
        "median_gco2e": g["gco2e"].median(),
        "q25_gco2e": g["gco2e"].quantile(0.25),
        "q75_gco2e": g["gco2e"].quantile(0.75),
    }).reset_index()
    config["intensity_g_per_kwh"] = inputs.intensity_g_per_kwh
    config["pue"] = inputs.pue
    config["embodied_kg"] = inputs.embodied_kg
    config["lifetime_years"] = inputs.lifetime_years

    def mg(values):
        return [num(MG_PER_G * v, 3) for v in values]

    display = _config_display(config).assign(**{
        "trials": config["n_trials"].astype(str).to_numpy(),
        **{f"{p} op. (mg)": mg(config[f"median_{p}_operational_g"]) for p in carbon.PHASES},
        "embodied (mg)": (mg(config["median_embodied_g"]) if inputs.has_embodied
                          else ["not computed"] * len(config)),
        "total (mg)": mg(config["median_gco2e"]),
        "IQR (mg)": [f"[{a}, {b}]" for a, b in zip(mg(config["q25_gco2e"]), mg(config["q75_gco2e"]))],
    })
    per_config = Table("carbon", "Carbon per trial, per configuration (mgCO2e, medians over trials)",
                       config, display, notes=(inputs_note, run_note,
                                               "op. = operational; per-trial values in carbon_trials.csv."))
    trial_display = pd.DataFrame({
        "trial": per_trial.get("trial_id", pd.Series(range(len(per_trial)))).astype(str),
        "algorithm": per_trial["algorithm"],
        "operational (mg)": mg(per_trial["operational_g"]),
        "embodied (mg)": mg(per_trial["embodied_g"]) if inputs.has_embodied else "not computed",
        "total (mg)": mg(per_trial["gco2e"]),
    })
    per_trial_table = Table("carbon_trials", "Carbon per trial and phase (gCO2e in the CSV)",
                            per_trial, trial_display, notes=(inputs_note,))
    return [with_notes(per_config, results), with_notes(per_trial_table, results)]
