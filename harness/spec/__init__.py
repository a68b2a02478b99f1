"""The experiment spec: a YAML file validated into frozen pydantic models.

Every validation failure becomes one SpecError line naming the file and the field, e.g.
``experiments/x.yaml: sweeps.rows.row_fractions.0: must be > 0 and <= 1 (got 1.5)``.

Values are strict: a number written as a string or a boolean (``repetitions: "30"``,
``repetitions: true``) is refused, not converted; NaN and infinity are refused everywhere; the YAML
itself is read with bounds (``harness.spec.strict_yaml``: no key twice, no deep nesting, no alias bomb),
and an error message shows at most a short excerpt of the value at fault. ``MAX_TRIALS`` and
``MAX_SECONDS`` bound what a spec may ask for.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, field_validator, model_validator

from harness.models.algorithms import BASELINES
from harness.errors import SpecError
from harness.spec.strict_yaml import load_yaml

Fraction = Annotated[float, Field(gt=0, le=1)]
MAX_TRIALS = 1_000_000  # a plan is held in memory (~200 bytes a trial); the full ICT4S'22 study is 3,600
MAX_SECONDS = 86_400.0  # warm-up, cool-down or baseline longer than a day is a typo, not a design
# Linux's largest CONFIG_NR_CPUS (x86-64 with MAXSMP): no machine runs more CPUs than this, so more
# BLAS/OpenMP threads than this is a typo; more than the CPUs where trials run is warned about there.
MAX_THREADS = 8192
Seconds = Annotated[float, Field(ge=0, le=MAX_SECONDS)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True, allow_inf_nan=False)


class Sweep(_Model):
    """A grid of levels: every combination is one configuration (a full factorial); a factor not
    listed stays off. ``row_fractions`` and ``feature_fractions`` are the levels of the ICT4S'22
    factors ``rows`` and ``features``; any other key is a factor named in ``tactics`` with its list
    of levels (checked by ``harness.tactics``). The paper's one-factor sweeps hold one list at [1.0]."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    row_fractions: list[Fraction] = Field(default=[1.0], min_length=1)
    feature_fractions: list[Fraction] = Field(default=[1.0], min_length=1)

    @field_validator("row_fractions", "feature_fractions")
    @classmethod
    def _unique(cls, v: list[float]) -> list[float]:
        if len(set(v)) != len(v):
            raise ValueError("levels must not repeat")
        return v


class AlgorithmSpec(_Model):
    """A baseline by name, or any sklearn-compatible estimator by import path."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.+-]+$")
    class_: str | None = Field(default=None, alias="class")
    params: dict[str, Any] = Field(default_factory=dict)
    # true: give it dense features (converted in the preprocess window); false: never; unset: as its
    # estimator tags say (input_tags.sparse), or a check fit when it has none (harness.models.algorithms)
    dense: bool | None = None

    @model_validator(mode="after")
    def _known(self) -> "AlgorithmSpec":
        if self.class_ is None and self.name not in BASELINES:
            raise ValueError(
                f"unknown algorithm {self.name!r}; use one of {', '.join(BASELINES)} "
                "or give 'class: package.module:ClassName'"
            )
        if self.class_ is not None and ":" not in self.class_:
            raise ValueError(f"class {self.class_!r} must look like 'package.module:ClassName'")
        return self


class TacticSpec(_Model):
    """One step of the treatment: a built-in tactic by name, or any imbalanced-learn-style sampler
    (``fit_resample``) or scikit-learn transformer by import path; ``level_param`` names the
    parameter a sweep's levels set (without it a user step's levels are ``true`` and ``none``)."""

    tactic: str | None = None
    class_: str | None = Field(default=None, alias="class")
    params: dict[str, Any] = Field(default_factory=dict)
    level_param: str | None = None

    @model_validator(mode="after")
    def _known(self) -> "TacticSpec":
        from harness.tactics.registry import BUILTIN

        if (self.tactic is None) == (self.class_ is None):
            raise ValueError("give either 'tactic: NAME' (a built-in) or 'class: package.module:Name'")
        if self.tactic is not None and self.tactic not in BUILTIN:
            raise ValueError(f"unknown tactic {self.tactic!r}; use one of {', '.join(BUILTIN)} "
                             "or give 'class: package.module:Name'")
        if self.class_ is not None and ":" not in self.class_:
            raise ValueError(f"class {self.class_!r} must look like 'package.module:ClassName'")
        if self.tactic is not None and (self.params or self.level_param):
            raise ValueError("params and level_param are for 'class:' steps; a built-in tactic takes only its levels")
        return self


LEGACY_KEYS = {"row_fractions": "rows", "feature_fractions": "features"}
FACTOR_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _label_text(v):
    """A label as text: YAML reads 1 as a number (the label "1") and yes/no as booleans (refused)."""
    if isinstance(v, bool):  # YAML reads yes/no/true/false as booleans
        raise ValueError("quote the label, e.g. positive_label: \"yes\" (YAML reads it as a boolean)")
    return str(v) if isinstance(v, (int, float)) else v


class _Labelled(_Model):
    """A data set spec's ``positive_label``, read as text (``_label_text``)."""

    @field_validator("positive_label", mode="before", check_fields=False)
    @classmethod
    def _label_as_text(cls, v):
        return _label_text(v)


