import math

import pandas as pd
import pytest

from harness.data import carbon
from harness.data.carbon import CarbonError, CarbonInputs


def test_clemm_worked_example():
    # Clemm et al. (2024): ~1,200 kgCO2e manufacture over 5 years, 555 W for 75% of the year and
    # 200 W otherwise, 0.4 kgCO2e/kWh -> about 1,874 kgCO2e a year, 87% of it in use.
    year_s = carbon.S_PER_YEAR
    operational_kg = carbon.operational_g((555 * 0.75 + 200 * 0.25) * year_s, 400) / 1000
    embodied_kg = carbon.embodied_g(year_s, 1200, 5) / 1000
    assert embodied_kg == pytest.approx(240)
    assert operational_kg == pytest.approx((555 * 0.75 + 200 * 0.25) * 8760 / 1000 * 0.4)
    assert round(operational_kg + embodied_kg) == 1874
    assert round(100 * operational_kg / (operational_kg + embodied_kg)) == 87


def test_operational_is_kwh_times_intensity_times_pue():
    assert carbon.operational_g(3.6e6, 400, 1.5) == pytest.approx(600)


def test_embodied_is_footprint_times_duration_over_life():
    one_year = carbon.S_PER_YEAR
    assert carbon.embodied_g(one_year, 1200, 5) == pytest.approx(240_000)  # g


def test_country_code_lookup_names_source_and_year():
    g, source = carbon.resolve_intensity("fra")
    assert 20 < g < 150
    assert "France" in source and "Our World in Data" in source
    assert any(str(y) in source for y in range(2015, 2030))


def test_number_is_taken_as_given():
    assert carbon.resolve_intensity("350") == (350.0, "given")


@pytest.mark.parametrize("bad", ["XXX", "-5", "nan"])
def test_bad_intensity_is_one_clear_error(bad):
    with pytest.raises(CarbonError, match="--intensity"):
        carbon.resolve_intensity(bad)


@pytest.mark.parametrize("kwargs, field", [({"pue": 0.9}, "--pue"), ({"embodied_kg": -1}, "--embodied-kg"),
                                           ({"lifetime_years": 0}, "--lifetime-years")])
def test_bad_inputs_name_the_option(kwargs, field):
    with pytest.raises(CarbonError, match=field):
        CarbonInputs(400, **kwargs)


def test_trial_carbon_per_phase_and_total():
    trials = pd.DataFrame({"preprocess_energy_j": [3.6e6], "preprocess_s": [10.0],
                           "train_energy_j": [7.2e6], "train_s": [20.0],
                           "predict_energy_j": [0.0], "predict_s": [0.0]})
    inputs = CarbonInputs(100, pue=1.2, embodied_kg=1000, lifetime_years=1)
    out = carbon.trial_carbon(trials, inputs)
    assert out["train_operational_g"].iloc[0] == pytest.approx(240)
    assert out["train_embodied_g"].iloc[0] == pytest.approx(1e6 * 20 / carbon.S_PER_YEAR)
    assert out["operational_g"].iloc[0] == pytest.approx(360)
    assert out["gco2e"].iloc[0] == pytest.approx(360 + 1e6 * 30 / carbon.S_PER_YEAR)


def test_trials_run_at_once_on_one_host_share_its_embodied_carbon():
    """Two Dask workers on one machine: each trial was charged the whole machine for its wall time."""
    one = {"preprocess_energy_j": 0.0, "preprocess_s": 0.0, "train_energy_j": 3.6e6, "train_s": 20.0,
           "predict_energy_j": 0.0, "predict_s": 0.0}
    trials = pd.DataFrame([{**one, "concurrent_trials": 1}, {**one, "concurrent_trials": 2}])
    out = carbon.trial_carbon(trials, CarbonInputs(100, embodied_kg=1000, lifetime_years=1))
    alone = 1e6 * 20 / carbon.S_PER_YEAR
    assert out["embodied_g"].tolist() == pytest.approx([alone, alone / 2])
    assert out["operational_g"].tolist() == pytest.approx([100, 100])  # each trial's own energy


def test_without_embodied_total_is_operational_and_embodied_is_nan():
    trials = pd.DataFrame({f"{p}_{k}": [1.0] for p in carbon.PHASES for k in ("energy_j", "s")})
    out = carbon.trial_carbon(trials, CarbonInputs(100))
    assert math.isnan(out["embodied_g"].iloc[0])
    assert out["gco2e"].iloc[0] == pytest.approx(out["operational_g"].iloc[0])
    assert "embodied not computed" in CarbonInputs(100).describe()


@pytest.mark.parametrize("kwargs, needle", [({"intensity_g_per_kwh": 1e9}, "no grid emits more than 2000"),
                                            ({"intensity_g_per_kwh": 2001}, "not per MWh"),
                                            ({"pue": 50}, "--pue must be at most 3"),
                                            ({"pue": 3.01}, "--pue must be at most 3")])
def test_impossible_intensity_or_pue_is_refused(kwargs, needle):
    with pytest.raises(CarbonError, match=needle):
        CarbonInputs(**{"intensity_g_per_kwh": 400, **kwargs})


def test_unusual_but_possible_inputs_warn_and_the_table_never_does():
    highest = max(g for _, g, _ in carbon.intensity_table().values())  # Turkmenistan 1306 (2022)
    assert CarbonInputs(highest, pue=carbon.USUAL_PUE).warnings() == []
    assert CarbonInputs(*carbon.resolve_intensity("TKM")).warnings() == []
    warned = CarbonInputs(highest + 1, pue=2.5).warnings()
    assert len(warned) == 2 and "above every country" in warned[0] and "--pue 2.5 is unusual" in warned[1]
    assert CarbonInputs(2000, pue=3.0).describe()  # the bounds themselves are allowed
