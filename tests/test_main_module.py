"""``python -m harness`` run from the clone's parent folder: the clone (a folder named ``harness``)
shadows the installed package; one line says so (issue 22 item 7: it was an ImportError traceback)."""

import types

import harness
from harness.__main__ import shadowed_by_a_folder


def test_a_folder_named_harness_is_told_apart_from_the_package(tmp_path):
    folder = types.ModuleType("harness")
    folder.__path__ = [str(tmp_path / "harness")]  # what Python makes of a folder without __init__.py
    msg = shadowed_by_a_folder(folder)
    assert msg.startswith("harness: error: ") and str(tmp_path / "harness") in msg
    assert "cd into the clone" in msg and "pip install -e" in msg and "\n" not in msg
    assert shadowed_by_a_folder(harness) is None
