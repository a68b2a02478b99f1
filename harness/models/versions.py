"""Library changes that alter results: which ones apply to a run, and when runs must not be pooled.

The manifest records every session's library versions (``harness.hygiene.provenance``). Known changes that
move accuracy (not only speed) are listed in ``VERSION_EFFECTS``; ``run`` prints the ones that
apply in its first lines, ``analyze``/``compare`` print them for the results they read, and refuse
to pool results made with different versions of a library in this table unless told to
(``--mixed-versions``). Sizes are F1 on the SMS Spam Collection, measured here (README
"Differences"); they differ on other data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.errors import ResultsError

# The environment the ICT4S'22 published data came from (its requirements.txt).
ICT4S22_VERSIONS = {"scikit-learn": "0.24.1", "numpy": "1.20.2", "scipy": "1.6.2", "pandas": "1.2.4",
                    "nltk": "3.6.1", "codecarbon": "1.2.0"}


@dataclass(frozen=True)
class VersionEffect:
    """One library change that alters results. ``since``: first version with the new behaviour;
    ``estimator``: class name it concerns; ``needs_param``: a parameter that must be set (not None)
    for it to matter; ``replication_undoes``: ``replication: ict4s22`` swaps in an estimator that
    behaves as before the change."""

    key: str
    library: str
    since: str
    estimator: str
    needs_param: str | None
    change: str
    moves: str
    replication_undoes: bool


VERSION_EFFECTS = (
    VersionEffect(
        "forest-balanced-bootstrap", "scikit-learn", "1.9", "RandomForestClassifier", "class_weight",
        "with class_weight set, each tree's bootstrap is drawn in proportion to the class weights "
        "(class-balanced) instead of uniformly and then weighted",
        "random_forest, every level, most at few rows: F1 +25 points at 10% rows, +3 at full data "
        "(median of 30 draws, vs <= 1.8)", True),
    VersionEffect(
        "adaboost-samme-r-removed", "scikit-learn", "1.6", "AdaBoostClassifier", None,
        "SAMME.R (the default up to 1.5, deprecated in 1.4) is removed; AdaBoost runs SAMME",
        "adaboost, every level: F1 about 9-12 points lower than SAMME.R", True),
    VersionEffect(
        "knn-argpartition-ties", "numpy", "2.0", "KNeighborsClassifier", None,
        "on x86-64 CPUs with AVX-512 (numpy >= 2.0) or AVX2 (numpy 2.4.6 measured), np.argpartition orders "
        "equal values with x86-simd-sort instead of numpy 1.x's introselect, so k-NN's brute-force search "
        "(scikit-learn 0.24.1, and 1.4+ on sparse input) picks other neighbours among training rows exactly "
        "tied at the k-th distance (on the study's tf-idf + length features, 1,156 of 1,672 test rows at "
        "full data)",
        "knn, 90-100% features at 20-100% rows: F1 -1.1 to +3.3 points against the published values "
        "(11 of 20 configurations with numpy 2.0.2, 2.1.3 and 2.4.6 on an AVX-512 CPU; numpy 1.23.5, "
        "1.25.2, 1.26.4, or 2.4.6 with AVX2 and AVX-512 disabled, give the published value in all 20)", True),
)


def _version_tuple(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v.split("+")[0])[:3]) if v else ()


def applies(effect: VersionEffect, version: str | None) -> bool:
    return bool(version) and _version_tuple(version) >= _version_tuple(effect.since)


def _concerns(effect: VersionEffect, cls_name: str, params: dict) -> bool:
    if cls_name.rsplit(":", 1)[-1].rsplit(".", 1)[-1] != effect.estimator:
        return False
    return effect.needs_param is None or params.get(effect.needs_param) is not None


def algorithm_classes(algorithm_specs) -> dict[str, tuple[str, dict]]:
    """name -> (class path, params) for a spec's algorithms (baselines resolved by name)."""
    from harness.models.algorithms import BASELINES

    out = {}
    for a in algorithm_specs:
        path, defaults = (a.class_, {}) if a.class_ else BASELINES[a.name]
        out[a.name] = (path, {**defaults, **a.params})
    return out


def effects_for(versions: dict, classes: dict[str, tuple[str, dict]], replication: str = "none"
                ) -> list[tuple[VersionEffect, list[str]]]:
    """The effects active under ``versions`` for these algorithms (name -> (class, params)),
    each with the algorithm names it moves."""
    out = []
    for e in VERSION_EFFECTS:
        if not applies(e, versions.get(e.library)):
            continue
        names = sorted(n for n, (cls, params) in classes.items() if _concerns(e, cls, params))
        if names and not (e.replication_undoes and replication == "ict4s22"):
            out.append((e, names))
    return out


def version_notes(versions: dict, algorithm_specs, replication: str = "none") -> list[str]:
    """Lines for ``run``'s first output: which known library changes move these results."""
    return notes_for(versions, algorithm_classes(algorithm_specs), replication)


def notes_for(versions: dict, classes: dict[str, tuple[str, dict]], replication: str = "none") -> list[str]:
    libs = sorted({e.library for e in VERSION_EFFECTS})
    installed = ", ".join(f"{lib} {versions.get(lib) or 'absent'}" for lib in libs)
    active = effects_for(versions, classes, replication)
    if not active:
        return [f"version-dependent results: none known for {installed} with these algorithms"]
    lines = [f"version-dependent results ({installed}; docs/explanation/replication.md, 'Differences'):"]
    for e, names in active:
        fix = " (replication: ict4s22 reproduces the paper's behaviour)" if e.replication_undoes else ""
        lines.append(f"  - {', '.join(names)}: since {e.library} {e.since}, {e.change}; moves {e.moves}{fix}")
    return lines


def check_poolable(sources: list[tuple[str, dict]], allow: bool = False) -> list[str]:
    """``sources``: (label, versions) per run or session to be analysed together. Raises
    ResultsError when they used different versions of a library in ``VERSION_EFFECTS``, unless
    ``allow``; then returns the warning lines to print."""
    libs = sorted({e.library for e in VERSION_EFFECTS})
    warnings = []
    for lib in libs:
        seen: dict[str, list[str]] = {}
        for label, versions in sources:
            seen.setdefault(str(versions.get(lib)), []).append(label)
        if len(seen) < 2:
            continue
        crossed = [e.key for e in VERSION_EFFECTS if e.library == lib
                   and len({applies(e, v if v != "None" else None) for v in seen}) > 1]
        detail = "; ".join(f"{v}: {', '.join(labels)}" for v, labels in seen.items())
        msg = (f"results made with different {lib} versions ({detail})"
               + (f", across known result changes ({', '.join(crossed)})" if crossed else ""))
        if not allow:
            raise ResultsError(f"{msg}; analyse them separately, or pass --mixed-versions to pool them anyway")
        warnings.append(f"warning: pooling {msg} (--mixed-versions)")
    return warnings
