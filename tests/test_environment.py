"""harness.environment: every variable read when asked, empty counting as unset."""

from pathlib import Path

import pytest

from harness import environment as env


@pytest.mark.parametrize("read, name, default", [
    (env.sysfs_root, "HARNESS_SYSFS_ROOT", Path("/sys")),
    (env.procfs_root, "HARNESS_PROCFS_ROOT", Path("/proc")),
    (env.powercap_root, "HARNESS_POWERCAP_ROOT", Path("/sys/class/powercap")),
    (env.datasets_dir, "HARNESS_DATASETS_DIR", Path(env.__file__).resolve().parent / "data"),
])
def test_roots_read_when_asked_and_empty_is_unset(monkeypatch, tmp_path, read, name, default):
    monkeypatch.setenv(name, str(tmp_path))
    assert read() == tmp_path
    monkeypatch.setenv(name, "")
    assert read() == default
    monkeypatch.delenv(name)
    assert read() == default


def test_cache_dir_falls_back_to_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "c"))
    assert env.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("HARNESS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert env.cache_dir() == tmp_path / "x" / "harness"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert env.cache_dir() == tmp_path / "h" / ".cache" / "harness"


def test_allowed_imports_split_on_commas(monkeypatch):
    monkeypatch.setenv("HARNESS_ALLOW_IMPORT", " mine, ,theirs ")
    assert env.allowed_imports() == ["mine", "theirs"]
    monkeypatch.delenv("HARNESS_ALLOW_IMPORT")
    assert env.allowed_imports() == []


def test_no_other_module_reads_the_environment():
    """One place: a new variable read elsewhere would escape the list in harness.environment's docstring."""
    package = Path(env.__file__).parent
    readers = [str(p.relative_to(package)) for p in sorted(package.rglob("*.py"))
               if p.name != "environment.py" and any(s in p.read_text() for s in ("os.environ", "os.getenv"))]
    assert readers == []
