"""Phases below the meter's resolution are flagged in their row; a short predict is repeated in
one window and divided by the repetitions; the fit never is."""

from types import SimpleNamespace

import numpy as np
import pytest

from harness.hygiene.phases import below_resolution, measure_repeated
from harness.meters.common import Measurement, Meter
from harness.meters.rapl import RESOLUTION
from harness.plan import Trial
from harness.spec import Hygiene
from harness.run.trial import run_trial


@pytest.mark.parametrize("duration_s, energy_j, flagged", [
    (0.010, 0.5, True),      # 10 ms: RAPL's 1 ms updates are 10% of it
    (0.019, 0.5, True),
    (0.021, 0.5, False),     # over 20 ms = 1 ms / 5%
    (1.0, 0.001, True),      # 1 mJ: under 2^-14 J / 5% = 1.2 mJ
    (1.0, 0.002, False),
])
def test_rapl_phases_below_its_resolution_are_flagged(duration_s, energy_j, flagged):
    assert below_resolution(Measurement(energy_j, duration_s), RESOLUTION, 0.05) is flagged


def test_a_looser_error_flags_less_and_an_unknown_resolution_flags_nothing():
    m = Measurement(0.5, 0.015)
    assert below_resolution(m, RESOLUTION, 0.05) and not below_resolution(m, RESOLUTION, 0.1)
    assert not below_resolution(Measurement(0.0, 0.0), None, 0.05)


class JoulePerCall(Meter):
    """A meter that reads exactly 2 J per call of ``fn`` made inside the window."""

    name = "stub"

    def __init__(self):
        self.calls = 0

    def begin(self):
        import time

        return time.perf_counter(), self.calls

    def end(self, token):
        import time

        t0, c0 = token
        return Measurement(2.0 * (self.calls - c0), time.perf_counter() - t0, {"cpu": 2.0 * (self.calls - c0)})

    def resolution(self):
        return RESOLUTION


def test_measure_repeated_divides_by_the_repetitions():
    import time

    meter = JoulePerCall()

    def fn():
        meter.calls += 1
        time.sleep(0.005)
        return meter.calls

    result, whole, per_call, reps = measure_repeated(meter, fn, 0.05)
    assert reps >= 2 and result == reps and whole.duration_s >= 0.05
    assert per_call.total_j == pytest.approx(2.0) and per_call.domains_j == {"cpu": pytest.approx(2.0)}
    assert per_call.duration_s == pytest.approx(whole.duration_s / reps)
    _, whole, per_call, reps = measure_repeated(meter, fn, 0.0)
    assert reps == 1 and per_call is whole


METER = JoulePerCall()


class CountingEstimator:
    """Each fit and predict call is 2 J on ``METER``; predict takes about 1 ms."""

    fits = predicts = 0

    def fit(self, X, y):
        CountingEstimator.fits += 1
        METER.calls += 1
        return self

    def predict(self, X):
        import time

        CountingEstimator.predicts += 1
        METER.calls += 1
        time.sleep(0.001)
        return np.zeros(X.shape[0], dtype=int)


def _trial(min_phase_s):
    X, y = np.ones((40, 3)), np.array([0, 1] * 20)
    split = SimpleNamespace(X_train=X, y_train=y, X_test=X[:10], y_test=y[:10])
    protocol = SimpleNamespace(preprocess=lambda rf, ff, seed: split)
    algorithm = SimpleNamespace(make=lambda seed: CountingEstimator())
    spec = SimpleNamespace(dataset_name="d", protocol="holdout", hygiene=Hygiene(min_phase_s=min_phase_s))
    trial = Trial(trial_id=0, config_id=0, algorithm="c", sweep="rows", row_fraction=1.0, feature_fraction=1.0,
                  repetition=0, seed=1)
    CountingEstimator.fits = CountingEstimator.predicts = 0
    return run_trial(trial, protocol, algorithm, METER, "r", spec)


def test_run_trial_repeats_predict_never_fit_and_flags_short_phases():
    row = _trial(0.05)
    assert CountingEstimator.fits == 1 and CountingEstimator.predicts == row["predict_repetitions"] > 1
    assert row["predict_energy_j"] == pytest.approx(2.0) and row["train_energy_j"] == pytest.approx(2.0)
    assert row["predict_s"] < 0.05 <= row["predict_s"] * row["predict_repetitions"]
    # a ~0 ms fit with RAPL's resolution is flagged; the repeated predict window (>= 50 ms) is not,
    # although one predict call (~1 ms) would be; preprocess spends 0 J: flagged
    assert row["train_below_resolution"] and not row["predict_below_resolution"]
    assert row["preprocess_below_resolution"]
    row = _trial(0)
    assert row["predict_repetitions"] == 1 and CountingEstimator.predicts == 1
    assert row["predict_below_resolution"]
