"""The ``harness`` console script (pyproject [project.scripts]: ``harness.cli:main``) and ``python -m
harness`` are one program: ``harness.cli.main`` installs the signal handlers, so a batch scheduler's
SIGTERM mid-run stops either the same way: exit 143, one line on stderr, the manifest's session
closed with how far it got."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time

import pytest

from clitools import cli_env
from faultkit import make_run, one_line, rows

LAUNCHERS = {
    # The script pip writes for the entry point (or a pyenv shim that execs it, same process).
    "console-script": lambda: [shutil.which("harness")] if shutil.which("harness") else None,
    "python-m": lambda: [sys.executable, "-m", "harness"],
}


@pytest.mark.slow
@pytest.mark.parametrize("launcher", sorted(LAUNCHERS))
def test_sigterm_mid_run_stops_both_launchers_alike(tmp_path, launcher):
    command = LAUNCHERS[launcher]()
    if command is None:
        pytest.skip("no 'harness' console script on PATH (pip install -e . writes it)")
    make_run(tmp_path, repetitions=4, cooldown=0.3)
    # cli_env puts this checkout first on PYTHONPATH: the console script runs this code too.
    proc = subprocess.Popen([*command, "run", "spec.yaml", "--results-dir", "out", "--quiet"], cwd=tmp_path,
                            env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    path = tmp_path / "out/tiny/trials.csv"
    deadline = time.time() + 120
    while rows(path) < 2 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, f"the run ended before it was signalled: {proc.communicate()[1]}"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)

    assert proc.returncode == 143, err
    line = one_line(err)
    assert line.startswith("harness: interrupted (SIGTERM)") and "trials saved" in line, line
    m = json.loads((path.parent / "manifest.json").read_text())
    session = m["sessions"][-1]
    assert session["ended_by"] == "SIGTERM"
    assert session["finished_at"] is not None
    assert session["trials_done"] == rows(path) >= 2
    assert m["finished_at"] is None  # the run itself is not finished: the same command resumes it
