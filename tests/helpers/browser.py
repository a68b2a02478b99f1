"""Open a page in headless Chromium (the Debian package), as a reader would: a screenshot and the
console messages the page produced. Tests that need it skip when Chromium is missing, except in
CI (CI=true), where .ci/run installs it and a missing browser is a failure."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", "--hide-scrollbars"]
CONSOLE = re.compile(r":CONSOLE[:(]")  # Chromium logs console messages and uncaught errors so


@dataclasses.dataclass
class Opened:
    screenshot: Path
    console: list[str]
    stderr: str


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("Chromium is not installed; .ci/run installs it with apt-get install chromium")
    pytest.skip("Chromium is not installed (apt-get install chromium)")


def open_page(page: Path, out_dir: Path, width: int = 1280, height: int = 3000) -> Opened:
    """Render ``page`` (a local file) with a fresh profile; returns the screenshot and every
    console line (console.* calls and uncaught exceptions)."""
    shot = out_dir / f"{page.stem}.png"
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        proc = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}",
                               f"--window-size={width},{height}", page.resolve().as_uri()],
                              capture_output=True, text=True, timeout=180)
    assert shot.is_file(), f"no screenshot (exit {proc.returncode}): {proc.stderr[-2000:]}"
    console = [line for line in proc.stderr.splitlines() if CONSOLE.search(line)]
    return Opened(shot, console, proc.stderr)


def ink(png: Path) -> float:
    """Share of pixels that are not (near) white, 0..1: a blank page is ~0."""
    import matplotlib.image as mpimg

    rgb = mpimg.imread(png)[..., :3]
    return float((rgb.min(axis=-1) < 0.9).mean())
