"""One trial's fault line: an estimator's error in one sentence, with the fix where there is one."""

from types import SimpleNamespace

from harness.run.trial import _raised, estimator_fault


class GNB:  # a class whose path the line names
    pass


def test_a_fault_line_has_no_doubled_punctuation_and_names_the_fix():
    algorithm = SimpleNamespace(name="nb", cls=GNB, dense=False)
    trial = SimpleNamespace(trial_id=7)
    what = _raised(TypeError("Sparse data was passed, but dense data is required. Use X.toarray()."), "fit")
    line = str(estimator_fault(algorithm, trial, what))
    assert line.startswith(f"algorithms 'nb' ({GNB.__module__}:GNB) in trial 7: fit raised TypeError: Sparse data")
    assert "toarray(); give it dense features with 'dense: true'" in line and ".;" not in line
    assert line.endswith("; the rows of finished trials are kept")
