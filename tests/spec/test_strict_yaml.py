"""Hostile or mistaken YAML: refused fast, in one line, naming the field; nothing is expanded."""

import time

import pytest

from clitools import harness
from harness.errors import SpecError
from harness.spec import load_spec, parse_spec
from harness.spec.strict_yaml import MAX_DEPTH, load_yaml

GOOD = """name: s
algorithms: [decision_tree]
repetitions: 2
sweeps:
  rows: {row_fractions: [0.5, 1.0]}
meter: estimate
"""


def alias_bomb(field="repetitions"):
    """Nine levels of nine aliases: 9**9 values once expanded, in a field that fails validation."""
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    return GOOD.replace("repetitions: 2", "\n".join(lines) + f"\n{field}: *a8")


@pytest.mark.parametrize("text,problem", [
    (alias_bomb(), "more than 100,000 values once YAML aliases"),
    ("x: " + "[" * 20000 + "]" * 20000, f"nested deeper than {MAX_DEPTH} levels"),
    (GOOD + "repetitions: 3\n", "line 7: key 'repetitions' is given twice \\(first on line 3\\)"),
    ("{name: a, name: b}", "key 'name' is given twice"),
])
def test_hostile_yaml_is_refused_fast_in_one_line(tmp_path, text, problem):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    t0 = time.perf_counter()
    with pytest.raises(SpecError, match=problem) as err:
        load_spec(path)
    assert time.perf_counter() - t0 < 5 and "\n" not in str(err.value) and str(path) in str(err.value)


def test_merge_keys_may_override():
    assert load_yaml("base: &b {x: 1, y: 2}\nc: {<<: *b, x: 3}\n", "s")["c"] == {"x": 3, "y": 2}


@pytest.mark.parametrize("line,field", [
    ("repetitions: \"30\"", "repetitions: must be an integer"), ("repetitions: true", "repetitions: must be an integer"),
    ("hygiene: {warmup_s: .inf}", "hygiene.warmup_s: must be a finite number"),
    ("hygiene: {cooldown_s: .nan}", "hygiene.cooldown_s: must be a finite number"),
    ("test_fraction: \"0.3\"", "test_fraction: must be a number"),
    ("hygiene: {cooldown_s: 1.0e+300}", "hygiene.cooldown_s: Input should be less than or equal to 86400"),
    ("hygiene: {cooldown_s: 1e300}", "hygiene.cooldown_s: must be a number .*write 1.0e"),
    ("repetitions: 100000000", "repetitions"),
    ("hygiene: {shuffle: \"yes\"}", "hygiene.shuffle: must be true or false"),
])
def test_values_are_strict_and_bounded(line, field):
    import yaml

    data = yaml.safe_load(GOOD.replace("repetitions: 2", line) if "repetitions" in line else GOOD + line + "\n")
    with pytest.raises(SpecError, match=field):
        parse_spec(data)


def test_a_huge_plan_is_refused_at_load():
    data = load_yaml(GOOD.replace("repetitions: 2", "repetitions: 600000"), "s")
    with pytest.raises(SpecError, match="1,200,000 trials"):
        parse_spec(data)


def test_an_error_message_prints_a_bounded_value():
    long = "x" * 100_000
    with pytest.raises(SpecError) as err:
        parse_spec({**load_yaml(GOOD, "s"), "repetitions": long})
    assert len(str(err.value)) < 300


@pytest.mark.parametrize("extra", [[], ["--dry-run"]])
def test_the_cli_answers_an_alias_bomb_and_inf_with_exit_2(tmp_path, extra):
    for i, text in enumerate([alias_bomb(), GOOD + "hygiene: {warmup_s: .inf}\n"]):
        path = tmp_path / f"s{i}.yaml"
        path.write_text(text)
        t0 = time.perf_counter()
        proc = harness("run", path, "--results-dir", tmp_path / "out", *extra, timeout=60)
        assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
        assert time.perf_counter() - t0 < 30
    assert not (tmp_path / "out").exists()
