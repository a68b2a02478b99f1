"""Stopping a run: Ctrl-C (SIGINT), and a batch scheduler's SIGTERM or a closed terminal's SIGHUP,
all handled the same way.

``install()`` makes SIGINT, SIGTERM and SIGHUP raise ``Stopped``, a KeyboardInterrupt, so every place that
handles Ctrl-C (the runner abandons the current trial, closes the manifest's session with how far
it got) handles them too. The exit code is the shell's convention, 128 + the signal number: 130
for SIGINT, 143 for SIGTERM, 129 for SIGHUP. ``held()`` defers these signals while a few writes
that must finish together are made.
"""

from __future__ import annotations

import signal
import sys
from contextlib import contextmanager

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """A SIGINT, SIGTERM or SIGHUP, raised where the program was, as Ctrl-C raises KeyboardInterrupt."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


_held = 0  # depth of held() blocks
_pending: list[int] = []


def _raise(signum, frame):
    if _held:
        _pending.append(signum)  # delivered when the held() block ends
        return
    raise Stopped(signum)


def install() -> None:
    """Make SIGINT, SIGTERM and SIGHUP raise ``Stopped`` (a KeyboardInterrupt), or wait for the end
    of a ``held()`` block."""
    for sig in HANDLED:
        signal.signal(sig, _raise)


def signal_name(exc: KeyboardInterrupt) -> str:
    return signal.Signals(getattr(exc, "signum", signal.SIGINT)).name


def exit_code(exc: KeyboardInterrupt) -> int:
    """128 + the signal's number: 130 (SIGINT, Ctrl-C), 143 (SIGTERM), 129 (SIGHUP)."""
    return 128 + int(getattr(exc, "signum", signal.SIGINT))


@contextmanager
def held(reraise: bool = True):
    """Defer SIGINT, SIGTERM and SIGHUP (as handled by ``install``) until the block ends, then raise
    the first one; with ``reraise`` False drop them instead (a run already stopping by a signal: a
    second one, as ``timeout`` or Slurm send to the process group, must not cut its closing line).
    A mask (pthread_sigmask) would not do: another thread (BLAS, tqdm) may receive the signal, and
    Python then runs the handler in the main thread whatever its mask."""
    global _held
    _held += 1
    try:
        yield
    finally:
        _held -= 1
        if not _held and _pending:
            signum = _pending[0]
            _pending.clear()
            if reraise and sys.exc_info()[0] is None:  # an error already on its way out wins
                raise Stopped(signum)
