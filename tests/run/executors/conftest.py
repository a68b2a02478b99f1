"""Real ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1, as a user starts them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

REPO = Path(__file__).resolve().parents[3]


class DaskProcesses:
    """A scheduler and its workers, each a child process; ``address`` is the scheduler's."""

    def __init__(self, tmp: Path):
        self.tmp, self.procs, self.workers = tmp, [], []
        # As the README starts workers: without Dask's profiler (its CPU time would be measured).
        self.env = {**os.environ, "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False", "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)}
        self.file = tmp / "scheduler.json"
        self.procs.append(self._spawn("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                      "--scheduler-file", self.file))
        deadline = time.monotonic() + 60
        while not (self.file.is_file() and self.file.stat().st_size):
            if time.monotonic() > deadline:
                raise RuntimeError("dask scheduler did not start")
            time.sleep(0.1)
        self.address = json.loads(self.file.read_text())["address"]

    def _spawn(self, *args, env: dict | None = None) -> subprocess.Popen:
        log = open(self.tmp / f"dask-{len(self.procs)}.log", "w")
        return subprocess.Popen([sys.executable, "-m", "dask", *map(str, args)], cwd=REPO, env={**self.env, **(env or {})},
                                stdout=log, stderr=subprocess.STDOUT)

    def add_worker(self, *extra, env: dict | None = None) -> subprocess.Popen:
        """A worker (``extra``: more ``dask worker`` options; ``env``: variables added to its environment)."""
        p = self._spawn("worker", self.address, "--host", "127.0.0.1", "--nworkers", "1", "--nthreads", "1",
                        "--no-dashboard", *extra, env=env)
        self.procs.append(p)
        self.workers.append(p)
        return p

    def client(self):
        from distributed import Client

        return Client(self.address, timeout=30)

    def close(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.fixture
def dask_processes(tmp_path):
    d = DaskProcesses(tmp_path)
    try:
        yield d
    finally:
        d.close()