class DatasetSpec(_Labelled):
    """A user's CSV: a text column (turned into tf-idf features), numeric feature columns, or both.

    ``positive_label`` names the class binary F1 scores (two classes); a label column with three
    or more classes is scored with macro-averaged precision, recall and F1 and takes no
    ``positive_label`` (``harness.data.scoring``)."""

    path: str
    label_column: str
    positive_label: str | None = None
    text_column: str | None = None
    feature_columns: list[str] = Field(default_factory=list)
    separator: str = ","
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")
    name: str | None = None

    @model_validator(mode="after")
    def _has_features(self) -> "DatasetSpec":
        if self.text_column is None and not self.feature_columns:
            raise ValueError("give text_column, feature_columns, or both")
        if self.label_column in self.feature_columns or self.label_column == self.text_column:
            field = "feature_columns" if self.label_column in self.feature_columns else "text_column"
            raise ValueError(f"{field} names the label column {self.label_column!r}: the label would be a feature "
                             f"(every score would be near 1.0, a leak); remove {self.label_column!r} from {field}")
        return self


SKLEARN_DATASETS = ("breast_cancer", "wine", "digits", "iris")


class SklearnDatasetSpec(_Labelled):
    """One of scikit-learn's bundled data sets (``sklearn.datasets.load_<name>``: shipped with
    scikit-learn, no download): dense numeric features, the target's names as labels.
    ``positive_label`` is for the two-class ``breast_cancer`` (default ``malignant``)."""

    sklearn: Literal[SKLEARN_DATASETS]
    positive_label: str | None = None
    name: str | None = None


class OpenMLDatasetSpec(_Labelled):
    """An OpenML data set by id (``openml: 61``) or name (``openml: iris``, optionally ``version``),
    read through ``sklearn.datasets.fetch_openml`` from a local cache (``cache``: its data_home;
    default scikit-learn's, ``~/scikit_learn_data``). The harness never downloads: fill the cache
    first (docs/how-to/own-data.md). ``label_column``: the target (default the data set's own);
    ``feature_columns``: the numeric columns to use (default every other column, all numeric)."""

    openml: Union[Annotated[int, Field(ge=1)], Annotated[str, Field(min_length=1)]]
    version: int | None = Field(default=None, ge=1)
    cache: str | None = None
    label_column: str | None = None
    feature_columns: list[str] = Field(default_factory=list)
    positive_label: str | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _version_with_name(self) -> "OpenMLDatasetSpec":
        if self.version is not None and isinstance(self.openml, int):
            raise ValueError("version is for a data set named by name; an id names one version already")
        return self


def _dataset_tag(v) -> str:
    if isinstance(v, str):
        return "builtin"
    if isinstance(v, SklearnDatasetSpec) or isinstance(v, dict) and "sklearn" in v:
        return "sklearn-data"
    if isinstance(v, OpenMLDatasetSpec) or isinstance(v, dict) and "openml" in v:
        return "openml-data"
    return "csv"


class TextOptions(_Model):
    """How text becomes features (the paper's settings by default)."""

    stem: bool = True
    stop_words: bool = True
    length_feature: bool = True


class EstimateOptions(_Model):
    tdp_w: float | None = Field(default=None, gt=0, le=100_000)
    cores: int | None = Field(default=None, ge=1, le=1_000_000)


