"""One exception family. The CLI turns a HarnessError into one line on stderr and exit code 2;
any other exception is a bug and may show a traceback."""


class HarnessError(Exception):
    """Bad input or an unusable environment: the message is one line that names the field or
    file at fault and how to fix it."""


class SpecError(HarnessError):
    """The experiment spec (YAML) is malformed or names something unknown."""


class DatasetError(HarnessError):
    """A dataset file is missing, altered (checksum) or unreadable."""


class MeterError(HarnessError):
    """An energy meter cannot be used here (no counters, no permission, no library)."""


class ResultsError(HarnessError):
    """The results directory cannot be written, or a run there cannot be resumed."""


class ExecutorError(HarnessError):
    """Trials cannot be run where asked: no scheduler, unsuitable workers, a refused layout."""


class UsageError(HarnessError):
    """A command-line value that cannot be used: out of range, or an option that does not apply
    to the results given (e.g. --net on estimated energy, --candidate not in the results)."""


class CarbonError(UsageError):
    """Bad carbon input: intensity, PUE, manufacturing footprint or service life."""


class TreatmentError(SpecError):
    """A treatment cannot be applied to this data as the spec asks (a row fraction that keeps too
    few rows or one class only, a split or a feature selection that cannot be made)."""


class EstimatorError(SpecError):
    """An algorithm's estimator failed or misbehaved in a trial (its fit or predict raised, or its
    prediction is not one label seen in fit per test row): the message names the class and the trial."""


class ExportError(HarnessError):
    """MLflow missing, or a tracking store that cannot be used."""


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun in the number it takes, for messages: ``counted(1, "repetition")`` is
    "1 repetition", ``counted(2, "repetition")`` "2 repetitions" (``plural`` when not noun + "s")."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"
