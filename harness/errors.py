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
