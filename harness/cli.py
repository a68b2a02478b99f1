"""Command line: ``python -m harness {run,meters,doctor,analyze,figures,compare,report,export}``.

Each subcommand lives beside the code it drives and registers itself through a module-level
``register(subparsers)`` that adds its parser and sets ``func`` (args -> exit code).
A HarnessError becomes one line on stderr and exit code 2; anything else is a bug.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from harness import __version__
from harness.errors import HarnessError

# Modules that define a ``register(subparsers)``; order is the order of --help.
COMMAND_MODULES = [
    "harness.runner",
    "harness.meters.command",
    "harness.hygiene.command",
    "harness.analysis.command",
    "harness.report.command",
    "harness.export.command",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness",
        description="Empirical benchmark harness for data-centric Green AI experiments.",
    )
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except HarnessError as e:
        print(f"harness: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("harness: interrupted", file=sys.stderr)
        return 130
