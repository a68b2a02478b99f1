"""Search spaces of a tuning study, declared in the spec per algorithm.

A parameter's values are either a list (a categorical choice: every strategy can use it) or a range
``{low: 0.001, high: 100, log: true}`` (``type: int`` for integers), which random and Bayesian search
sample and grid search cannot enumerate. Spaces are checked against the estimator when the spec
loads (``check_space``): unknown parameters and values the estimator rejects fail there, never mid-run.

Sources: grid points come from ``sklearn.model_selection.ParameterGrid``; random draws from
``sklearn.model_selection.ParameterSampler`` (lists sampled without replacement when every parameter
is a list, ranges from ``scipy.stats.uniform``/``loguniform``/``randint``); Bayesian proposals from
Optuna's TPE sampler (``optuna.samplers.TPESampler``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from harness.errors import SpecError
from harness.imports import parameter_problem


@dataclass(frozen=True)
class Range:
    """A numeric range [low, high]; ``log`` samples on a log scale; ``integer`` draws integers."""

    low: float
    high: float
    log: bool = False
    integer: bool = False


Space = dict[str, "list[Any] | Range"]


def parse_space(raw: Any, where: str) -> Space:
    """A spec's space for one algorithm as {parameter: list of values | Range}.

    Raises SpecError naming ``where`` (e.g. ``tuning.spaces.svm``) for an empty space, an empty or
    repeated value list, or a malformed range."""
    if not isinstance(raw, dict) or not raw:
        raise SpecError(f"{where}: a search space is a non-empty mapping of parameter -> list of values "
                        "or {low, high, log}")
    space: Space = {}
    for name, values in raw.items():
        at = f"{where}.{name}"
        if isinstance(values, list):
            if not values:
                raise SpecError(f"{at}: the list of values is empty; give at least one value")
            keys = [repr(v) for v in values]
            if len(set(keys)) != len(keys):
                raise SpecError(f"{at}: values repeat; list each value once")
            if any(isinstance(v, (list, dict)) for v in values):
                raise SpecError(f"{at}: values must be numbers, strings, booleans or null")
            space[str(name)] = list(values)
        elif isinstance(values, dict):
            unknown = set(values) - {"low", "high", "log", "type"}
            if unknown:
                raise SpecError(f"{at}: unknown key {sorted(unknown)[0]!r} in a range; use low, high, log, type")
            low, high = values.get("low"), values.get("high")
            numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                          for v in (low, high))
            if not numeric or not low < high:
                raise SpecError(f"{at}: a range needs finite numbers low < high (got low={low!r}, high={high!r})")
            log = values.get("log", False)
            kind = values.get("type", "float")
            if not isinstance(log, bool) or kind not in ("float", "int"):
                raise SpecError(f"{at}: log must be true/false and type float or int")
            if log and low <= 0:
                raise SpecError(f"{at}: a log range needs low > 0 (got {low!r})")
            space[str(name)] = Range(float(low), float(high), log, kind == "int")
        else:
            raise SpecError(f"{at}: give a list of values or a range {{low, high, log}} (got {type(values).__name__})")
    return space


def grid_size(space: Space) -> int | None:
    """Number of grid points, or None when a parameter is a range (not enumerable)."""
    n = 1
    for values in space.values():
        if isinstance(values, Range):
            return None
        n *= len(values)
    return n


ENUMERABLE = 100_000  # a finite space up to this many settings is enumerated to find untried ones


def n_settings(space: Space) -> int | None:
    """Number of distinct settings: the grid's size times the integers of each integer range (a
    range ``{low: 1, high: 3, type: int}`` holds 3), or None when a float range makes it infinite.
    A search's budget of distinct tries is capped at it (``harness.run.tuning.budget_of``)."""
    n = 1
    for values in space.values():
        if isinstance(values, Range):
            if not values.integer:
                return None
            n *= int(values.high) - int(values.low) + 1
        else:
            n *= len(values)
    return n


def finite_points(space: Space) -> list[dict] | None:
    """Every setting of a finite space (lists and integer ranges), in ParameterGrid order; None when
    the space is infinite or holds more than ``ENUMERABLE`` settings."""
    size = n_settings(space)
    if size is None or size > ENUMERABLE:
        return None
    from sklearn.model_selection import ParameterGrid

    return list(ParameterGrid({k: (list(range(int(v.low), int(v.high) + 1)) if isinstance(v, Range) else list(v))
                               for k, v in space.items()}))


