"""The options a report was built with, kept beside it (``report.html`` -> ``report.json``), so
that a command which rebuilds the report as a side effect (``export mlflow``) builds the same
report instead of silently dropping, say, its carbon section.

``report`` always uses the options on its own command line and records them. ``export`` takes
each option given on its command line and, for each one not given, the recorded value (else the
default); what it used is recorded in turn. Options are stored as given (``--intensity DEU``, not
the looked-up gCO2e/kWh), so the stored file reads like the command that made the report.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from harness.analysis.defaults import CARBON_DEFAULTS, STAT_DEFAULTS
from harness.errors import ResultsError

# argparse dest -> default when neither the command line nor the stored file gives it
OPTIONS = {**STAT_DEFAULTS, **CARBON_DEFAULTS}
FORMAT = 1


def path_for(html: Path) -> Path:
    """The options file of a report: ``report.html`` -> ``report.json``."""
    return Path(html).with_suffix(".json")


def save(html: Path, args) -> Path:
    """Record the report options of ``args`` beside ``html`` (written to a temporary file and
    renamed: never half a file)."""
    path = path_for(html)
    data = {"format": FORMAT, "report": Path(html).name, "options": {k: getattr(args, k) for k in OPTIONS}}
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        raise ResultsError(f"{path}: cannot record the report's options ({e.strerror})") from e
    return path


def load(html: Path) -> dict:
    """The recorded options of the report ``html`` ({} when none were recorded). Raises
    ResultsError when the file exists but is not one this module wrote."""
    path = path_for(html)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        options = data["options"]
        if not isinstance(options, dict):
            raise TypeError
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise ResultsError(f"{path}: not a report options file; delete it and rerun 'harness report' with "
                           "the options you want") from None
    return {k: v for k, v in options.items() if k in OPTIONS}


def fill(args, html: Path) -> list[str]:
    """Set every option of ``args`` left at None (not given on the command line; the parser's
    defaults must be None) to the value recorded for ``html``, else to its default. Returns the
    names of the options taken from the record, for a note to the user."""
    stored = load(html)
    taken = []
    for name, default in OPTIONS.items():
        if getattr(args, name, None) is None:
            if name in stored:
                setattr(args, name, stored[name])
                if stored[name] != default:
                    taken.append(name)
            else:
                setattr(args, name, default)
    return taken


def unset_defaults(parser) -> None:
    """Make every report option of ``parser`` default to None, so ``fill`` can tell an option
    given on the command line from one left out."""
    parser.set_defaults(**{name: None for name in OPTIONS})
