"""Cool-down until idle on a fake powercap tree whose power decays after a trial: the wait ends
when the power is back within tolerance, within a sampling period; max_s caps it; the estimate
meter falls back to the fixed sleep and says so."""

import math

import pytest

from harness.errors import SpecError
from harness.hygiene.cooldown import FIXED, FIXED_ESTIMATE, IDLE, MAX_S, NONE, Cooldown
from harness.meters import EstimateMeter
from harness.meters.rapl import RaplMeter
from harness.spec import Hygiene, parse_spec

IDLE_W, EXCESS_W, TAU_S = 10.0, 20.0, 0.2
PERIOD_S, TOLERANCE = 0.1, 0.05
SLACK_S = 0.05  # the scheduler of a busy 2-core machine
# The fake counters are brought up to date at every read (``exact_reads``), so the only lag left is
# the few microseconds between that write and the read.
LAG_ERROR = 0.01


def hygiene(**cooldown):
    opts = {"until_idle": True, "tolerance": TOLERANCE, "min_s": 0.0, "max_s": 10.0, "period_s": PERIOD_S, **cooldown}
    return Hygiene(baseline_s=1, cooldown_s=5, cooldown=opts)


def test_wait_ends_within_a_sampling_period_of_the_power_returning_to_idle(powercap, exact_reads):
    fake = exact_reads(powercap(with_dram=False, with_core=False))
    with RaplMeter() as meter:
        cool = Cooldown(hygiene(), meter, {"total_w": IDLE_W})
        fake.start_decay("package-0", IDLE_W, EXCESS_W, TAU_S)
        result = cool.wait()
    # Instantaneous power reaches the threshold idle x (1 + tolerance) at t_idle. While power decays
    # a window's mean is above the power at its end, so no window ending before t_idle passes (but
    # for the counter's lag: none ending before the power is LAG_ERROR above the threshold), and
    # the first window lying wholly after t_idle passes: the wait ends by t_idle + 2 periods.
    threshold = IDLE_W * (1 + TOLERANCE)
    t_idle = TAU_S * math.log(EXCESS_W / (threshold - IDLE_W))
    t_early = TAU_S * math.log(EXCESS_W / (threshold * (1 + LAG_ERROR) - IDLE_W))
    assert result.end == IDLE
    assert t_early <= result.waited_s <= t_idle + 2 * PERIOD_S + SLACK_S
    assert result.start_power_w <= IDLE_W * (1 + TOLERANCE)


def test_a_machine_already_idle_waits_min_s(powercap, exact_reads):
    fake = exact_reads(powercap(with_dram=False, with_core=False))
    fake.start({"package-0": IDLE_W})
    with RaplMeter() as meter:
        result = Cooldown(hygiene(min_s=0.3), meter, {"total_w": IDLE_W}).wait()
    assert result.end == IDLE and 0.3 <= result.waited_s <= 0.3 + PERIOD_S + SLACK_S
    assert result.start_power_w == pytest.approx(IDLE_W, rel=0.05)


def test_max_s_caps_the_wait_and_the_row_says_so(powercap, exact_reads):
    fake = exact_reads(powercap(with_dram=False, with_core=False))
    fake.start({"package-0": 3 * IDLE_W})  # never cools down
    with RaplMeter() as meter:
        result = Cooldown(hygiene(max_s=0.3), meter, {"total_w": IDLE_W}).wait()
    assert result.end == MAX_S and 0.3 <= result.waited_s <= 0.3 + PERIOD_S + SLACK_S
    assert result.start_power_w == pytest.approx(3 * IDLE_W, rel=0.05)
    assert result.columns() == {"cooldown_waited_s": result.waited_s, "cooldown_end": "max_s",
                                "start_power_w": result.start_power_w}


def test_estimate_meter_falls_back_to_the_fixed_sleep_and_says_so():
    slept = []
    cool = Cooldown(hygiene(), EstimateMeter(), {"total_w": 0.0}, sleep=slept.append)
    assert "cannot see" in cool.note and "fixed cooldown_s = 5 s" in cool.note
    result = cool.wait()
    assert slept == [5.0] and result.end == FIXED_ESTIMATE and math.isnan(result.start_power_w)


def test_fixed_sleep_with_counters_samples_the_power_at_its_end(powercap, exact_reads):
    fake = exact_reads(powercap(with_dram=False, with_core=False))
    fake.start({"package-0": 12.0})
    with RaplMeter() as meter:
        result = Cooldown(Hygiene(cooldown_s=0.2), meter, None).wait()
    assert result.end == FIXED and 0.2 <= result.waited_s <= 0.2 + SLACK_S
    assert result.start_power_w == pytest.approx(12.0, rel=0.05)


def test_no_cooldown_waits_nothing():
    result = Cooldown(Hygiene(), EstimateMeter(), None, sleep=lambda s: pytest.fail("slept")).wait()
    assert result.end == NONE and result.waited_s == 0


@pytest.mark.parametrize("hyg, message", [
    ({"cooldown": {"until_idle": True}}, "hygiene: cooldown.until_idle compares power with the idle baseline"),
    ({"baseline_s": 1, "cooldown": {"until_idle": True, "min_s": 5, "max_s": 1}}, "min_s (5) must not exceed max_s (1)"),
    ({"baseline_s": 1, "cooldown": {"until_idle": True, "tolerance": 0}}, "hygiene.cooldown.tolerance"),
    ({"min_phase_s": -1}, "hygiene.min_phase_s"),
])
def test_bad_cooldown_options_are_one_line_spec_errors(hyg, message):
    with pytest.raises(SpecError) as e:
        parse_spec({"name": "x", "algorithms": ["knn"], "sweeps": {"rows": {}}, "hygiene": hyg}, "s.yaml")
    assert message in str(e.value) and "\n" not in str(e.value)


def test_new_hygiene_keys_at_their_defaults_keep_old_design_hashes():
    base = {"name": "x", "algorithms": ["knn"], "sweeps": {"rows": {}}, "hygiene": {"cooldown_s": 5}}
    explicit = {**base, "hygiene": {"cooldown_s": 5, "min_phase_s": 0, "rel_error": 0.05}}
    changed = {**base, "hygiene": {"cooldown_s": 5, "min_phase_s": 0.1}}
    assert parse_spec(base).design_hash() == parse_spec(explicit).design_hash()
    assert parse_spec(base).design_hash() != parse_spec(changed).design_hash()
    # the hash of this design before any key was added (computed with the code at e25451b)
    assert parse_spec(base).design_hash() == OLD_HASH


OLD_HASH = "4ea92979ea4990f5249e58ea944c036fe0c56e8b069396f4297627b950ea439d"


@pytest.mark.slow
def test_settle_waits_for_the_power_to_stop_falling_before_the_baseline(powercap, exact_reads):
    from harness.hygiene.cooldown import settle

    fake = exact_reads(powercap(with_dram=False, with_core=False))
    with RaplMeter() as meter:
        fake.start_decay("package-0", IDLE_W, EXCESS_W, 0.3)
        out = settle(meter, hygiene().cooldown)
    # windows of 0.5 s: power falls by less than 5%/4 of ~10 W only once the excess is < ~0.3 W,
    # which a 20 W excess decaying with tau 0.3 s reaches after 0.3 x ln(20 / 0.3) = 1.26 s
    assert out["end"] == "steady" and 1.0 <= out["settled_s"] <= 2.6
    assert out["power_w"] == pytest.approx(IDLE_W, rel=0.03)
