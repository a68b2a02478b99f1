"""The built-in tactics by name, how their levels are checked, and user tactics by import path.

A *factor* of a spec is one step of the treatment: a tactic (built-in name or ``class:
package.module:Name``) whose *level* varies across configurations. Each built-in tactic has a kind:

- ``dataset``: removes rows of the whole dataset before the train/test split (T2 redundancy);
- ``rows``: an imbalanced-learn-style sampler, ``fit_resample(X, y)``, applied to training rows only
  under ``holdout`` (T1 sampling);
- ``columns``: a scikit-learn transformer, ``fit`` on training rows, ``transform`` on train and test
  (T3 feature selection, T4 quantization, T5 projection).

The level ``None`` (written ``none`` or ``null`` in YAML) switches a step off in a configuration; so
does a fraction of 1.0 for the fraction tactics (keep everything), as in the ICT4S'22 study.
Tactics from the catalogue of Jaervenpaeae et al., "A synthesis of green architectural tactics for
ML-enabled systems" (ICSE-SEIS 2024): T1 sampling, T2 redundant data, T3 features, T4 input
quantization, T5 projection. Nothing heavy is imported here: the spec module reads this registry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

DTYPES = ("float64", "float32", "float16")


def fraction(v: Any) -> float:
    """A fraction of rows or features in (0, 1]."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not (0 < v <= 1) or math.isnan(v):
        raise ValueError(f"must be a fraction in (0, 1], e.g. 0.1 keeps 10% (got {v!r})")
    return float(v)


def threshold(v: Any) -> float:
    """A cosine-similarity threshold in (0, 1]: rows at or above it count as duplicates."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not (0 < v <= 1) or math.isnan(v):
        raise ValueError(f"must be a cosine-similarity threshold in (0, 1], e.g. 0.9 (got {v!r})")
    return float(v)


def switch(v: Any) -> bool:
    if v is not True:
        raise ValueError(f"must be true (remove) or none (off) (got {v!r})")
    return True


def dtype(v: Any) -> str:
    if v not in DTYPES:
        raise ValueError(f"must be one of {', '.join(DTYPES)} (got {v!r})")
    return str(v)


def bits(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 16:
        raise ValueError(f"must be a whole number of bits from 1 to 16; 1 keeps only presence (got {v!r})")
    return int(v)


def components(v: Any) -> int | float:
    """A number of components (whole number >= 1) or a fraction of the features in (0, 1)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, float) and math.isnan(v)):
        raise ValueError(f"must be a number of components (>= 1) or a fraction of features in (0, 1) (got {v!r})")
    if isinstance(v, int):
        if v < 1:
            raise ValueError(f"must be at least 1 component (got {v!r})")
        return v
    if not 0 < v < 1:
        raise ValueError(f"a fraction of features must be in (0, 1); give a whole number for components (got {v!r})")
    return float(v)


@dataclass(frozen=True)
class TacticInfo:
    """A built-in tactic: its catalogue family (T1..T5), kind, level check and implementation."""

    name: str
    family: str
    kind: str  # dataset | rows | columns
    check_level: Callable[[Any], Any]
    what: str  # what the level means, for messages and docs
    identity: Any = None  # a level that changes nothing besides None (1.0 for fractions)


BUILTIN: dict[str, TacticInfo] = {t.name: t for t in (
    TacticInfo("stratified", "T1", "rows", fraction, "fraction of training rows kept, class shares kept", 1.0),
    TacticInfo("random", "T1", "rows", fraction, "fraction of training rows kept, uniformly at random", 1.0),
    TacticInfo("balanced", "T1", "rows", fraction,
               "fraction of training rows kept, classes as balanced as possible (imbalanced-learn RandomUnderSampler)", 1.0),
    TacticInfo("dedup_exact", "T2", "dataset", switch, "true: drop messages identical after text normalisation"),
    TacticInfo("dedup_near", "T2", "dataset", threshold, "cosine similarity at or above which a later row is dropped"),
    TacticInfo("chi2", "T3", "columns", fraction, "fraction of features kept by chi-squared score", 1.0),
    TacticInfo("mutual_info", "T3", "columns", fraction, "fraction of features kept by mutual information with the label", 1.0),
    TacticInfo("variance", "T3", "columns", fraction, "fraction of features kept by variance (no labels)", 1.0),
    TacticInfo("dtype", "T4", "columns", dtype, "floating-point type of the features", "float64"),
    TacticInfo("kbits", "T4", "columns", bits, "bits per value (1 = presence)"),
    TacticInfo("svd", "T5", "columns", components, "components (>= 1) or fraction of features (TruncatedSVD)"),
    TacticInfo("random_projection", "T5", "columns", components,
               "components (>= 1) or fraction of features (SparseRandomProjection)"),
)}

# Which built-in tactics count in the store's row_fraction and feature_fraction columns.
ROW_FRACTION_TACTICS = ("stratified", "random", "balanced")
FEATURE_FRACTION_TACTICS = ("chi2", "mutual_info", "variance")


def normalise_level(v: Any) -> Any:
    """``none``/``null`` -> None (step off); anything else unchanged."""
    return None if v is None or (isinstance(v, str) and v.strip().lower() == "none") else v


def check_level(tactic: str | None, v: Any) -> Any:
    """The level as the tactic uses it, or ValueError with the allowed values. None is always allowed.
    Levels of a user's class are checked when the class is resolved (``harness.tactics.resolve``)."""
    v = normalise_level(v)
    if v is None or tactic is None:
        return v
    return BUILTIN[tactic].check_level(v)


def is_off(tactic: str | None, level: Any) -> bool:
    """True when this level leaves the data as it is (None, or the tactic's identity level)."""
    if level is None:
        return True
    info = BUILTIN.get(tactic) if tactic else None
    return info is not None and info.identity is not None and level == info.identity


def level_text(level: Any) -> str:
    """How a level is written in trials.csv and in treatment labels: ``none``, ``0.5``, ``float32``."""
    if level is None:
        return "none"
    if isinstance(level, bool):
        return "true" if level else "false"
    if isinstance(level, float):
        return repr(level)
    return str(level)