class NvmlOptions(_Model):
    """Which GPUs the ``nvml`` meter measures (``harness.meters.nvml``): NVML indices (``3``) or UUIDs
    as ``nvidia-smi -L`` prints them (``GPU-...``, ``MIG-...``). None: the GPUs in
    ``CUDA_VISIBLE_DEVICES`` when it is set, else every GPU."""

    devices: list[Union[int, str]] | None = Field(default=None, min_length=1)

    @field_validator("devices")
    @classmethod
    def _named(cls, v):
        for d in v or ():
            if isinstance(d, int) and d < 0 or isinstance(d, str) and not (
                    d.strip().isdigit() or d.strip()[:4].upper() in ("GPU-", "MIG-")):
                raise ValueError(f"{d!r} is not an NVML index or a GPU-/MIG- UUID (nvidia-smi -L)")
        return v


class Cooldown(_Model):
    """Cool-down until idle (``harness.hygiene.cooldown``): after each trial, sample the meter's
    power every ``period_s`` and start the next trial once it is within ``tolerance`` (relative)
    of the idle baseline, after at least ``min_s`` and at most ``max_s`` seconds."""

    until_idle: bool = False
    tolerance: float = Field(default=0.05, gt=0)
    min_s: float = Field(default=0.5, ge=0)
    max_s: float = Field(default=30.0, gt=0)
    period_s: float = Field(default=0.1, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> "Cooldown":
        if self.min_s > self.max_s:
            raise ValueError(f"min_s ({self.min_s:g}) must not exceed max_s ({self.max_s:g})")
        if self.period_s > self.max_s:
            raise ValueError(f"period_s ({self.period_s:g}) must not exceed max_s ({self.max_s:g})")
        return self


class Hygiene(_Model):
    warmup_s: Seconds = 0.0
    cooldown_s: Seconds = 0.0
    baseline_s: Seconds = 0.0
    shuffle: bool = True
    threads: int | None = Field(default=1, ge=1)
    cooldown: Cooldown | None = None      # until idle; None: the fixed cooldown_s
    min_phase_s: float = Field(default=0.0, ge=0)  # repeat predict in one window to last this long
    rel_error: float = Field(default=0.05, gt=0, lt=1)  # flag phases the meter cannot resolve to this

    @field_validator("threads")
    @classmethod
    def _at_most_max_threads(cls, v):
        if v is not None and v > MAX_THREADS:
            raise ValueError(f"at most {MAX_THREADS} (Linux runs at most {MAX_THREADS} CPUs), got {v}; set the "
                             "BLAS/OpenMP threads one trial should use, e.g. 1 (null: no limit)")
        return v

    @model_validator(mode="after")
    def _baseline_for_idle(self) -> "Hygiene":
        if self.cooldown is not None and self.cooldown.until_idle and self.baseline_s <= 0:
            raise ValueError("cooldown.until_idle compares power with the idle baseline: "
                             "set hygiene.baseline_s > 0 (e.g. 10)")
        return self


# Hygiene keys added after runs were made: left out of the design hash at their defaults, so
# that those runs still resume.
_LATER_HYGIENE_DEFAULTS = {"cooldown": None, "min_phase_s": 0.0, "rel_error": 0.05}


class Validation(_Model):
    """Inner validation of a tuning search, on the training rows only: stratified k-fold CV
    (``folds``) or one stratified validation split (``split`` = its share of the training rows)."""

    folds: int | None = Field(default=None, ge=2, le=20)
    split: float | None = Field(default=None, gt=0, lt=1)

    @model_validator(mode="after")
    def _one(self) -> "Validation":
        if (self.folds is None) == (self.split is None):
            raise ValueError("give exactly one of folds (k-fold CV, e.g. 3) or split (e.g. 0.25)")
        return self

    def describe(self) -> str:
        return f"{self.folds}-fold CV" if self.folds else f"{self.split:.0%} validation split"


class AdaptiveRepetitions(_Model):
    """``repetitions: {min: 6, max: 30, ...}``: repeat each configuration until its own estimates are
    precise, between ``min`` and ``max`` repetitions (``harness.plan.adaptive``).

    A configuration stops once the distribution-free ``confidence`` interval of its median energy (from
    order statistics: ``scipy.stats.quantile_test``) has a half-width of at most ``energy_half_width``
    of the median (relative), and that of its median F1 at most ``f1_half_width`` points (absolute, F1
    in 0-100); or at ``max``. ``energy`` names the energy the rule watches: ``trial`` (preprocess +
    train + predict) or ``train``. Trials run in rounds over every configuration still open; repetition
    r keeps the seed it has in a fixed design of ``max`` repetitions, so an adaptive run's trials are a
    subset of that design's. The rule looks at a configuration's own precision, never at a comparison.
    A 95% interval of a median needs at least 6 values: below that no configuration can stop."""

    min: int = Field(default=6, ge=2)
    max: int = Field(default=30, ge=2, le=MAX_TRIALS)
    energy: Literal["trial", "train"] = "trial"
    energy_half_width: float = Field(default=0.05, gt=0, lt=1)
    f1_half_width: float = Field(default=1.0, gt=0, le=100)
    confidence: float = Field(default=0.95, ge=0.5, lt=1)

    @model_validator(mode="after")
    def _min_at_most_max(self) -> "AdaptiveRepetitions":
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must be at most max ({self.max})")
        return self


class Tuning(_Model):
    """A tuning study: every algorithm with a space is searched by every strategy.

    ``budget`` is the number of evaluations of a random or Bayesian search; a grid search evaluates
    its whole grid. Without a budget, random and Bayesian get the grid's size, so all three try
    the same number of settings. Every budget is of distinct settings, capped at the number of
    settings of a finite space (lists and integer ranges): no strategy repeats a setting."""

    strategies: list[Literal["grid", "random", "bayesian"]] = Field(min_length=1)
    budget: int | None = Field(default=None, ge=1, le=10_000)
    validation: Validation = Validation(folds=3)
    spaces: dict[str, dict[str, Any]] = Field(min_length=1)

    @field_validator("strategies")
    @classmethod
    def _unique(cls, v):
        if len(set(v)) != len(v):
            raise ValueError("strategies must not repeat")
        return v


class ClusterSpec(_Model):
    """Dask workers as batch jobs (``run --cluster slurm|pbs|sge|lsf``, dask-jobqueue): ``jobs`` jobs,
    one worker process each, one trial at a time each. Not part of the design: where trials run
    does not change what they compute."""

    queue: str | None = None                  # partition (Slurm) or queue
    account: str | None = None                # account / project to charge
    cores: int = Field(default=1, ge=1)       # cores per job
    memory: str = Field(default="4GB", pattern=r"^\d+(\.\d+)?\s*[KMGTP]i?B$")  # per job, e.g. 4GB, 16GiB
    walltime: str = "01:00:00"                # per job, HH:MM:SS (written as HH:MM for LSF's -W)
    jobs: int = Field(default=1, ge=1)        # worker jobs to submit
    job_directives: list[str] = Field(default_factory=list)  # extra #SBATCH/#PBS/... options, e.g. ["--exclusive"]
    prologue: list[str] = Field(default_factory=list)        # shell lines before the worker starts (module load, ...)
    interface: str | None = None              # network interface of the workers (e.g. ib0)
    python: str | None = None                 # python on the nodes; default: "python" after a prologue, else the driver's
    local_directory: str | None = None        # node-local scratch for the workers
    resource_spec: str | None = None          # the -l resources of a PBS or SGE job (required for SGE)

    @field_validator("memory")
    @classmethod
    def _some_memory(cls, v: str) -> str:
        if float(re.match(r"^\d+(\.\d+)?", v).group()) <= 0:
            raise ValueError(f"must be more than zero (got {v!r}), e.g. '4GB'")
        return v

    @field_validator("walltime")
    @classmethod
    def _hh_mm_ss(cls, v: str) -> str:
        # One form every batch system accepts (Slurm, PBS and SGE as is; LSF as HH:MM): hours may pass 24.
        m = re.fullmatch(r"(\d+):([0-5]\d):([0-5]\d)", v.strip())
        if m is None or not any(int(g) for g in m.groups()):
            raise ValueError(f"give the time per job as HH:MM:SS, e.g. '04:00:00' or '48:00:00' (got {v!r})")
        return v.strip()


RUN_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def run_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a run folder (None if it can): a plain name, no '/', not '.' or '..'."""
    if not RUN_NAME.match(name) or name in (".", ".."):
        return f"{name!r} is not a plain folder name (letters, digits, '_', '.', '-'; not '.' or '..')"
    return None


class Spec(_Model):
    name: str
    description: str = ""
    dataset: Annotated[
        Union[Annotated[Literal["sms_spam"], Tag("builtin")], Annotated[DatasetSpec, Tag("csv")],
              Annotated[SklearnDatasetSpec, Tag("sklearn-data")], Annotated[OpenMLDatasetSpec, Tag("openml-data")]],
        Discriminator(_dataset_tag),
    ] = "sms_spam"
    protocol: Literal["ict4s22", "holdout"] = "ict4s22"
    replication: Literal["none", "ict4s22"] = "none"  # harness.spec.replication: the paper's design exactly
    test_fraction: float = Field(default=0.3, gt=0, lt=1)
    seed: int = Field(default=42, ge=0, lt=2**32)
    repetitions: Annotated[  # a number, or {min, max, ...}: harness.plan.adaptive
        Union[Annotated[Annotated[int, Field(ge=1, le=MAX_TRIALS)], Tag("fixed")],
              Annotated[AdaptiveRepetitions, Tag("adaptive")]],
        Discriminator(lambda v: "adaptive" if isinstance(v, (dict, AdaptiveRepetitions)) else "fixed"),
    ] = 30
    algorithms: list[AlgorithmSpec] = Field(min_length=1)
    sweeps: dict[str, Sweep] = Field(min_length=1)
    tactics: dict[str, TacticSpec] | None = None  # the treatment's steps in order; None: rows (stratified), features (chi2)
    scale: Literal["none", "standard", "maxabs"] = "none"  # numeric (non-text) columns, fitted on training rows
    text: TextOptions = TextOptions()
    meter: Union[str, list[str]] = "auto"
    estimate: EstimateOptions = EstimateOptions()
    nvml: NvmlOptions = NvmlOptions()
    hygiene: Hygiene = Hygiene()
    cluster: ClusterSpec | None = None
    tuning: Tuning | None = None

    @field_validator("name")
    @classmethod
    def _plain_name(cls, v: str) -> str:
        problem = run_name_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @model_validator(mode="after")
    def _replication_fits(self) -> "Spec":
        from harness.spec.replication import check

        try:
            check(self)
        except Exception as e:  # HarnessError: reported as this field's problem
            raise ValueError(str(e)) from None
        return self

    @field_validator("algorithms", mode="before")
    @classmethod
    def _names_to_mappings(cls, v):
        return [{"name": a} if isinstance(a, str) else a for a in v] if isinstance(v, list) else v

    @field_validator("algorithms")
    @classmethod
    def _unique_names(cls, out: list[AlgorithmSpec]) -> list[AlgorithmSpec]:
        names = [a.name for a in out]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"algorithm names must be unique; repeated: {', '.join(sorted(dup))}")
        return out

    @model_validator(mode="after")
    def _bounded_plan(self) -> "Spec":
        levels = sum(len(s.row_fractions) * len(s.feature_fractions) for s in self.sweeps.values())
        n = len(self.algorithms) * levels * self.max_repetitions
        if n > MAX_TRIALS:
            raise ValueError(f"repetitions: the plan would hold {n:,} trials (algorithms x levels x repetitions), "
                             f"more than {MAX_TRIALS:,}; split it into several specs")
        return self

    @property
    def adaptive(self) -> AdaptiveRepetitions | None:
        """The stopping rule of ``repetitions: {min, max, ...}``, or None for a fixed number."""
        return self.repetitions if isinstance(self.repetitions, AdaptiveRepetitions) else None

    @property
    def max_repetitions(self) -> int:
        """Repetitions of the plan: the fixed number, or an adaptive design's ``max``."""
        return self.repetitions.max if isinstance(self.repetitions, AdaptiveRepetitions) else self.repetitions

    @model_validator(mode="after")
    def _adaptive_fits(self) -> "Spec":
        if self.adaptive is not None and self.tuning is not None:
            raise ValueError("repetitions: adaptive repetitions ({min, max, ...}) are for studies of trials; "
                             "a tuning study takes a number")
        return self

    @field_validator("meter")
    @classmethod
    def _known_meter(cls, v):
        from harness.errors import MeterError
        from harness.meters import normalise_names

        try:
            normalise_names(v)
        except MeterError as e:
            raise ValueError(str(e)) from None
        return v

    @model_validator(mode="after")
    def _factors_known(self) -> "Spec":
        names = [n for n, _ in self.factor_specs()]
        for name in names:
            if not FACTOR_NAME.match(name) or name in LEGACY_KEYS or name == "scale":
                raise ValueError(f"tactics: factor name {name!r} must be lower-case letters, digits and '_' "
                                 "(and not row_fractions, feature_fractions or scale)")
        kinds = [_kind(t) for _, t in self.factor_specs()]
        if "dataset" in kinds and kinds.index("dataset") > 0 and any(k != "dataset" for k in kinds[:kinds.index("dataset")]):
            raise ValueError("tactics: put dedup_exact/dedup_near steps first: they remove rows before the split")
        for sweep_name, sweep in self.sweeps.items():
            for key in (sweep.model_extra or {}):
                if key not in names:
                    raise ValueError(f"sweeps.{sweep_name}.{key}: no factor {key!r} in tactics "
                                     f"(factors: {', '.join(names)})")
            for key, factor in LEGACY_KEYS.items():
                if key in sweep.model_fields_set and factor not in names:
                    raise ValueError(f"sweeps.{sweep_name}.{key}: needs a factor named {factor!r} in tactics")
                if key in sweep.model_fields_set and factor in (sweep.model_extra or {}):
                    raise ValueError(f"sweeps.{sweep_name}: give {key} or {factor}, not both")
        return self

    def factor_specs(self) -> list[tuple[str, TacticSpec]]:
        """The treatment's steps in order; without ``tactics``, the ICT4S'22 pair."""
        if self.tactics is None:
            return [("rows", TacticSpec(tactic="stratified")), ("features", TacticSpec(tactic="chi2"))]
        return list(self.tactics.items())

    def sweep_levels(self, sweep_name: str) -> dict[str, list]:
        """Every factor's raw levels in one sweep, in step order; a factor the sweep does not list is
        [None] (off), except the ICT4S'22 factors, whose unlisted default is [1.0] as before."""
        sweep = self.sweeps[sweep_name]
        extra = sweep.model_extra or {}
        out = {}
        for name, _ in self.factor_specs():
            if name in extra:
                out[name] = list(extra[name]) if isinstance(extra[name], list) else [extra[name]]
            elif name == "rows" and (self.tactics is None or "row_fractions" in sweep.model_fields_set):
                out[name] = list(sweep.row_fractions)
            elif name == "features" and (self.tactics is None or "feature_fractions" in sweep.model_fields_set):
                out[name] = list(sweep.feature_fractions)
            else:
                out[name] = [None]
        return out

    @property
    def meter_names(self) -> list[str]:
        return [self.meter] if isinstance(self.meter, str) else list(self.meter)

    def meter_options(self) -> dict:
        """The meters' options for ``harness.meters.open_meter``: ``estimate`` and ``nvml``."""
        return {"estimate": self.estimate.model_dump(exclude_none=True),
                "nvml": self.nvml.model_dump(exclude_none=True)}

    @property
    def dataset_name(self) -> str:
        if isinstance(self.dataset, str):
            return self.dataset
        if isinstance(self.dataset, SklearnDatasetSpec):
            return self.dataset.name or self.dataset.sklearn
        if isinstance(self.dataset, OpenMLDatasetSpec):
            return self.dataset.name or f"openml-{self.dataset.openml}"
        return self.dataset.name or Path(self.dataset.path).stem

    def design_hash(self) -> str:
        """sha256 of everything that shapes the plan and the results.

        Left out: the description, the meter and the GPUs it reads (``nvml``: a resumed run is
        checked against the meter actually used, which ``auto`` resolves) and the cluster (where trials run). Sweeps are hashed as an ordered list because
        their order numbers the trials."""
        data = self.model_dump(mode="json", by_alias=True, exclude={"description", "meter", "nvml", "cluster"})
        # Keys added after the first release, at their defaults, are left out: runs made before they
        # existed keep their hash and still resume.
        for key, default in (("replication", "none"), ("tactics", None), ("scale", "none"), ("tuning", None)):
            if key in data and data[key] == default:
                data.pop(key)
        for algorithm in data.get("algorithms", []):
            if isinstance(algorithm, dict) and algorithm.get("dense") is None:
                algorithm.pop("dense", None)  # added later: unset, the hash of runs made before it is unchanged
        data["sweeps"] = [[name, sweep] for name, sweep in data["sweeps"].items()]
        for key, default in _LATER_HYGIENE_DEFAULTS.items():
            if data["hygiene"].get(key) == default:
                del data["hygiene"][key]
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _kind(t: TacticSpec) -> str | None:
    from harness.tactics.registry import BUILTIN

    return BUILTIN[t.tactic].kind if t.tactic else None


_UNION_TAGS = {"builtin", "csv", "sklearn-data", "openml-data", "fixed", "adaptive"}
_STRICT_KINDS = {"int_type": "an integer written without quotes (a boolean is not one)",
                 "float_type": "a number written without quotes (YAML reads 1e3 as text: write 1.0e+3; "
                               "a boolean is not one)",
                 "bool_type": "true or false", "string_type": "text (quote it)"}


def _short(value: Any, limit: int = 60) -> str:
    """A bounded repr: an error message never prints (or walks) a huge value."""
    import reprlib

    r = reprlib.Repr()
    r.maxstring = r.maxother = limit
    r.maxlevel, r.maxlist, r.maxdict = 2, 6, 6
    return r.repr(value)


def _one_line(err: ValidationError) -> str:
    errors = err.errors()
    first = errors[0]
    loc = ".".join(_short(p, 40).strip("'") for p in first["loc"] if p not in _UNION_TAGS) or "(top level)"
    if first["type"] == "extra_forbidden":
        msg = "unknown key; check its spelling against docs/reference/spec.md"
    elif first["type"] == "missing":
        msg = "required field is missing"
    elif "fractions" in loc and first["type"] in ("greater_than", "less_than_equal"):
        msg = f"must be a fraction in (0, 1], e.g. 0.1 keeps 10% (got {_short(first['input'])})"
    elif first["type"] == "finite_number":
        msg = "must be a finite number (not .inf or .nan)"
    elif first["type"] in _STRICT_KINDS:
        msg = f"must be {_STRICT_KINDS[first['type']]} (got {_short(first.get('input'))}); values are not converted"
    else:
        msg = first["msg"].removeprefix("Value error, ")
        if "input" in first and first["type"] not in ("value_error",):
            msg += f" (got {_short(first['input'])})"
    if loc == "dataset" and first["type"] == "literal_error":
        msg += ("; use a built-in name (sms_spam), {sklearn: wine} (breast_cancer, wine, digits, iris), {openml: ID or name} "
                "or a CSV mapping with path, label_column, positive_label and text_column or feature_columns")
    n = len(errors) - 1
    more = f" (and {n} more problem{'s' if n != 1 else ''})" if n else ""
    return f"{loc}: {msg}{more}"


def _check_tuning(spec: Spec) -> None:
    """Spaces are keyed by algorithm name, one per algorithm, and fit the strategies asked for."""
    from harness.tuning.space import grid_size, parse_space

    names = [a.name for a in spec.algorithms]
    for name in spec.tuning.spaces:
        if name not in names:
            raise SpecError(f"tuning.spaces.{name}: no algorithm of that name; spaces are keyed by "
                            f"algorithm name ({', '.join(names)})")
    for name in names:
        if name not in spec.tuning.spaces:
            raise SpecError(f"tuning.spaces: algorithm {name!r} has no search space; add one or remove it")
        space = parse_space(spec.tuning.spaces[name], f"tuning.spaces.{name}")
        size = grid_size(space)
        if size is None and ("grid" in spec.tuning.strategies or spec.tuning.budget is None):
            raise SpecError(f"tuning.spaces.{name}: a range cannot be enumerated by grid search and gives "
                            "no default budget; use lists of values, or drop grid and set tuning.budget")
        if size is not None and size > 10_000:
            raise SpecError(f"tuning.spaces.{name}: {size} settings; keep a space under 10,000")


def _check_top_keys(data: dict, source: str) -> None:
    """A misspelled top-level or ``dataset`` key is named, with the close match (``algoritms`` ->
    ``algorithms``, ``sklern`` -> ``sklearn``), before the required field it hides is reported missing."""
    _check_keys(data, _field_names(Spec), source, "")
    dataset = data.get("dataset")
    if isinstance(dataset, dict):  # {sklern: wine}: named, not "dataset.path: required field is missing"
        known = set().union(*(_field_names(m) for m in (DatasetSpec, SklearnDatasetSpec, OpenMLDatasetSpec)))
        _check_keys(dataset, known, source, "dataset.")


def _field_names(model) -> set[str]:
    """A pydantic model's field names and their aliases."""
    return set(model.model_fields) | {f.alias for f in model.model_fields.values() if f.alias}


def _check_keys(mapping: dict, known: set[str], source: str, prefix: str) -> None:
    """Raise SpecError for the first key of ``mapping`` not in ``known``, with its close match."""
    import difflib

    for key in mapping:
        if isinstance(key, str) and key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f"did you mean {close[0]!r}?" if close else "check its spelling against docs/reference/spec.md"
            raise SpecError(f"{source}: {prefix}{key}: unknown key; {hint}")


def parse_spec(data: Any, source: str = "<spec>") -> Spec:
    if not isinstance(data, dict):
        raise SpecError(f"{source}: the spec must be a YAML mapping of keys (name, algorithms, sweeps, ...)")
    _check_top_keys(data, source)
    try:
        spec = Spec.model_validate(data)
    except ValidationError as e:
        raise SpecError(f"{source}: {_one_line(e)}") from None
    if spec.tuning is not None:
        try:
            _check_tuning(spec)
        except SpecError as e:
            raise SpecError(f"{source}: {e}") from None
    check_levels(spec, source)
    return spec


def check_levels(spec: Spec, source: str = "<spec>") -> None:
    """Every built-in tactic's levels in every sweep are valid, else one SpecError naming the level.
    (A user class's levels are checked when it is imported: ``harness.tactics.resolve``.)"""
    from harness.tactics.registry import check_level

    tactics = dict(spec.factor_specs())
    for sweep_name in spec.sweeps:
        for factor, levels in spec.sweep_levels(sweep_name).items():
            key = factor
            if spec.tactics is None or factor not in (spec.sweeps[sweep_name].model_extra or {}):
                key = {"rows": "row_fractions", "features": "feature_fractions"}.get(factor, factor)
            if len(levels) == 0:
                raise SpecError(f"{source}: sweeps.{sweep_name}.{key}: give at least one level")
            texts = [json.dumps(v, sort_keys=True, default=str) for v in levels]
            if len(set(texts)) != len(texts):
                raise SpecError(f"{source}: sweeps.{sweep_name}.{key}: levels must not repeat")
            for i, v in enumerate(levels):
                try:
                    check_level(tactics[factor].tactic, v)
                except ValueError as e:
                    raise SpecError(f"{source}: sweeps.{sweep_name}.{key}.{i}: {tactics[factor].tactic or 'level'} "
                                    f"level {e}") from None


MAX_SPEC_BYTES = 1 << 20  # a spec is a page of YAML: 1 MiB is far beyond any real one


def load_spec(path: str | Path) -> Spec:
    """Read and validate a spec file. Raises SpecError (one line) for a missing, unreadable,
    non-regular (``/dev/zero``, a FIFO) or larger than ``MAX_SPEC_BYTES`` file, or bad content."""
    path = Path(path)
    try:
        if path.exists() and not path.is_dir() and not path.is_file():
            raise SpecError(f"{path}: not a regular file; give the path of a YAML spec such as experiments/spam.yaml")
        with open(path, "rb") as f:
            data = f.read(MAX_SPEC_BYTES + 1)
        if len(data) > MAX_SPEC_BYTES:
            raise SpecError(f"{path}: larger than {MAX_SPEC_BYTES // 1024} KiB; a spec is a short YAML file, "
                            "check the path")
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise SpecError(f"{path}: spec file not found; give the path of a YAML spec such as experiments/spam.yaml") from None
    except (PermissionError, IsADirectoryError, UnicodeDecodeError) as e:
        raise SpecError(f"{path}: cannot read the spec ({e.__class__.__name__}); check the path and its permissions") from None
    return parse_spec(load_yaml(text, str(path)), str(path))
