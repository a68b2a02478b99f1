"""Up-front checks of a whole plan, run before anything is written (and by ``--dry-run``).

Every (row level, repetition) of the plan is checked, not one seed per level: whether a stratified
subsample of a rare class can still be split depends on the repetition's draw. The checks use
class counts and row indices only (the protocol's ``rows``: the same seeded draws as the trials),
never a fit, so they take a fraction of a second even for 3,600 trials. Preconditions a treatment
has on the whole feature matrix (chi-squared selection needs non-negative features) are checked
once per matrix.

Each failure is a HarnessError naming the sweep, level, repetition and seed, the label column or
feature column at fault, and a fix.
"""

from __future__ import annotations

import numpy as np

from harness.errors import DatasetError, SpecError


def _label_note(dataset) -> str:
    if _n_classes(dataset) > 2:
        counts = ", ".join(f"{n} {label!r}" for label, n in dataset.class_counts().items())
        return f"label column {dataset.label_column!r}: {counts} of {dataset.n_rows} rows"
    return (f"label column {dataset.label_column!r}: {int(dataset.y.sum())} {dataset.positive_label!r} "
            f"(positive) of {dataset.n_rows} rows")


def _n_classes(dataset) -> int:
    return getattr(dataset, "n_classes", 2)


def _class_name(dataset, code: int) -> str:
    classes = getattr(dataset, "classes", ())
    return repr(classes[code]) if code < len(classes) else str(code)


def check_class_counts(plan, protocol, dataset) -> None:
    """Three or more classes: raise SpecError naming the first class and row level whose rows are
    too few for the stratified subsample and split of every draw (scikit-learn's stratified split
    needs 2 rows of a class to put one in each part), from class counts alone."""
    from harness.data.treatments import subsample_sizes

    if _n_classes(dataset) <= 2 or protocol.name not in ("ict4s22", "holdout"):
        return
    pool = dataset.y[protocol.train] if protocol.name == "holdout" else dataset.y
    counts = np.bincount(pool, minlength=_n_classes(dataset))
    n = len(pool)
    levels: dict[float, str] = {}
    for t in plan:
        levels.setdefault(t.row_fraction, t.sweep)
    holdout = protocol.name == "holdout"
    # ict4s22 splits the kept rows into train and test: 2 of a class put one in each part; holdout's
    # test set is fixed, so 1 kept row of a class trains on it. Subsampling itself stratifies: 2 rows.
    need = 1 if holdout else 2
    what = "the training rows (holdout)" if holdout else "the data set"
    for fraction, sweep in sorted(levels.items()):
        n_keep = subsample_sizes(n, fraction)[0] if fraction < 1 else n
        for code, count in enumerate(counts):
            kept = int(count) if fraction >= 1 else min(_draws(n_keep * count / n, int(count)))
            if kept < need or (fraction < 1 and count < 2):
                raise SpecError(
                    f"sweeps.{sweep}.row_fractions: level {fraction:g} keeps {kept} row(s) of class "
                    f"{_class_name(dataset, code)} ({count} in {what}); every class needs at least {need} at every "
                    f"level{'' if holdout else ' (one for training, one for the test part)'} "
                    f"({_label_note(dataset)}); use a larger row fraction, drop this level, or merge or drop "
                    "the rare class")


def check_rows(plan, protocol, dataset) -> None:
    """Raise SpecError unless every (row fraction, repetition) of ``plan`` gives training rows with
    every class and test rows with at least one positive (two classes; else F1 is undefined) or
    with every class (three or more: each class's recall enters the macro average)."""
    levels: dict[float, str] = {}
    for t in plan:
        levels.setdefault(t.row_fraction, t.sweep)
    seeds = sorted({(t.repetition, t.seed) for t in plan})
    y = dataset.y
    k = _n_classes(dataset)
    for fraction, sweep in levels.items():
        if _every_draw_fine(protocol, y, fraction, k):
            continue
        failures = []
        for repetition, seed in seeds:
            problem = _rows_problem(protocol, y, fraction, seed, dataset)
            if problem:
                failures.append((repetition, seed, problem))
        if failures:
            repetition, seed, problem = failures[0]
            raise SpecError(
                f"sweeps.{sweep}.row_fractions: level {fraction:g} fails in {len(failures)} of {len(seeds)} "
                f"repetition(s) (first: repetition {repetition}, seed {seed}): {problem} ({_label_note(dataset)}); "
                "use a larger row fraction, drop this level, or a dataset with more rows of the rare class")