def check_space(space: Space, cls: type, defaults: dict, where: str) -> None:
    """Every parameter exists on ``cls`` and every listed value (and each range's ends) is accepted
    by the estimator's own parameter validation (``harness.imports.parameter_problem``: public API,
    a fit on an empty sample, for estimators whose fit is scikit-learn's own)."""
    est = cls(**defaults)
    known = est.get_params(deep=False) if hasattr(est, "get_params") else {}
    for name, values in space.items():
        if name not in known:
            raise SpecError(f"{where}.{name}: {cls.__name__} has no parameter {name!r}; "
                            f"it has {', '.join(sorted(known))}")
        probes = values if isinstance(values, list) else [_cast(values, values.low), _cast(values, values.high)]
        for v in probes:
            try:
                problem = parameter_problem(cls(**{**defaults, name: v}))
            except (ValueError, TypeError) as e:
                problem = " ".join(str(e).split())
            if problem:
                raise SpecError(f"{where}.{name}: {cls.__name__} rejects {v!r} ({problem[:200]})")


def _cast(r: Range, v: float):
    return int(round(v)) if r.integer else v


def grid_points(space: Space) -> list[dict]:
    """Every point of the grid in scikit-learn's ParameterGrid order (fixed, seed-free)."""
    from sklearn.model_selection import ParameterGrid

    return list(ParameterGrid({k: list(v) for k, v in space.items()}))


class LogInt:
    """Integers in [low, high] on a log scale, as Optuna's ``suggest_int(log=True)`` draws them: uniform
    in log space over [low - 0.5, high + 0.5], rounded, so random and Bayesian search the same space
    (``scipy.stats.randint`` is uniform on the integers: 4% of draws of 2-1024 at or below 45, where
    a log scale gives 52%). An object with ``rvs`` is what ``ParameterSampler`` takes."""

    def __init__(self, low: int, high: int):
        self.low, self.high = low, high

    def rvs(self, random_state=None) -> int:
        from scipy import stats

        x = stats.loguniform(self.low - 0.5, self.high + 0.5).rvs(random_state=random_state)
        return int(min(max(round(float(x)), self.low), self.high))


def random_points(space: Space, n: int, seed: int, distinct: bool = False) -> list[dict]:
    """``n`` points drawn by ParameterSampler (without replacement when every parameter is a list;
    then at most the grid's size; ranges with replacement, as their distributions give them).
    ``distinct`` (what a search uses): a finite space with integer ranges is drawn without
    replacement too: the sampler's draws in order, each setting kept once, at most ``n_settings``
    points (if the draws run short, untried settings in a seeded order complete them). A float
    range's draws are kept as drawn."""
    from scipy import stats
    from sklearn.model_selection import ParameterSampler

    dists = {}
    for k, v in space.items():
        if isinstance(v, list):
            dists[k] = v
        elif v.integer and v.log:
            dists[k] = LogInt(int(v.low), int(v.high))
        elif v.integer:
            dists[k] = stats.randint(int(v.low), int(v.high) + 1)
        elif v.log:
            dists[k] = stats.loguniform(v.low, v.high)
        else:
            dists[k] = stats.uniform(v.low, v.high - v.low)
    size = grid_size(space)
    n = min(n, size) if size is not None else n
    finite = n_settings(space)
    if size is not None or finite is None or not distinct:
        points = list(ParameterSampler(dists, n_iter=n, random_state=seed))
        return [_plain(p) for p in points]
    # integer ranges only (no float range): the same stream of draws, repeats skipped
    n = min(n, finite)
    out, seen = [], set()
    for p in ParameterSampler(dists, n_iter=50 * n + 1000, random_state=seed):
        p = _plain(p)
        key = repr(sorted(p.items(), key=lambda kv: kv[0]))
        if key not in seen:
            seen.add(key)
            out.append(p)
            if len(out) == n:
                return out
    import random

    rest = [p for p in finite_points(space) or [] if repr(sorted(p.items(), key=lambda kv: kv[0])) not in seen]
    random.Random(seed).shuffle(rest)
    return out + rest[: n - len(out)]


def _plain(p: dict) -> dict:
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in p.items()}


def suggest(trial, space: Space) -> dict:
    """An Optuna trial's proposal for ``space`` (categorical for lists, int/float for ranges)."""
    out = {}
    for k, v in space.items():
        if isinstance(v, list):
            out[k] = trial.suggest_categorical(k, v)
        elif v.integer:
            out[k] = trial.suggest_int(k, int(v.low), int(v.high), log=v.log)
        else:
            out[k] = trial.suggest_float(k, v.low, v.high, log=v.log)
    return out
