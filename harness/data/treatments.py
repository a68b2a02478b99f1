"""Data-centric treatments: pure functions of data, fraction and seed.

- ``subsample_rows``: stratified random subset keeping ``fraction`` of the rows;
- ``stratified_split``: a stratified train/test split.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.model_selection import train_test_split

from harness.errors import TreatmentError


CLASS_NAMES = {0: "negative", 1: "positive"}


def subsample_sizes(n: int, fraction: float) -> tuple[int, int]:
    """(kept, left out) row counts of ``subsample_rows``: floor(fraction x n) kept, as
    ``train_test_split(train_size=fraction)`` computes it."""
    kept = math.floor(fraction * n)
    return kept, n - kept


def split_sizes(n: int, test_fraction: float) -> tuple[int, int]:
    """(train, test) row counts of ``stratified_split``: ceil(test_fraction x n) in test, as
    ``train_test_split(test_size=test_fraction)`` computes it."""
    n_test = math.ceil(test_fraction * n)
    return n - n_test, n_test


def stratify_problem(y: np.ndarray, n_first: int, n_second: int, parts=("kept", "left out")) -> str | None:
    """Why a stratified ``train_test_split`` of the rows labelled ``y`` into ``n_first`` and
    ``n_second`` rows cannot be made, from the class counts alone; None if it can.

    scikit-learn's ``StratifiedShuffleSplit`` needs every class to have at least 2 rows and each
    part to hold at least as many rows as there are classes (and at least one)."""
    classes, counts = np.unique(y, return_counts=True)
    for c, k in zip(classes, counts):
        if k < 2:
            name = f"{CLASS_NAMES.get(int(c), c)} class" if classes.max() <= 1 else f"class coded {c}"
            return (f"{len(y)} rows hold {k} row of the {name}; "
                    "a stratified split needs at least 2 of each class")
    if len(classes) < 2:
        return f"{len(y)} rows hold one class only; a classifier needs both"
    for part, size in zip(parts, (n_first, n_second)):
        if size < len(classes):
            return (f"the {part} part of {len(y)} rows would hold {size} row(s), fewer than the "
                    f"{len(classes)} classes a stratified split puts in each part")
    return None


def subsample_rows(y: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Indices of a stratified random ``fraction`` of the rows (floor(fraction x n) rows, class
    proportions kept). ``fraction == 1`` returns every row in order.

    Raises TreatmentError when the rows cannot be stratified (``stratify_problem``)."""
    n = len(y)
    if fraction >= 1.0:
        return np.arange(n)
    problem = stratify_problem(y, *subsample_sizes(n, fraction))
    if problem:
        raise TreatmentError(f"row fraction {fraction:g}: {problem}")
    try:
        keep, _ = train_test_split(np.arange(n), train_size=fraction, stratify=y, random_state=seed)
    except ValueError as e:
        raise TreatmentError(f"row fraction {fraction} of {n} rows is too few to keep both classes ({e})") from None
    return keep


def stratified_split(n: int, y: np.ndarray, test_fraction: float, seed: int):
    """(train, test) index arrays into ``n`` rows: a stratified split, ``test_fraction`` in test.

    Raises TreatmentError when the rows cannot be stratified (``stratify_problem``)."""
    problem = stratify_problem(y, *split_sizes(n, test_fraction), parts=("train", "test"))
    if problem:
        raise TreatmentError(f"cannot split {n} rows {1 - test_fraction:.0%}/{test_fraction:.0%}: {problem}")
    try:
        return train_test_split(np.arange(n), test_size=test_fraction, stratify=y, random_state=seed)
    except ValueError as e:
        raise TreatmentError(f"cannot split {n} rows {1 - test_fraction:.0%}/{test_fraction:.0%} "
                             f"keeping both classes ({e}); use a larger row fraction") from None
