"""The estimate meter counts the CPU time of every process under the trial's (issue 20 item 6): joblib/loky
workers of ``n_jobs: 2`` are long-lived children that are never waited for, so getrusage misses them.
Read from a fake procfs laid out like the real one (``/proc/<pid>/stat``, ``task/<tid>/children``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from harness.meters import EstimateMeter
from harness.meters.cpus import ProcessTree

HZ = os.sysconf("SC_CLK_TCK")


class FakeProc:
    """A procfs tree: ``set(pid, ppid, utime_s, cutime_s)`` writes ``<root>/<pid>/stat``; ``drop(pid)``
    removes it (the process ended and was reaped)."""

    def __init__(self, root, children_files: bool = False):
        self.root, self.children_files, self.procs = root, children_files, {}

    def set(self, pid, ppid, own_s, children_s=0.0, comm="python (loky)"):
        self.procs[pid] = (ppid, own_s, children_s, comm)
        self._write()

    def drop(self, pid):
        del self.procs[pid]
        import shutil

        shutil.rmtree(self.root / str(pid))
        self._write()

    def _write(self):
        for pid, (ppid, own, kids, comm) in self.procs.items():
            d = self.root / str(pid)
            (d / "task" / str(pid)).mkdir(parents=True, exist_ok=True)
            ticks = [round(own * HZ * 0.75), round(own * HZ * 0.25), round(kids * HZ), 0]  # utime stime cutime cstime
            (d / "stat").write_text(f"{pid} ({comm}) S {ppid} {pid} {pid} 0 -1 4194304 10 0 0 0 "
                                    f"{' '.join(map(str, ticks))} 20 0 1 0 100 1000 10\n")
            if self.children_files:
                kids_of = [str(c) for c, v in self.procs.items() if v[0] == pid]
                (d / "task" / str(pid) / "children").write_text(" ".join(kids_of) + (" " if kids_of else ""))


@pytest.fixture(params=[False, True], ids=["scan-ppid", "task-children"])
def proc(tmp_path, request):
    fake = FakeProc(tmp_path, children_files=request.param)
    fake.set(1, 0, 500.0, comm="init")
    fake.set(100, 1, 10.0, comm="python -m harness")   # the trial's process (not this test's: pid given)
    fake.set(101, 100, 2.0)                             # loky worker 1
    fake.set(102, 100, 2.0)                             # loky worker 2
    fake.set(103, 101, 1.0, comm="grandchild")
    fake.set(200, 1, 50.0, comm="someone else")         # not ours: never counted
    return fake


def test_long_lived_workers_and_their_children_are_counted(proc):
    tree = ProcessTree(100, proc.root)
    before = tree.read(root_last=True)
    assert set(before) == {100, 101, 102, 103}
    proc.set(100, 1, 10.5)
    proc.set(101, 100, 4.0)   # +2 s in a worker that is never waited for
    proc.set(102, 100, 3.0)   # +1 s
    proc.set(103, 101, 1.5)   # +0.5 s in a grandchild
    proc.set(200, 1, 90.0)    # another process: +40 s, not ours
    assert ProcessTree.cpu_s(before, tree.read()) == pytest.approx(4.0, abs=2 / HZ)


def test_a_process_started_inside_the_window_counts_from_zero(proc):
    tree = ProcessTree(100, proc.root)
    before = tree.read()
    proc.set(104, 100, 0.7)   # spawned after the first reading
    assert ProcessTree.cpu_s(before, tree.read()) == pytest.approx(0.7, abs=2 / HZ)


def test_a_process_that_ended_counts_its_last_reading_once(proc):
    tree = ProcessTree(100, proc.root)
    before = tree.read()
    # worker 102 ran 1.5 s more and ended; its parent reaped it: the parent's children's time grows by
    # its whole life (2 + 1.5 s). Only the 1.5 s after the first reading belong to the window.
    proc.drop(102)
    proc.set(100, 1, 10.0, children_s=3.5)
    # the grandchild 103 ended and its parent did not reap it (no growth in 101's children time): its last
    # reading counts
    proc.drop(103)
    assert ProcessTree.cpu_s(before, tree.read()) == pytest.approx(1.5, abs=2 / HZ)


def test_a_process_born_and_reaped_inside_the_window_counts_whole(proc):
    tree = ProcessTree(100, proc.root)
    before = tree.read()
    proc.set(100, 1, 10.0, children_s=0.8)  # a child that lived 0.8 s between the readings, waited for
    assert ProcessTree.cpu_s(before, tree.read()) == pytest.approx(0.8, abs=2 / HZ)


def test_the_estimate_meter_reads_the_tree_of_harness_procfs_root(proc, monkeypatch):
    monkeypatch.setenv("HARNESS_PROCFS_ROOT", str(proc.root))
    meter = EstimateMeter(tdp_w=40.0, cores=4, pid=100)
    token = meter.begin()
    proc.set(101, 100, 5.0)  # +3 s in a worker
    m = meter.end(token)
    assert m.total_j == pytest.approx(3.0 * 10.0, abs=10.0 * 2 / HZ)


@pytest.mark.slow
def test_a_real_child_that_is_not_waited_for_is_counted():
    """A real long-lived child (as a loky worker): it burns 0.3 s of CPU inside the window and is still
    alive at its end; getrusage(RUSAGE_CHILDREN) would count 0."""
    code = ("import sys, time\nsys.stdin.readline()\nend = time.process_time() + 0.3\n"
            "while time.process_time() < end: pass\nprint('done', flush=True)\nsys.stdin.readline()\n")
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.05)
        meter = EstimateMeter(tdp_w=10.0, cores=1)
        token = meter.begin()
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "done"
        m = meter.end(token)
        assert child.poll() is None  # still running: not reaped, not in RUSAGE_CHILDREN
        assert m.total_j >= 0.3 * 10.0 * 0.9  # clock ticks of 10 ms
    finally:
        child.stdin.write("bye\n")
        child.stdin.flush()
        child.wait(10)
