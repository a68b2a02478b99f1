"""Test scores of a trial: accuracy, precision, recall and F1.

Two classes are scored as the ICT4S'22 study scored them: precision, recall and F1 of the positive
class (``average="binary"``, label 1 = the dataset's ``positive_label``). Three or more classes
are scored with scikit-learn's macro averages (``average="macro"``: the unweighted mean over every
class of the data set, so a rare class counts as much as a common one). A class that is never
predicted scores precision 0 (``zero_division=0``), as in the binary case.
"""

from __future__ import annotations

import numpy as np

BINARY, MACRO = "binary", "macro"


def f1_average(n_classes: int) -> str:
    """``"binary"`` for two classes, ``"macro"`` for three or more: how precision, recall and F1
    are averaged (the ``f1_average`` column and manifest entry)."""
    return BINARY if n_classes <= 2 else MACRO


def scores(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> dict:
    """accuracy, precision, recall, f1 (floats in [0, 1]) of ``y_pred`` against ``y_true``, shape
    (n_test,) class codes 0..n_classes-1; averaged as ``f1_average(n_classes)``."""
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    average = f1_average(n_classes)
    if average == BINARY:
        p, r, f1, _ = precision_recall_fscore_support(y_true, y_pred, average=BINARY, pos_label=1, zero_division=0)
    else:
        p, r, f1, _ = precision_recall_fscore_support(y_true, y_pred, labels=np.arange(n_classes), average=MACRO,
                                                      zero_division=0)
    return {"accuracy": float(accuracy_score(y_true, y_pred)), "precision": float(p), "recall": float(r),
            "f1": float(f1)}


def f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """F1 of a validation fold (tuning): binary when the codes are 0/1, else macro over the codes
    seen in either array (a fold of a 3-class data set holds every class: folds are stratified)."""
    from sklearn.metrics import f1_score

    if max(int(np.max(y_true, initial=0)), int(np.max(y_pred, initial=0))) <= 1:
        return float(f1_score(y_true, y_pred, pos_label=1, zero_division=0))
    return float(f1_score(y_true, y_pred, average=MACRO, zero_division=0))


def averaging_note(average: str, n_classes: int | None = None, positive_label: str | None = None) -> str:
    """One sentence naming the averaging, for tables and reports."""
    if average == MACRO:
        k = f" over {n_classes} classes" if n_classes else ""
        return f"Precision, recall and F1: macro-averaged{k} (unweighted mean of the per-class scores)."
    pos = f" ({positive_label!r})" if positive_label else ""
    return f"Precision, recall and F1: binary, of the positive class{pos}."
