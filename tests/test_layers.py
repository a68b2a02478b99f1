"""The package's layers (README "Layout", pyproject's [tool.importlinter]): every import, those inside
functions too, goes down the layers, and the module graph has no cycle."""

from __future__ import annotations

import pytest

grimp = pytest.importorskip("grimp")


def _graph():
    return grimp.build_graph("harness", include_external_packages=False)


def test_the_layers_contract_is_kept():
    from importlinter import configuration
    from importlinter.application.use_cases import lint_imports

    configuration.configure()

    assert lint_imports() is True  # prints the broken contract's imports when it fails


def _cycle(graph) -> list[str] | None:
    """One import cycle among harness's modules (a package counts as its __init__), or None."""
    state: dict[str, int] = {}

    def visit(module, path):
        state[module] = 1
        path.append(module)
        for other in sorted(graph.find_modules_directly_imported_by(module)):
            if state.get(other) == 1:
                return path[path.index(other):] + [other]
            if other not in state:
                found = visit(other, path)
                if found:
                    return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph.modules):
        if module not in state:
            found = visit(module, [])
            if found:
                return found
    return None


def test_no_import_cycle():
    cycle = _cycle(_graph())
    assert cycle is None, " -> ".join(cycle)


def test_a_cycle_would_be_found():
    """The check itself: a graph with a cycle is reported."""
    graph = grimp.ImportGraph()
    for a, b in (("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a")):
        graph.add_import(importer=a, imported=b)
    assert _cycle(graph) == ["p.a", "p.b", "p.c", "p.a"]
