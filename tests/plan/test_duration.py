"""The timed trial of ``--dry-run`` (harness/plan/duration.py) checks a prediction as a run does:
an estimator whose predict returns floats or the wrong number of labels is found before anything
is written, in one line, exit 2 (before: the dry run passed and the run failed at its first trial)."""

import pytest
from clitools import harness

ESTIMATOR = '''
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class Bad(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        {body}
'''
FAULTS = {
    "floats": ("return np.full(np.asarray(X).shape[0], 0.5)", "predict returned 1 distinct value that is not a label seen in fit (0.5"),
    "length": ("return np.full(np.asarray(X).shape[0] - 1, self.classes_[0])", "predict returned shape"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_dry_run_finds_a_prediction_that_is_not_labels(tmp_path, fault):
    body, says = FAULTS[fault]
    module = f"bad_{fault}"
    (tmp_path / f"{module}.py").write_text(ESTIMATOR.format(body=body))
    spec = tmp_path / "s.yaml"
    spec.write_text(f"""name: s
dataset: {{sklearn: iris}}
repetitions: 1
algorithms: [{{name: bad, class: "{module}:Bad"}}]
sweeps: {{rows: {{row_fractions: [1.0]}}}}
meter: estimate
hygiene: {{warmup_s: 0, cooldown_s: 0, baseline_s: 0}}
""")
    proc = harness("run", spec, "--dry-run", "--results-dir", tmp_path / "out", "--quiet",
                   "--allow-import", module, cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"algorithms 'bad' ({module}:Bad): its timed trial (trial " in proc.stderr and says in proc.stderr
    assert not (tmp_path / "out").exists()
