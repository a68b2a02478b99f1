"""Classes named in a spec (``class: package.module:ClassName``), imported with care.

A spec is data: it may come from someone else. Importing a module runs its code, and calling
whatever a name resolves to (``os:system``) runs a command, so before anything is imported or
called:

1. the module must belong to an allowed package: ``DEFAULT_PACKAGES`` (scikit-learn,
   imbalanced-learn, this harness), plus those the *user* names on the command line
   (``run --allow-import PKG``) or in ``$HARNESS_ALLOW_IMPORT`` (comma-separated). A spec cannot
   extend the list: that would defeat it. Importing an allowed package still runs its code: allow
   only packages you trust.
2. the name must resolve to a class (not a function such as ``os.system``, not a module);
3. the class must have the methods of its role (an estimator: ``fit`` and ``predict``; a
   transformer: ``fit`` and ``transform``; a sampler: ``fit_resample``), checked on the class,
   before any instance is made.
"""

from __future__ import annotations

import importlib
import inspect

from harness.environment import ALLOW_IMPORT_ENV, allowed_imports
from harness.errors import SpecError

DEFAULT_PACKAGES = ("sklearn", "imblearn", "harness")
ROLES = {
    "estimator": ("fit", "predict"),
    "transformer": ("fit", "transform"),
    "sampler": ("fit_resample",),
}
STEP = "step"  # import_class role of a treatment step: a sampler or a transformer


def allowed_packages(extra: tuple[str, ...] | list[str] = ()) -> tuple[str, ...]:
    """The top-level packages a spec may import from: the defaults, ``extra`` (from the command
    line) and ``$HARNESS_ALLOW_IMPORT``; each entry may hold several, comma-separated."""
    names = [*DEFAULT_PACKAGES, *extra, *allowed_imports()]
    out: list[str] = []
    for entry in names:
        for name in entry.split(","):
            name = name.strip()
            if name and name not in out:
                out.append(name)
    return tuple(out)


def import_class(path: str, where: str, role: str = "estimator", allowed: tuple[str, ...] | None = None) -> type:
    """The class named by ``path`` (``package.module:ClassName``), checked as the module
    docstring says before anything is called. ``where`` names the spec field in errors
    (e.g. ``algorithms.3``). Raises SpecError."""
    allowed = allowed_packages() if allowed is None else allowed
    module_name, _, attr = path.partition(":")
    top = module_name.split(".")[0]
    if not module_name or module_name.startswith(".") or not attr:
        raise SpecError(f"{where}.class: {path!r} must look like 'package.module:ClassName'")
    if not any(module_name == a or module_name.startswith(a + ".") for a in allowed):
        # an allowed entry is a package or a subpackage (``pkg.sub`` allows ``pkg.sub.mod``, not ``pkg.other``)
        raise SpecError(
            f"{where}.class: {module_name!r} is not in a package a spec may import from ({', '.join(allowed)}); "
            f"importing a module runs its code: if you trust {top!r}, allow it with --allow-import {top} "
            f"or {ALLOW_IMPORT_ENV}={top}")
    try:
        module = importlib.import_module(module_name)
    except (ImportError, ValueError, TypeError) as e:  # ValueError/TypeError: empty or relative module name
        top_missing = isinstance(e, ModuleNotFoundError) and e.name == module_name.split(".")[0]
        hint = ("; is it installed? A module of your own is found in the folder you run `python -m harness` from "
                "(the `harness` command does not look there) or on PYTHONPATH" if top_missing else "")
        raise SpecError(f"{where}.class: cannot import module {module_name!r} ({e}){hint}") from None
    obj = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)  # the module is in an allowed package: its lazy attributes may run
        except AttributeError:
            raise SpecError(f"{where}.class: module {module_name!r} has no {attr!r}") from None
    if not inspect.isclass(obj):
        raise SpecError(f"{where}.class: {path} is a {type(obj).__name__}, not a class; name a scikit-learn "
                        f"style {role} class")
    if role == STEP:  # a treatment step: a sampler or a transformer
        if any(all(callable(getattr(obj, m, None)) for m in ROLES[r]) for r in ("sampler", "transformer")):
            return obj
        raise SpecError(f"{where}.class: {path} is neither a sampler (fit_resample()) nor a transformer "
                        "(fit() and transform())")
    missing = [m for m in ROLES[role] if not callable(getattr(obj, m, None))]
    if missing:
        raise SpecError(f"{where}.class: {path} is not a scikit-learn style {role}: it has no "
                        f"{' or '.join(m + '()' for m in missing)}")
    return obj


def _fit_is_trusted(cls: type) -> bool:
    """True when the ``fit`` an instance of ``cls`` runs is scikit-learn's or this harness's own,
    which validate every parameter value before they look at the data; a user's ``fit`` may do
    anything (count its calls, take minutes), so it is not called at load."""
    module = getattr(getattr(cls, "fit", None), "__module__", "") or ""
    return module.split(".")[0] in ("sklearn", "harness")


def parameter_problem(est) -> str | None:
    """The parameter value ``est`` rejects, in scikit-learn's words, or None. scikit-learn checks
    parameter values at the start of ``fit`` (before the data), so a ``fit`` on an empty sample
    checks them and trains nothing: public API, not the private ``_validate_params``. Only for
    estimators whose ``fit`` is scikit-learn's or this harness's (``_fit_is_trusted``); others are
    checked by their first fit."""
    import numpy as np

    if not _fit_is_trusted(type(est)):
        return None
    try:
        est.fit(np.zeros((0, 1)), np.zeros(0))
    except Exception as e:  # noqa: BLE001 - only a parameter error counts; the empty data's error is expected
        # scikit-learn's InvalidParameterError (a ValueError) lives in a private module: known by name
        if any(c.__name__ == "InvalidParameterError" for c in type(e).__mro__):
            return " ".join(str(e).split())
    return None
