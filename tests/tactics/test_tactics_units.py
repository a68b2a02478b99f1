"""Known answers for each tactic family: duplicates planted and removed exactly, projection shapes,
dtypes reaching the estimator, kbits=1 as presence, mutual information as scikit-learn computes it,
samplers' class counts from labels alone, scaling of the numeric columns only."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_selection import mutual_info_classif
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from harness.errors import HarnessError
from harness.tactics import DataContext, Factor, TacticPipeline
from harness.tactics.projection import Projection
from harness.tactics.quantization import DtypeCast, KBitsQuantizer, fitted_dtype
from harness.tactics.redundancy import ExactDuplicateRemover, NearDuplicateRemover
from harness.tactics.sampling import BalancedSampler, RandomSampler, StratifiedSampler, balanced_counts
from harness.tactics.scaling import NumericScaler
from harness.tactics.selection import FeatureSelector, presence_mutual_info


def test_planted_exact_duplicates_are_removed_exactly():
    keys = ["a b", "c", "a b", "d", "c", "a b", "e"]
    X = sp.csr_matrix(np.arange(7, dtype=float)[:, None] + 1)
    Xr, yr = (r := ExactDuplicateRemover(keys)).fit_resample(X, np.arange(7))
    assert r.sample_indices_.tolist() == [0, 1, 3, 6] and yr.tolist() == [0, 1, 3, 6]


def test_planted_near_duplicates_are_removed_exactly():
    rng = np.random.default_rng(0)
    base = rng.random((20, 50)) * (rng.random((20, 50)) < 0.3)
    base[:, 0] += 1  # no all-zero row
    # rows 20..24 copy rows 0..4 at cosine 1; rows 25..29 perturb rows 5..9 slightly (cosine > 0.99)
    near = base[5:10] + 0.01 * (base[5:10] > 0)
    X = sp.csr_matrix(np.vstack([base, 3 * base[0:5], near]))
    cos = (X[25:30].multiply(X[5:10]).sum(axis=1).A1 /
           (np.linalg.norm(X[25:30].toarray(), axis=1) * np.linalg.norm(X[5:10].toarray(), axis=1)))
    assert (cos > 0.99).all()
    others = X[:20].toarray() / np.linalg.norm(X[:20].toarray(), axis=1, keepdims=True)
    assert (np.triu(others @ others.T, 1) < 0.99).all()  # the originals are not near each other
    r = NearDuplicateRemover(0.99)
    r.fit_resample(X, np.zeros(30))
    assert r.sample_indices_.tolist() == list(range(20))
    r1 = NearDuplicateRemover(1.0)
    r1.fit_resample(X, np.zeros(30))
    assert r1.sample_indices_.tolist() == list(range(20)) + list(range(25, 30))


def test_near_duplicates_use_only_the_text_columns():
    text = np.array([[1.0, 0.0], [0.0, 1.0]])
    length = np.array([[100.0], [101.0]])  # would make the two rows near-identical
    X = sp.csr_matrix(np.hstack([text, length]))
    r = NearDuplicateRemover(0.9, columns=slice(0, 2))
    r.fit_resample(X, np.zeros(2))
    assert r.sample_indices_.tolist() == [0, 1]


@pytest.mark.parametrize("method,level,expect", [("svd", 7, 7), ("random_projection", 12, 12), ("svd", 0.25, 10)])
def test_projections_give_the_asked_shape(method, level, expect):
    X = sp.random(60, 40, density=0.3, random_state=1, format="csr")
    p = Projection(method, level, random_state=0).fit(X[:40])
    assert p.transform(X[:40]).shape == (40, expect) and p.transform(X[40:]).shape == (20, expect)


def test_projection_with_too_many_components_is_refused():
    with pytest.raises(HarnessError, match="components"):
        Projection("svd", 40, 0).fit(sp.random(50, 40, density=0.3, random_state=1, format="csr"))


def test_dtype_reaches_the_estimator_and_upcasts_are_recorded():
    rng = np.random.default_rng(0)
    X, y = rng.random((80, 5)), rng.integers(0, 2, 80)
    X32 = DtypeCast("float32").fit_transform(X)
    assert X32.dtype == np.float32
    assert fitted_dtype(SVC().fit(X32, y), 5) == "float64"  # libsvm upcasts: recorded
    assert fitted_dtype(DecisionTreeClassifier().fit(X, y), 5) == "float32"  # trees always use float32
    X16 = DtypeCast("float16").fit_transform(X)
    assert X16.dtype == np.float16
    with pytest.raises(HarnessError, match="float16"):
        DtypeCast("float16").fit_transform(sp.csr_matrix(X))


def test_kbits_one_gives_presence_and_more_bits_keep_order():
    X = sp.csr_matrix(np.array([[0.0, 0.2, 3.0], [0.5, 0.0, 1.0], [1.0, 0.1, 0.0]]))
    one = KBitsQuantizer(1).fit(X).transform(X)
    assert np.array_equal(one.toarray(), (X.toarray() != 0).astype(float))
    two = KBitsQuantizer(2).fit(X).transform(X).toarray()
    assert np.allclose(two[:, 2], [1.0, 1 / 3, 0.0])  # 3/3 -> 1, 1/3 -> 1 level of 3
    assert np.allclose(two[:, 0], [0.0, 2 / 3, 1.0])  # 0.5 x 3 levels = 1.5 -> 2 of 3
    test = KBitsQuantizer(8).fit(X).transform(sp.csr_matrix([[2.0, 0.0, 0.0]]))
    assert test.toarray()[0, 0] == 1.0  # beyond the training maximum: top level


def test_presence_mutual_info_equals_scikit_learn():
    rng = np.random.default_rng(3)
    X = sp.random(200, 30, density=0.2, random_state=3, format="csr")
    y = rng.integers(0, 2, 200)
    expected = mutual_info_classif((X != 0).astype(float), y, discrete_features=True)
    assert np.allclose(presence_mutual_info(X, y), expected, atol=1e-12)


def test_samplers_keep_the_class_counts_of_their_kind():
    y = np.array([0] * 90 + [1] * 10)
    X = sp.csr_matrix(np.arange(100, dtype=float)[:, None])
    for sampler, expect in ((StratifiedSampler(0.5, 1), {0: 45, 1: 5}), (BalancedSampler(0.2, 1), {0: 10, 1: 10})):
        Xr, yr = sampler.fit_resample(X, y)
        assert dict(zip(*np.unique(yr, return_counts=True))) == expect
        assert np.array_equal(Xr.toarray().ravel(), sampler.sample_indices_)  # the rows it says it kept
    r = RandomSampler(0.3, 2)
    _, yr = r.fit_resample(X, y)
    assert len(yr) == 30
    assert balanced_counts({0: 90, 1: 10}, 50) == {1: 10, 0: 40}


def test_variance_selection_keeps_the_most_varied_columns():
    X = np.column_stack([np.zeros(10), np.arange(10.0), np.arange(10.0) * 3, np.ones(10)])
    sel = FeatureSelector("variance", 0.5).fit(X, np.zeros(10))
    assert sel.selector_.get_support().tolist() == [False, True, True, False]


def test_scale_touches_only_the_numeric_columns_and_is_fitted_on_training_rows():
    X = sp.csr_matrix(np.array([[0.5, 10.0], [0.0, 20.0], [0.2, 30.0], [0.1, 1000.0]]))
    s = NumericScaler("standard", 1).fit(X[:3])
    out = s.transform(X).toarray()
    assert np.allclose(out[:, 0], X[:, 0].toarray().ravel())
    assert np.allclose(out[:3, 1], [-1.2247449, 0.0, 1.2247449])  # mean 20, sd 8.165 of training rows
    m = NumericScaler("maxabs", 1).fit(X[:3]).transform(X).toarray()
    assert np.allclose(m[:, 1], [1 / 3, 2 / 3, 1.0, 1000 / 30])


def test_pipeline_label_order_and_off_levels():
    factors = [Factor("d", "dataset", "T2", tactic="dedup_exact"), Factor("rows", "rows", "T1", tactic="stratified"),
               Factor("f", "columns", "T3", tactic="chi2")]
    p = TacticPipeline(factors, "maxabs", DataContext(n_numeric=1))
    assert p.label((("d", None), ("rows", 1.0), ("f", 0.5))) == "scale=maxabs+f=0.5"
    assert TacticPipeline(factors).label((("d", True), ("rows", 0.1), ("f", None))) == "d=true+rows=0.1"
    assert TacticPipeline(factors).label((("d", None), ("rows", 1.0), ("f", 1.0))) == "none"
