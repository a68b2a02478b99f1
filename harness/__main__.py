"""``python -m harness``: the same program as the ``harness`` console script (``harness.cli.main``)."""

import sys


def shadowed_by_a_folder(package) -> str | None:
    """The one-line error when ``harness`` was imported as a namespace package, i.e. a folder named
    ``harness`` without ``__init__.py`` in the current folder (the clone, run from its parent)
    hides the installed package; None when ``package`` is the real one."""
    if getattr(package, "__file__", None) is not None:
        return None
    where = ", ".join(str(p) for p in getattr(package, "__path__", [])) or "a folder"
    return (f"harness: error: 'harness' here is the folder {where}, not the package; "
            "cd into the clone (or elsewhere) and run again, or install it: pip install -e <clone>")


if __name__ == "__main__":
    import harness

    problem = shadowed_by_a_folder(harness)
    if problem:
        print(problem, file=sys.stderr)
        raise SystemExit(2)
    from harness.cli import main

    raise SystemExit(main())
