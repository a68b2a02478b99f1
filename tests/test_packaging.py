"""The harness installs anywhere: a wheel built from this checkout carries the built-in data set and
the one version number, and works with the checkout out of reach."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

import harness
from harness.data.datasets import BUILTIN

# Runs in the installed copy, with nothing of the checkout importable.
LOAD_INSTALLED = """
import json, importlib.metadata, harness
from harness.data.datasets import load_sms_spam
ds = load_sms_spam()
print(json.dumps({"file": harness.__file__, "version": harness.__version__,
                  "metadata_version": importlib.metadata.version("harness"),
                  "path": str(ds.path), "rows": ds.n_rows, "spam": int(ds.y.sum()), "sha256": ds.sha256}))
"""


def _pip(*args: str) -> None:
    p = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.mark.slow
def test_a_wheel_installs_the_dataset_and_the_version(tmp_path, repo):
    setuptools = importlib.metadata.version("setuptools")
    assert tuple(map(int, setuptools.split(".")[:2])) >= (70, 1), (
        f"setuptools {setuptools} has no bdist_wheel of its own, so no offline wheel build: "
        "pip install -c constraints.txt -e '.[test]'")
    # The build reads a copy of what the wheel is made of: an in-place build would leave build/ in the
    # checkout, and setuptools packs whatever a stale build/lib still holds.
    src = tmp_path / "src"
    shutil.copytree(repo / "harness", src / "harness", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(repo / name, src / name)
    _pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(src))
    (wheel,) = (tmp_path / "dist").glob("harness-*.whl")

    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        headers = dict(line.split(": ", 1) for line in z.read(metadata).decode().split("\n\n")[0].splitlines()
                       if ": " in line)
    assert {"harness/data/sms_spam/SMSSpamCollection", "harness/data/sms_spam/SOURCE.md",
            "harness/data/grid_intensity.csv"} <= names
    assert headers["Version"] == harness.__version__

    target = tmp_path / "site"
    _pip("install", "--no-deps", "--target", str(target), str(wheel))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HARNESS_", "PYTHON"))}
    env["PYTHONPATH"] = str(target)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    p = subprocess.run([sys.executable, "-c", LOAD_INSTALLED], cwd=elsewhere, env=env, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout.splitlines()[-1])

    assert got["file"].startswith(str(target))  # the installed copy, not the checkout
    assert got["path"] == str(target / "harness" / "data" / "sms_spam" / "SMSSpamCollection")
    assert (got["rows"], got["spam"], got["sha256"]) == (5574, 747, BUILTIN["sms_spam"]["sha256"])
    assert got["version"] == got["metadata_version"] == harness.__version__
