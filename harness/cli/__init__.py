"""Command line: ``python -m harness {run,meters,doctor,analyze,figures,compare,replication,report,export}``.

Each subcommand lives beside the code it drives and registers itself through a module-level
``register(subparsers)`` that adds its parser and sets ``func`` (args -> exit code).
A HarnessError becomes one line on stderr and exit code 2; anything else is a bug.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from harness import __version__, signals
from harness.errors import HarnessError

# Modules that define a ``register(subparsers)``, with the commands each registers; order is the
# order of --help.
COMMAND_MODULES = {
    "harness.cli.run": ("run",),
    "harness.cli.meters": ("meters",),
    "harness.cli.doctor": ("doctor",),
    "harness.cli.analyze": ("analyze", "figures", "compare"),
    "harness.cli.replication": ("replication",),
    "harness.cli.report": ("report",),
    "harness.cli.export": ("export",),
}


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors follow the project's rule: one line on stderr naming
    the option and where the fix is documented, exit code 2 (argparse prints the whole usage
    first). Subparsers inherit the class (``add_subparsers`` uses ``type(self)``)."""

    def error(self, message: str):
        message = " ".join(message.split())  # argparse may wrap a long choice list
        self.exit(2, f"{self.prog}: error: {message} (see python -m {self.prog} --help)\n")

    def parse_args(self, args=None, namespace=None):
        """As argparse's, but an unknown option is blamed on the (sub)command it was given to."""
        namespace, extra = self.parse_known_args(args, namespace)
        if extra:
            self._innermost(namespace).error(f"unrecognized arguments: {' '.join(extra)}")
        return namespace

    def _innermost(self, namespace) -> argparse.ArgumentParser:
        parser = self
        while True:
            sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
            chosen = sub and sub.choices.get(getattr(namespace, sub.dest, None) or "")
            if chosen is None:
                return parser
            parser = chosen


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The full parser; with ``command`` (a name of ``COMMAND_MODULES``) only the module of that
    command is imported and the others get bare parsers, so that ``meters`` does not import what
    ``run`` needs (pydantic, numpy). ``--help`` of the whole program imports every module."""
    parser = OneLineParser(
        prog="harness",
        description="Empirical benchmark harness for data-centric Green AI experiments.",
    )
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module, commands in COMMAND_MODULES.items():
        if command is None or command in commands:
            importlib.import_module(module).register(sub)
        else:
            for name in commands:
                sub.add_parser(name)
    return parser


def _command_of(argv: list[str]) -> str | None:
    """The subcommand named in ``argv`` (the first token that is not an option), if it is one."""
    first = next((a for a in argv if not a.startswith("-")), None)
    known = {c for commands in COMMAND_MODULES.values() for c in commands}
    return first if first in known else None


def main(argv: list[str] | None = None) -> int:
    """The program: ``harness ...`` (the console script) and ``python -m harness ...`` both call this,
    so signals, exit codes and messages are the same. Returns the exit code: 0, 2 for bad input
    (one line on stderr), 128 + N after signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP), 141 when
    the reader of stdout went away."""
    try:
        # First, and inside this try: a signal that lands while the handlers are being installed,
        # or while a command's libraries import, raises Stopped here too: one line, nothing written.
        signals.install()
        argv = sys.argv[1:] if argv is None else list(argv)
        parser = build_parser(_command_of(argv))
    except KeyboardInterrupt as stop:  # Ctrl-C, SIGTERM or SIGHUP during start-up
        print(f"harness: interrupted ({signals.signal_name(stop)}) during start-up; nothing was written",
              file=sys.stderr)
        return signals.exit_code(stop)
    args = parser.parse_args(argv)
    stdout = sys.stdout
    if _command_of(argv) == "run":  # `run | head`: the run goes on when the reader goes away
        sys.stdout = _ReaderMayGo(stdout)
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not as a traceback at exit
        return code
    except BrokenPipeError:
        return _reader_went_away()
    except HarnessError as e:
        print(f"harness: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as stop:  # Ctrl-C, SIGTERM or SIGHUP (harness.signals) outside a run's trials
        print(f"harness: interrupted ({signals.signal_name(stop)})", file=sys.stderr)
        return signals.exit_code(stop)
    finally:
        sys.stdout = stdout


class _ReaderMayGo:
    """stdout for ``run``: when its reader goes away (``run | head``), what is printed after is
    dropped and the run goes on: its trials are saved as usual (a stopped run would lose the
    trial under way). Output, not results, is what a pipe reader can stop."""

    def __init__(self, stream):
        self._stream, self.gone = stream, False

    def _guard(self, call, *a):
        if self.gone:
            return None
        try:
            return call(*a)
        except BrokenPipeError:
            self.gone = True
            try:  # Python flushes stdout at exit: into /dev/null, not into the closed pipe
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, self._stream.fileno())
            except (OSError, ValueError, AttributeError):
                pass
            return None

    def write(self, text: str) -> int:
        self._guard(self._stream.write, text)
        return len(text)

    def flush(self) -> None:
        self._guard(self._stream.flush)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _reader_went_away() -> int:
    """Output piped into ``head`` (or a pager that quit): stop quietly, as Unix tools do. Python
    would otherwise report the closed pipe again when it flushes stdout at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 141  # 128 + SIGPIPE, what a shell reports for a tool killed by a closed pipe