def _every_draw_fine(protocol, y: np.ndarray, fraction: float, n_classes: int = 2) -> bool:
    """True when every possible draw at ``fraction`` passes ``_rows_problem``, from class counts
    alone; False means "compute each repetition's draw".

    A stratified ``train_test_split`` gives each class floor(e) or floor(e) + 1 rows of a part
    whose expected share is e (scikit-learn's ``_approximate_mode``: floors, then the largest
    remainders, ties broken at random), and the other part gets the rest. Checking every such
    outcome is a sound shortcut; only levels near the limits need the real draws."""
    from harness.data.treatments import split_sizes, stratify_problem, subsample_sizes

    if protocol.name == "holdout":
        pool, test_fraction = y[protocol.train], None
        if not protocol.y_test.any() or len(np.unique(protocol.y_test)) < n_classes:
            return False
    elif protocol.name == "ict4s22":
        pool, test_fraction = y, protocol.test_fraction
    else:  # a protocol whose row flow this shortcut does not know: compute every draw
        return False
    n = len(pool)
    n_keep = subsample_sizes(n, fraction)[0] if fraction < 1 else n
    if fraction < 1 and stratify_problem(pool, n_keep, n - n_keep):
        return False
    counts = np.bincount(pool, minlength=max(2, n_classes))
    for c, count in enumerate(counts):
        kept = {count} if fraction >= 1 else _draws(n_keep * count / n, count)
        if test_fraction is None:
            if min(kept) < 1:
                return False
            continue
        n_train, n_test = split_sizes(n_keep, test_fraction)
        if min(kept) < 2 or n_train < 2 or n_test < 2:
            return False
        for s in kept:
            for t in _draws(n_train * s / n_keep, s):
                if t < 1 or ((c == 1 or n_classes > 2) and s - t < 1):
                    return False
    return True


def _draws(expected: float, cap: int) -> set[int]:
    low = int(np.floor(expected))
    return {min(low, cap), min(low + 1, cap)}


def _rows_problem(protocol, y: np.ndarray, fraction: float, seed: int, dataset=None) -> str | None:
    from harness.errors import HarnessError

    try:
        train, test = protocol.rows(fraction, seed)
    except HarnessError as e:
        return str(e)
    k = _n_classes(dataset) if dataset is not None else 2
    if k > 2:
        for rows, part in ((train, "training"), (test, "test")):
            absent = np.flatnonzero(np.bincount(y[rows], minlength=k) == 0)
            if len(absent):
                return (f"the {len(rows)} {part} rows hold no row of class {_class_name(dataset, int(absent[0]))}, "
                        f"so {'it cannot be learned' if part == 'training' else 'its recall and the macro F1 are undefined'}")
        return None
    if len(np.unique(y[train])) < 2:
        return f"the {len(train)} training rows hold one class only"
    if not y[test].any():
        return f"the {len(test)} test rows hold no positive row, so precision, recall and F1 are undefined"
    return None


def check_feature_selection(plan, X, dataset) -> None:
    """Chi-squared selection (any feature fraction < 1) needs non-negative features: raise
    DatasetError naming the column(s) with negative values and the first level that selects."""
    selecting = next((t for t in plan if t.feature_fraction < 1), None)
    if selecting is None:
        return
    import scipy.sparse as sp

    mins = np.asarray(X.min(axis=0).toarray() if sp.issparse(X) else np.min(X, axis=0)).ravel()
    negative = np.flatnonzero(mins < 0)
    if not len(negative):
        return
    names = _column_names(X.shape[1], dataset.column_names)
    shown = ", ".join(f"{names[j]} (min {mins[j]:.4g})" for j in negative[:5])
    more = f" and {len(negative) - 5} more" if len(negative) > 5 else ""
    raise DatasetError(
        f"{dataset.path}: column(s) {shown}{more} hold negative values, but sweeps.{selecting.sweep} level "
        f"feature_fractions {selecting.feature_fraction:g} uses chi-squared selection, which needs non-negative "
        "features; shift or rescale those columns to >= 0, or keep feature fractions at 1.0")


def _column_names(n_features: int, numeric: tuple[str, ...]) -> list[str]:
    """Names of the feature columns: the dataset's numeric columns are the last ones (after the
    tf-idf terms and the length column, which are never negative)."""
    first = n_features - len(numeric)
    return [repr(numeric[j - first]) if j >= first else f"feature {j}" for j in range(n_features)]


def _legacy(protocol) -> bool:
    """True when the protocol's treatment is the ICT4S'22 one these checks model: stratified row
    subsampling (``protocol.rows``) and chi2 feature selection, no dataset step (duplicate removal)
    or other row or column tactic. Other pipelines are checked by applying each treatment once
    (``runner.check_treatments``)."""
    if not hasattr(protocol, "rows"):
        return False
    pipeline = getattr(protocol, "pipeline", None)
    if pipeline is None:
        return True
    tactics = {(f.name, f.kind, f.tactic) for f in pipeline.factors.values()}
    return tactics <= {("rows", "rows", "stratified"), ("features", "columns", "chi2")}


def check_plan(plan, protocol, dataset, X) -> None:
    """Every check that needs the data, for every trial of ``plan``; raises before anything is written.
    Applies to the ICT4S'22 treatment (``_legacy``); other pipelines return without a check here."""
    if not _legacy(protocol):
        return
    check_feature_selection(plan, X, dataset)
    check_class_counts(plan, protocol, dataset)
    check_rows(plan, protocol, dataset)


def label_copies(dataset) -> list[str]:
    """The numeric feature columns that give the label away: one value for every row of each class,
    a different one per class (a copy of the label, or of its code: 0/1 for two classes, any
    distinct values for three or more). Every score would be near 1.0 with one of them among the
    features, a leak the spec did not name as the label."""
    if dataset.columns is None:
        return []
    y = np.asarray(dataset.y)
    classes = np.unique(y)
    out = []
    for j, name in enumerate(dataset.column_names):
        column = dataset.columns[:, j]
        values = [np.unique(column[y == c]) for c in classes]
        if all(len(v) == 1 for v in values) and len(np.unique([v[0] for v in values])) == len(classes):
            out.append(name)
    return out
