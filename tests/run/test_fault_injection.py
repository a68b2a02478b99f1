"""Kill -9 the runner at random points, again and again, then compare with an uninterrupted run.

Seeded (``SEED``): the same kill points (rows to wait for, extra delay, torn writes) on every run of
the test; the timing of the machine still varies, which is the point. Kills land during start-up,
mid-trial, between trials and during manifest writes; after some, a half-written row is appended
as a kill in the middle of a write leaves it. Afterwards the trial set, seeds, sizes and scores
must equal those of a run never interrupted, with no trial lost or duplicated and every row's
checksum intact.
"""

from __future__ import annotations

import json
import random
import signal
import time

import pandas as pd
import pytest

from faultkit import KEY, begin, make_run, rows, run, trials
from harness.results.read import read_results_file

SEED = 8
KILLS = 20
FRAGMENT = b"tiny,47,11,knn,data,holdout,features,1.0,0.34,7,42,2024-"


@pytest.mark.slow
def test_twenty_random_kills_lose_and_duplicate_nothing(tmp_path):
    make_run(tmp_path, repetitions=16, cooldown=0.05)  # 96 trials of at least 50 ms each: a kill lands mid-run
    path = tmp_path / "out/tiny/trials.csv"
    rnd = random.Random(SEED)
    kills = torn = 0
    while kills < KILLS:
        before = rows(path)
        wait_rows, delay = rnd.choice([0, 0, 1, 1, 2]), rnd.uniform(0, 0.25)
        proc = begin(tmp_path)
        deadline = time.time() + 120
        while rows(path) < before + wait_rows and proc.poll() is None and time.time() < deadline:
            time.sleep(0.005)
        time.sleep(delay)
        if proc.poll() is not None:  # finished before the kill: start over is not needed, just stop killing
            break
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        kills += 1
        if rnd.random() < 0.2 and path.exists():  # a kill in the middle of a write
            with open(path, "ab") as f:
                f.write(FRAGMENT)
            torn += 1
    assert kills >= KILLS, f"the run finished after {kills} kills; make the spec longer"
    final = run(tmp_path)
    assert final.returncode == 0, final.stderr
    assert run(tmp_path, results="ref").returncode == 0
    got, ref = trials(path), trials(tmp_path / "ref/tiny/trials.csv")
    assert len(got) == 96 and got["trial_id"].is_unique
    pd.testing.assert_frame_equal(got[KEY], ref[KEY])
    assert read_results_file(path).unverified == 0  # every checksum checked and present
    # fragments kept aside, not dropped (two torn writes with no resume between them share one file)
    assert sum(p.read_bytes().count(FRAGMENT) for p in path.parent.glob("torn-*.csv")) == torn
    m = json.loads((path.parent / "manifest.json").read_text())
    assert m["finished_at"] is not None and m["sessions"][-1]["trials_done"] == 96
