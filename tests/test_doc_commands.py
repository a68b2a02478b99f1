"""Every `python -m harness ...` command shown in a shell block of the README and the docs is one the
command line accepts today: parsed by the real parser (a renamed command or option fails here), with
the files it names in the repository present. Commands are parsed, not run (the full study takes
hours); the Python blocks of docs/api.md run in tests/api/test_docs_examples.py."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from harness.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
BLOCK = re.compile(r"```(?:bash|sh|console|shell)\n(.*?)```", re.S)


def commands() -> list[tuple[str, str]]:
    """(page:line, command) of each `python -m harness` or `harness` command in a shell block."""
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for block in BLOCK.finditer(text):
            start = text[:block.start()].count("\n") + 2
            joined = block.group(1).replace("\\\n", " ")
            for i, line in enumerate(joined.splitlines()):
                for part in re.split(r"&&|;|\|", line.split(" #")[0]):
                    words = part.strip()
                    m = re.match(r"(?:\S+=\S+\s+)*(?:python3? -m harness|harness)\s+(.*)$", words)
                    if m:
                        found.append((f"{page.relative_to(REPO)}:{start + i}", m.group(1)))
    return found


FOUND = commands()
PLACEHOLDERS = {"SPEC", "PATH", "RUN", "NAME", "DIR", "N", "URI", "FILE", "KIND", "ADDRESS", "S", "PKG"}


def test_the_docs_show_commands():
    assert len(FOUND) >= 20  # the scan itself works: the README alone shows dozens


@pytest.mark.parametrize("where, command", FOUND, ids=[w for w, _ in FOUND])
def test_command_is_accepted_by_the_parser(where, command, capsys):
    argv = [w for w in shlex.split(command) if not w.startswith("<")]
    if any("..." in w or w in PLACEHOLDERS for w in argv):
        pytest.skip(f"{where}: a template (placeholders), not a command")
    try:
        build_parser().parse_args(argv)
    except SystemExit as e:
        if e.code != 0:  # --help/--version exit 0
            pytest.fail(f"{where}: `harness {command}` is refused: {capsys.readouterr().err.strip()}")
    for word in argv:
        if re.fullmatch(r"(experiments|datasets|benchmarks)/[\w./-]+\.(ya?ml|csv|py)", word):
            assert (REPO / word).exists(), f"{where}: {word} does not exist"
