"""Helpers to run the CLI as a user would: ``harness(...)`` in this process (``harness.cli.main``,
what ``python -m harness`` calls; fast), ``process(...)`` and ``start(...)`` in a child process,
for the tests whose subject is the process boundary itself (signals, kill -9, start-up imports)."""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import signal
import subprocess
import sys
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def cli_env(PYTHONPATH_EXTRA: str = "", **extra) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), PYTHONPATH_EXTRA, env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env


def harness(*args, cwd=REPO, timeout=300, PYTHONPATH_EXTRA: str = "", **env) -> subprocess.CompletedProcess:
    """``python -m harness ARGS`` run in this process: its exit code and what it wrote on stdout and
    stderr, as ``subprocess.run(..., capture_output=True, text=True)`` returns them. ``cwd``, the
    environment variables in ``env`` and ``PYTHONPATH_EXTRA`` (a folder of user modules) apply during
    the call only; the signal handlers the CLI installs, the working directory, the environment and
    the modules imported from ``PYTHONPATH_EXTRA`` are put back after it. An exception the CLI lets
    through is written to stderr as Python would (exit code 1), so "no traceback" checks still see it.
    ``timeout`` is accepted for the child-process helpers' signature and not enforced here."""
    argv = [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    old_env = {k: os.environ.get(k) for k in env}
    old_cwd, old_path, old_modules = os.getcwd(), list(sys.path), set(sys.modules)
    try:
        os.environ.update({k: str(v) for k, v in env.items()})
        # as ``python -m`` does: the working directory first on sys.path (a user's module beside the spec)
        sys.path[:0] = [str(cwd), *([PYTHONPATH_EXTRA] if PYTHONPATH_EXTRA else [])]
        importlib.invalidate_caches()  # files a test has just written
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            from harness.cli import main

            try:
                code = main(argv)
            except SystemExit as e:  # argparse: --help, --version, usage errors
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
                if e.code is not None and not isinstance(e.code, int):
                    print(e.code, file=sys.stderr)
            except Exception:  # a bug: Python would print the traceback and exit 1
                traceback.print_exc()
                code = 1
    finally:
        os.chdir(old_cwd)
        sys.path[:] = old_path
        for k, v in old_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        for s, h in handlers.items():
            signal.signal(s, h)
        # a user's module: a later test's module of the same name must be imported afresh
        folders = [str(Path(p).resolve()) for p in (PYTHONPATH_EXTRA, cwd) if p and Path(p).resolve() != REPO]
        for name in set(sys.modules) - old_modules:
            file = getattr(sys.modules[name], "__file__", None) or ""
            if file and any(str(Path(file).resolve()).startswith(f + os.sep) for f in folders):
                del sys.modules[name]
    return subprocess.CompletedProcess(["harness", *argv], int(code or 0), out.getvalue(), err.getvalue())


def process(*args, cwd=REPO, timeout=300, **env) -> subprocess.CompletedProcess:
    """``python -m harness ARGS`` in a child process, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "harness", *map(str, args)], cwd=cwd, env=cli_env(**env),
                          capture_output=True, text=True, timeout=timeout)


def start(*args, cwd=REPO, **env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "harness", *map(str, args)], cwd=cwd, env=cli_env(**env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
