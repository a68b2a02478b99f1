"""Operational faults and signals, through the CLI as a user meets them: each is one line on stderr
with the right exit code, nothing finished is lost, and the same command resumes once it is fixed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from contextlib import contextmanager

import pandas as pd
import pytest

from faultkit import KEY, begin, handled_signals, make_run, one_line, rows, run, trials


def _can_chattr(tmp_path) -> bool:
    probe = tmp_path / "probe"
    probe.touch()
    ok = shutil.which("chattr") and subprocess.run(["chattr", "+i", probe], capture_output=True).returncode == 0
    if ok:
        subprocess.run(["chattr", "-i", probe], check=True)
    return bool(ok)


@contextmanager
def read_only(path, tmp_path):
    """``path`` made unwritable even for root: mode 0o555/0o444 plus the immutable attribute."""
    if os.geteuid() == 0 and not _can_chattr(tmp_path):
        pytest.skip("root without chattr: a file cannot be made read-only here")
    mode = path.stat().st_mode
    path.chmod(0o555 if path.is_dir() else 0o444)
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", path], check=True)
    try:
        yield
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", path], check=True)
        path.chmod(mode)


def finished_part(tmp_path):
    """A run stopped after 4 of its 12 trials (its last rows cut off, as after a kill)."""
    spec = make_run(tmp_path)
    assert run(tmp_path).returncode == 0
    path = tmp_path / "out/tiny/trials.csv"
    full = trials(path)
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join(lines[:5]) + b"\n")
    return spec, path, full


def test_read_only_trials_csv_then_fixed(tmp_path):
    _, path, full = finished_part(tmp_path)
    before = path.read_bytes()
    with read_only(path, tmp_path):
        proc = run(tmp_path)
    assert proc.returncode == 2 and "trials.csv" in one_line(proc.stderr) and "writable" in proc.stderr
    assert path.read_bytes() == before
    proc = run(tmp_path)
    assert proc.returncode == 0, proc.stderr
    pd.testing.assert_frame_equal(trials(path)[KEY], full[KEY])


def test_read_only_run_directory_then_fixed(tmp_path):
    _, path, full = finished_part(tmp_path)
    with read_only(path.parent, tmp_path):
        proc = run(tmp_path)
    assert proc.returncode == 2 and "run directory is not writable" in one_line(proc.stderr)
    assert rows(path) == 4
    assert run(tmp_path).returncode == 0
    pd.testing.assert_frame_equal(trials(path)[KEY], full[KEY])


def test_an_unwritable_stale_lock_file_does_not_block_the_run(tmp_path):
    _, path, full = finished_part(tmp_path)
    with read_only(path.parent / ".lock", tmp_path):
        proc = run(tmp_path)
    assert proc.returncode == 0, proc.stderr
    pd.testing.assert_frame_equal(trials(path)[KEY], full[KEY])


def test_a_damaged_manifest_is_one_line_and_restoring_it_resumes(tmp_path):
    """Truncated here; empty, not an object, keys missing: tests/results/test_store.py."""
    _, path, full = finished_part(tmp_path)
    manifest = path.parent / "manifest.json"
    good = manifest.read_bytes()
    manifest.write_bytes(good[: len(good) // 2])
    proc = run(tmp_path)
    assert proc.returncode == 2 and "manifest.json" in one_line(proc.stderr) and rows(path) == 4
    manifest.write_bytes(good)
    assert run(tmp_path).returncode == 0
    pd.testing.assert_frame_equal(trials(path)[KEY], full[KEY])


@pytest.mark.slow
def test_a_blank_line_in_a_finished_run_is_refused_and_nothing_is_rerun(tmp_path):
    """The issue's first case: a blank line after the second data row of a finished run."""
    make_run(tmp_path)
    assert run(tmp_path).returncode == 0
    path = tmp_path / "out/tiny/trials.csv"
    lines = path.read_bytes().split(b"\n")
    damaged = b"\n".join(lines[:3] + [b""] + lines[3:])
    path.write_bytes(damaged)
    proc = run(tmp_path)
    assert proc.returncode == 2 and "trials.csv: line 4: blank line" in one_line(proc.stderr)
    assert path.read_bytes() == damaged
    proc = subprocess.run([*_python(), "-m", "harness", "analyze", "out/tiny"], cwd=tmp_path, capture_output=True,
                          text=True, env=_env())
    assert proc.returncode == 2 and "line 4: blank line" in one_line(proc.stderr)


@pytest.mark.slow
def test_an_edited_metric_is_detected_on_resume_and_in_analyze(tmp_path):
    make_run(tmp_path)
    assert run(tmp_path).returncode == 0
    path = tmp_path / "out/tiny/trials.csv"
    df = pd.read_csv(path)
    text = path.read_text().splitlines(keepends=True)
    f1 = repr(float(df["f1"].iloc[2]))
    text[3] = text[3].replace(f",{f1},", f",{float(f1) / 2!r},", 1)
    path.write_text("".join(text))
    proc = run(tmp_path)
    assert proc.returncode == 2 and "line 4: row_sha256 does not match" in one_line(proc.stderr)
    proc = subprocess.run([*_python(), "-m", "harness", "analyze", "out/tiny"], cwd=tmp_path, capture_output=True,
                          text=True, env=_env())
    assert proc.returncode == 2 and "line 4: row_sha256 does not match" in one_line(proc.stderr)


