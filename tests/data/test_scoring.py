"""Scores: binary F1 of the positive class for two classes, macro averages for three or more."""

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score

from harness.data.scoring import f1, f1_average, scores


def test_macro_f1_known_answer_on_a_hand_case():
    # class 0: tp 2, fp 0, fn 0 -> F1 1; class 1: tp 1, fp 1, fn 1 -> P 1/2, R 1/2, F1 1/2;
    # class 2: tp 1, fp 1, fn 1 -> F1 1/2. Macro F1 = (1 + 1/2 + 1/2) / 3 = 2/3.
    y_true = np.array([0, 0, 1, 1, 2, 2])
    y_pred = np.array([0, 0, 1, 2, 2, 1])
    s = scores(y_true, y_pred, 3)
    assert s["f1"] == pytest.approx(2 / 3)
    assert s["precision"] == pytest.approx(2 / 3) and s["recall"] == pytest.approx(2 / 3)
    assert s["accuracy"] == pytest.approx(4 / 6)
    assert s["f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))


def test_macro_average_counts_a_class_missing_from_test_and_predictions():
    # a 4-class data set whose test rows hold 3 classes: class 3 scores 0 and still counts (labels=all codes)
    y_true = np.array([0, 1, 2, 2])
    y_pred = np.array([0, 1, 2, 2])
    assert scores(y_true, y_pred, 4)["f1"] == pytest.approx(3 / 4)
    assert scores(y_true, y_pred, 4)["f1"] == pytest.approx(
        f1_score(y_true, y_pred, labels=[0, 1, 2, 3], average="macro", zero_division=0))


def test_two_classes_keep_the_papers_binary_f1_of_the_positive_class():
    rng = np.random.default_rng(3)
    y_true, y_pred = rng.integers(0, 2, 50), rng.integers(0, 2, 50)
    s = scores(y_true, y_pred, 2)
    assert s["f1"] == pytest.approx(f1_score(y_true, y_pred, pos_label=1))
    assert s["precision"] == pytest.approx(precision_score(y_true, y_pred, pos_label=1))
    assert s["recall"] == pytest.approx(recall_score(y_true, y_pred, pos_label=1))
    # hand case: positive P 1/2, R 1 -> F1 2/3 (macro would be (0.8 + 2/3) / 2)
    assert scores(np.array([1, 0, 0, 0]), np.array([1, 1, 0, 0]), 2)["f1"] == pytest.approx(2 / 3)
    assert (f1_average(2), f1_average(3), f1_average(10)) == ("binary", "macro", "macro")


def test_validation_f1_of_tuning_follows_the_codes():
    assert f1(np.array([0, 1, 1]), np.array([0, 1, 0])) == pytest.approx(f1_score([0, 1, 1], [0, 1, 0]))
    y_true, y_pred = np.array([0, 0, 1, 1, 2, 2]), np.array([0, 0, 1, 2, 2, 1])
    assert f1(y_true, y_pred) == pytest.approx(2 / 3)
