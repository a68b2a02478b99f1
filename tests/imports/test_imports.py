"""A spec is data: naming a class never runs a command or an unallowed module's code."""

import pytest

from clitools import harness
from faultkit import make_run, one_line
from harness.models.algorithms import resolve
from harness.errors import SpecError
from harness.imports import allowed_packages, import_class
from harness.spec import parse_spec

BASE = {"name": "x", "sweeps": {"rows": {"row_fractions": [1.0]}}}


def alg(cls, params=None):
    return parse_spec({**BASE, "algorithms": [{"name": "m", "class": cls, "params": params or {}}]}).algorithms[0]


def test_os_system_is_refused_before_it_is_called(tmp_path):
    marker = tmp_path / "X"
    with pytest.raises(SpecError, match="algorithms.0.class: 'os' is not in a package a spec may import from"):
        resolve(alg("os:system", {"command": f"touch {marker}"}), 0)
    # even with os allowed, a function is not a class: refused before any call
    with pytest.raises(SpecError, match="os:system is a builtin_function_or_method, not a class"):
        resolve(alg("os:system", {"command": f"touch {marker}"}), 0, allowed=("os",))
    assert not marker.exists()


def test_an_unallowed_module_is_not_imported(tmp_path, monkeypatch):
    marker = tmp_path / "imported"
    (tmp_path / "evil.py").write_text(f"open({str(marker)!r}, 'w').close()\nclass M:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(SpecError, match="--allow-import evil or HARNESS_ALLOW_IMPORT=evil"):
        resolve(alg("evil:M"), 0)
    assert not marker.exists()
    with pytest.raises(SpecError, match="evil:M is not a scikit-learn style estimator: it has no fit\\(\\) or predict\\(\\)"):
        resolve(alg("evil:M"), 0, allowed=allowed_packages(["evil"]))
    assert marker.exists()  # allowed by the user: then (and only then) its code runs


def test_allowed_packages_come_from_the_user_not_the_spec(monkeypatch):
    monkeypatch.setenv("HARNESS_ALLOW_IMPORT", "mine, theirs")
    assert allowed_packages(["cli_pkg"]) == ("sklearn", "imblearn", "harness", "cli_pkg", "mine", "theirs")


def test_roles_are_checked_on_the_class():
    assert import_class("sklearn.preprocessing:StandardScaler", "t", "transformer")
    with pytest.raises(SpecError, match="not a scikit-learn style estimator.*predict"):
        import_class("sklearn.preprocessing:StandardScaler", "t", "estimator")
    with pytest.raises(SpecError, match="a module, not a class"):
        import_class("sklearn:svm", "t")


def test_the_cli_never_runs_the_command(tmp_path):
    make_run(tmp_path)
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec.read_text().replace("algorithms: [decision_tree, knn]",
                                             'algorithms: [{name: m, class: "os:system", params: {command: "touch X"}}]'))
    proc = harness("run", spec, "--results-dir", tmp_path / "out", "--quiet", cwd=tmp_path)
    assert proc.returncode == 2 and "algorithms.0.class" in one_line(proc.stderr)
    proc = harness("run", spec, "--results-dir", tmp_path / "out", "--quiet", "--allow-import", "os", cwd=tmp_path)
    assert proc.returncode == 2 and "not a class" in one_line(proc.stderr)
    assert not (tmp_path / "X").exists() and not (tmp_path / "out").exists()


def test_a_subpackage_may_be_allowed_and_only_it(tmp_path, monkeypatch):
    # issue 22 item 7: `--allow-import pkg.sub` refused pkg.sub.mod while listing pkg.sub as allowed
    pkg = tmp_path / "mypkg" / "sub"
    pkg.mkdir(parents=True)
    (tmp_path / "mypkg" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "mod.py").write_text("class C:\n    def fit(self): pass\n    def predict(self): pass\n")
    (tmp_path / "mypkg" / "other.py").write_text("class D:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    allowed = allowed_packages(["mypkg.sub"])
    assert import_class("mypkg.sub.mod:C", "algorithms.0", allowed=allowed).__name__ == "C"
    with pytest.raises(SpecError, match="not in a package a spec may import from"):
        import_class("mypkg.other:D", "algorithms.0", allowed=allowed)
    with pytest.raises(SpecError):
        import_class("mypkg.subx:D", "algorithms.0", allowed=allowed)


def test_a_missing_module_of_your_own_says_where_it_is_looked_for(tmp_path, monkeypatch):
    with pytest.raises(SpecError) as e:
        import_class("my_missing_estimators:Lite", "algorithms.0", allowed=("my_missing_estimators",))
    assert "cannot import module 'my_missing_estimators'" in str(e.value)
    assert "python -m harness" in str(e.value) and "PYTHONPATH" in str(e.value)
    # a module that is there but fails inside (its own import): its error, not "is it installed?"
    (tmp_path / "broken_mod.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(SpecError) as e:
        import_class("broken_mod:Lite", "algorithms.0", allowed=("broken_mod",))
    assert "No module named 'no_such_dependency_xyz'" in str(e.value) and "PYTHONPATH" not in str(e.value)
