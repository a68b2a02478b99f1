import numpy as np
import pytest

from harness.data.datasets import load_sms_spam
from harness.data.features import build_features
from harness.plan.protocols import ICT4S22, Holdout
from harness.spec import TextOptions
from harness.data.treatments import subsample_rows
from harness.tactics.selection import FeatureSelector


@pytest.fixture(scope="module")
def spam():
    fm = build_features(load_sms_spam(), TextOptions())
    return fm.X, fm.y


@pytest.mark.parametrize("fraction", [0.1, 0.35, 0.9])
def test_subsample_keeps_fraction_and_class_balance(spam, fraction):
    _, y = spam
    rows = subsample_rows(y, fraction, seed=7)
    assert abs(len(rows) - fraction * len(y)) <= 1
    assert len(set(rows.tolist())) == len(rows)
    assert abs(y[rows].sum() - fraction * y.sum()) <= 1  # stratified: spam share kept within one row


def test_subsample_is_seeded(spam):
    _, y = spam
    assert np.array_equal(subsample_rows(y, 0.2, 1), subsample_rows(y, 0.2, 1))
    assert not np.array_equal(subsample_rows(y, 0.2, 1), subsample_rows(y, 0.2, 2))
    assert np.array_equal(subsample_rows(y, 1.0, 1), np.arange(len(y)))


@pytest.mark.parametrize("fraction", [0.1, 0.5])
def test_chi2_selection_keeps_fraction_of_features(spam, fraction):
    X, y = spam
    kept = FeatureSelector("chi2", fraction).fit(X, y).transform(X).shape[1]
    assert abs(kept - fraction * X.shape[1]) <= 1
    assert FeatureSelector("chi2", 1.0).fit(X, y).transform(X).shape[1] == X.shape[1]


def test_ict4s22_split_is_70_30_of_the_subset(spam):
    X, y = spam
    split = ICT4S22(X, y, 0.3, 42).preprocess(0.5, 0.2, seed=3)
    n = len(split.y_train) + len(split.y_test)
    assert abs(n - 0.5 * len(y)) <= 1
    assert abs(len(split.y_test) - 0.3 * n) <= 1
    assert split.X_train.shape[1] == split.X_test.shape[1]
    assert abs(split.X_train.shape[1] - 0.2 * X.shape[1]) <= 1


def test_holdout_has_a_fixed_test_set_and_no_leakage(spam):
    X, y = spam
    proto = Holdout(X, y, 0.3, 42)
    assert not set(proto.train.tolist()) & set(proto.test.tolist())
    a = proto.preprocess(0.2, 1.0, seed=1)
    b = proto.preprocess(1.0, 1.0, seed=2)
    assert np.array_equal(a.y_test, b.y_test) and len(a.y_test) == len(proto.test)
    assert abs(len(a.y_train) - 0.2 * len(proto.train)) <= 1
    # feature selection is fitted on training rows only: test labels cannot change it
    y_flipped = y.copy()
    y_flipped[proto.test] = 1 - y_flipped[proto.test]
    c = Holdout(X, y, 0.3, 42)
    c.y = y_flipped  # same split, but every test label is now wrong
    sel_a = proto.preprocess(0.5, 0.1, seed=5)
    sel_c = c.preprocess(0.5, 0.1, seed=5)
    assert (sel_a.X_train != sel_c.X_train).nnz == 0
