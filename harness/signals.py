"""Stopping a run: Ctrl-C (SIGINT), and a batch scheduler's SIGTERM or a closed terminal's SIGHUP,
all handled the same way.

``install()`` makes SIGTERM and SIGHUP raise ``Stopped``, a KeyboardInterrupt, so every place that
handles Ctrl-C (the runner abandons the current trial, closes the manifest's session with how far
it got) handles them too. The exit code is the shell's convention, 128 + the signal number: 130
for SIGINT, 143 for SIGTERM, 129 for SIGHUP. ``held()`` defers these signals while a few writes
that must finish together are made.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """A SIGTERM or SIGHUP, raised where the program was, as Ctrl-C raises KeyboardInterrupt."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise(signum, frame):
    raise Stopped(signum)


def install() -> None:
    """Make SIGTERM and SIGHUP raise ``Stopped`` (SIGINT already raises KeyboardInterrupt)."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise)


def signal_name(exc: KeyboardInterrupt) -> str:
    return signal.Signals(getattr(exc, "signum", signal.SIGINT)).name


def exit_code(exc: KeyboardInterrupt) -> int:
    """128 + the signal's number: 130 (SIGINT, Ctrl-C), 143 (SIGTERM), 129 (SIGHUP)."""
    return 128 + int(getattr(exc, "signum", signal.SIGINT))


@contextmanager
def held():
    """Defer SIGINT, SIGTERM and SIGHUP until the block ends (then they are delivered as usual)."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
