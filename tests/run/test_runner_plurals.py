"""The plan ``run`` and ``--dry-run`` print says "1 repetition", "1 trial" (issue 22 item 7: before,
"1 trials = 1 configurations x 1 repetitions"); counts other than 1 keep the plural."""

from harness.plan import make_plan
from harness.run.runner import describe_plan
from harness.spec import parse_spec


def _spec(repetitions, algorithms):
    return parse_spec({"name": "p", "dataset": {"sklearn": "iris"}, "algorithms": algorithms,
                       "repetitions": repetitions, "sweeps": {"rows": {"row_fractions": [1.0]}},
                       "meter": "estimate"}, "<test>")


def test_one_of_each_is_singular():
    spec = _spec(1, ["knn"])
    text = describe_plan(spec, make_plan(spec))
    assert "spec p: 1 trial = 1 configuration x 1 repetition" in text
    assert "= 1 level x 1 algorithm x 1 repetition = 1 trial" in text
    assert "1 repetitions" not in text and "1 trials" not in text


def test_more_keep_the_plural():
    spec = _spec(2, ["knn", "decision_tree"])
    text = describe_plan(spec, make_plan(spec))
    assert "spec p: 4 trials = 2 configurations x 2 repetitions" in text
    assert "= 1 level x 2 algorithms x 2 repetitions = 4 trials" in text
