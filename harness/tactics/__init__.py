"""Data-centric tactics T1-T5 as treatment steps (see ``registry`` for the catalogue).

``resolve(spec)`` turns the spec's ``tactics`` into ``Factor`` objects, importing and checking any
user class (a sampler with ``fit_resample`` or a transformer with ``fit`` and ``transform``) and
each of its levels, so a bad class or level fails before anything is written.
``data_context`` gives the tactics what they need besides X and y. ``TacticPipeline`` applies them.
One module per family: ``sampling`` (T1), ``redundancy`` (T2), ``selection`` (T3),
``quantization`` (T4), ``projection`` (T5), plus ``scaling`` for the ``scale:`` option.
"""

from __future__ import annotations

from harness.errors import SpecError
from harness.tactics.pipeline import LEGACY, DataContext, Factor, TacticPipeline, legacy_levels
from harness.tactics.registry import BUILTIN, check_level, level_text, normalise_level

__all__ = ["BUILTIN", "DataContext", "Factor", "LEGACY", "TacticPipeline", "check_level", "data_context",
           "legacy_levels", "level_text", "resolve", "pipeline_for"]


def resolve(spec, allowed: tuple[str, ...] | None = None) -> list[Factor]:
    """The spec's factors in step order; a user class is imported (``harness.imports``: allowed
    packages only, a sampler or transformer class, checked before anything is called) and
    instantiated with every level its sweeps give. Raises SpecError naming ``tactics.<factor>``."""
    from harness.imports import STEP, import_class  # one import rule for estimators and tactics

    factors = []
    for name, t in spec.factor_specs():
        if t.tactic is not None:
            info = BUILTIN[t.tactic]
            factors.append(Factor(name, info.kind, info.family, tactic=t.tactic))
            continue
        where = f"tactics.{name}"
        cls = import_class(t.class_, where, STEP, allowed)
        levels = [normalise_level(v) for s in spec.sweeps for v in spec.sweep_levels(s)[name]]
        kind, seeded = None, False
        for level in [v for v in levels if v is not None] or [True]:
            params = dict(t.params)
            if t.level_param:
                params[t.level_param] = level
            elif level is not True:
                raise SpecError(f"{where}: level {level!r} needs 'level_param: NAME' (the parameter the level sets); "
                                "without it a step's levels are true and none")
            try:
                obj = cls(**params)
            except TypeError as e:
                raise SpecError(f"{where}.params: {getattr(cls, '__name__', cls)} rejects these parameters ({e})") from None
            validate = getattr(obj, "_validate_params", None)
            if callable(validate) and hasattr(obj, "_parameter_constraints"):  # sklearn >= 1.2 checks values only in fit
                try:
                    validate()
                except (ValueError, TypeError) as e:
                    raise SpecError(f"{where}: level {level!r}: {' '.join(str(e).split())}") from None
            if hasattr(obj, "fit_resample"):
                kind = "rows"
            elif hasattr(obj, "fit") and hasattr(obj, "transform"):
                kind = "columns"
            else:
                raise SpecError(f"{where}.class: {t.class_} is neither a sampler (fit_resample) nor a transformer "
                                "(fit and transform)")
            get_params = getattr(obj, "get_params", None)
            seeded = callable(get_params) and "random_state" in get_params(deep=False) and "random_state" not in t.params
        factors.append(Factor(name, kind, "user", cls=cls, class_path=t.class_, params=dict(t.params),
                              level_param=t.level_param, seeded=seeded))
    return factors


def data_context(dataset, features, text_options) -> DataContext:
    """Normalised texts (exact-duplicate keys), the tf-idf block and the count of trailing numeric
    columns (length feature, CSV feature columns) of ``features``, as ``compute_features`` lays them out."""
    n_columns = len(getattr(dataset, "column_names", ()) or ()) if getattr(dataset, "columns", None) is not None else 0
    if dataset.texts is None:
        return DataContext(None, None, n_columns)
    from harness.data.features import make_analyzer

    analyze = make_analyzer(text_options.stem, text_options.stop_words)
    keys = [" ".join(analyze(t)) for t in dataset.texts]
    n_numeric = n_columns + (1 if text_options.length_feature else 0)
    return DataContext(keys, slice(0, features.n_features - n_numeric), n_numeric)


def pipeline_for(spec, dataset=None, features=None) -> TacticPipeline:
    """The spec's pipeline; dataset and features give the context (None: the ICT4S'22 pair needs none)."""
    context = data_context(dataset, features, spec.text) if dataset is not None else DataContext()
    return TacticPipeline(resolve(spec), spec.scale, context)