def test_a_run_without_checksums_still_resumes_and_says_so_once(tmp_path):
    _, path, full = finished_part(tmp_path)
    import csv

    with open(path, newline="") as f:
        table = list(csv.reader(f))
    i = table[0].index("row_sha256")
    old = [r[:i] + r[i + 1:] for r in table]  # the layout before row_sha256
    with open(path, "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(old)
    proc = run(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("no row_sha256") == 1
    assert "row_sha256" not in trials(path).columns  # resumed in its own (older) columns
    pd.testing.assert_frame_equal(trials(path)[KEY], full[KEY])


def _python():
    import sys

    return [sys.executable]


def _env():
    from clitools import cli_env

    return cli_env()


@pytest.fixture
def tiny_tmpfs(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    # room for the manifest (about 10 kB, twice while it is replaced) and part of the trials
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40k", "tmpfs", mount],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", mount], check=True)


@pytest.mark.slow
def test_disk_full_mid_run_is_one_line_and_resumes_once_space_is_freed(tmp_path, tiny_tmpfs):
    make_run(tmp_path, repetitions=12)
    proc = run(tmp_path, results=tiny_tmpfs)
    assert proc.returncode == 2, proc.stderr
    line = one_line(proc.stderr)
    assert "No space left on device" in line and "free some disk space" in line
    path = tiny_tmpfs / "tiny/trials.csv"
    saved = rows(path)
    assert 0 < saved < 72
    m = json.loads((tiny_tmpfs / "tiny/manifest.json").read_text())
    assert m["finished_at"] is None
    subprocess.run(["mount", "-o", "remount,size=4m", tiny_tmpfs], check=True)  # space freed
    proc = run(tmp_path, results=tiny_tmpfs)
    assert proc.returncode == 0, proc.stderr
    assert f"{saved} of 72 trials already done" in proc.stdout
    assert run(tmp_path, results=tmp_path / "ref").returncode == 0
    pd.testing.assert_frame_equal(trials(path)[KEY], trials(tmp_path / "ref/tiny/trials.csv")[KEY])


def _stop_after_rows(tmp_path, sig, n_rows):
    proc = begin(tmp_path)
    path = tmp_path / "out/tiny/trials.csv"
    deadline = time.time() + 120
    while rows(path) < n_rows and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, err


@pytest.mark.slow
@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)])
def test_sigterm_and_sighup_stop_like_ctrl_c(tmp_path, sig, code):
    make_run(tmp_path, repetitions=4, cooldown=0.3)
    returncode, err = _stop_after_rows(tmp_path, sig, 2)
    assert returncode == code, err
    line = one_line(err)
    assert f"interrupted ({sig.name})" in line and "run the same command again" in line
    path = tmp_path / "out/tiny/trials.csv"
    m = json.loads((path.parent / "manifest.json").read_text())
    last = m["sessions"][-1]
    assert last["ended_by"] == sig.name and last["trials_done"] == rows(path) >= 2 and m["finished_at"] is None
    assert run(tmp_path).returncode == 0
    assert rows(path) == 24 and trials(path)["trial_id"].is_unique


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stop_during_start_up_is_one_line(tmp_path, sig, code):
    make_run(tmp_path)
    proc = begin(tmp_path)
    deadline = time.time() + 60
    # harness.signals.install() is the first thing __main__ does, before the slow imports
    while not handled_signals(proc.pid) & (1 << (signal.SIGTERM - 1)) and time.time() < deadline:
        time.sleep(0.001)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert f"interrupted ({sig.name})" in one_line(err)


# Sends SIGTERM to itself the moment install() has set the SIGTERM handler, before SIGHUP's: the
# window in which a batch scheduler's SIGTERM used to give a traceback and exit 1, made certain.
_MID_INSTALL = """
import os, runpy, signal, sys
real = signal.signal
def signal_then_stop(sig, handler):
    previous = real(sig, handler)
    if sig == signal.SIGTERM and handler is not signal.SIG_DFL:
        os.kill(os.getpid(), signal.SIGTERM)
    return previous
signal.signal = signal_then_stop
sys.argv = ["harness", "--help"]
runpy.run_module("harness", run_name="__main__", alter_sys=True)
"""


def test_a_stop_while_the_handlers_are_installed_is_one_line(tmp_path):
    """From a review: SIGTERM landing inside signals.install() raised Stopped outside the try that
    turns it into one line (traceback, exit 1 instead of 143)."""
    import sys

    from clitools import cli_env

    proc = subprocess.run([sys.executable, "-c", _MID_INSTALL], cwd=tmp_path, env=cli_env(), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 143, proc.stderr
    assert "interrupted (SIGTERM) during start-up" in one_line(proc.stderr)
