"""harness.signals: a signal inside held() is deferred; a run already stopping drops a second one
(timeout and Slurm send SIGTERM to the process, then to its group: the closing line must still print)."""

import os
import signal

import pytest

from harness import signals


@pytest.fixture
def installed():
    old = {s: signal.getsignal(s) for s in signals.HANDLED}
    signals.install()
    yield
    for s, h in old.items():
        signal.signal(s, h)


def test_a_held_signal_is_raised_when_the_block_ends(installed):
    with pytest.raises(KeyboardInterrupt) as stop:
        with signals.held():
            os.kill(os.getpid(), signal.SIGTERM)
    assert signals.exit_code(stop.value) == 143


def test_a_second_signal_while_stopping_is_dropped(installed):
    with signals.held(reraise=False):
        os.kill(os.getpid(), signal.SIGTERM)
    with signals.held():  # nothing left pending for the next block
        pass
