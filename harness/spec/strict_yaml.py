"""Reading a spec's YAML as data, with bounds: no key twice, no deep nesting, no alias bomb.

PyYAML's ``safe_load`` builds only plain data, but it keeps the last of two equal keys silently,
recurses once per nesting level (20,000 nested brackets end in RecursionError) and expands
aliases by reference, so nine levels of nine aliases are a few hundred bytes that become 9**9
values as soon as anything walks them (validation, an error message's repr). ``load_yaml``
refuses all three while the document is composed, before any value is built:

- a mapping key given twice (``MAX_DEPTH`` and ``MAX_NODES`` below name the other limits);
- nesting deeper than ``MAX_DEPTH`` levels (a spec needs five);
- more than ``MAX_NODES`` values once every alias is expanded (the 3,600-trial spam spec has
  about 150).
"""

from __future__ import annotations

from typing import Any

import yaml

from harness.errors import SpecError

MAX_DEPTH = 64
MAX_NODES = 100_000


class _Limited(yaml.SafeLoader):
    """SafeLoader that counts nesting depth and expanded size while composing the node graph."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        if self._depth > MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise _Refused(f"line {mark.line + 1}: nested deeper than {MAX_DEPTH} levels; a spec needs a few")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # '<<: *base' merges defaults that later keys may override
                key, line = self.construct_object(key_node, deep=True), key_node.start_mark.line + 1
                try:
                    if key in seen:
                        raise _Refused(f"line {line}: key {_short(key)} is given twice (first on line "
                                       f"{seen[key]}); keep one")
                    seen[key] = line
                except TypeError:
                    pass  # an unhashable key: SafeLoader refuses it itself
        return super().construct_mapping(node, deep=deep)


class _Refused(Exception):
    pass


def _expanded_size(node, memo: dict[int, int]) -> int:
    """Number of nodes in ``node`` with every alias expanded, counted in time linear in the graph
    (shared nodes are counted once per reference, computed once)."""
    if id(node) in memo:
        return memo[id(node)]
    memo[id(node)] = MAX_NODES + 1  # a cycle (a recursive alias) counts as too large
    if isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(v, memo) for v in node.value)
    elif isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    else:
        size = 1
    memo[id(node)] = min(size, MAX_NODES + 1)
    return memo[id(node)]


def _short(value: Any, limit: int = 60) -> str:
    import reprlib

    r = reprlib.Repr()
    r.maxstring = r.maxother = limit
    r.maxlevel, r.maxlist, r.maxdict = 2, 6, 6
    return r.repr(value)


def load_yaml(text: str, source: str) -> Any:
    """The YAML document in ``text`` as plain Python data (dict, list, str, int, float, bool,
    None). Raises SpecError, one line naming ``source`` and the line, for malformed YAML, a key
    given twice, nesting deeper than ``MAX_DEPTH`` or more than ``MAX_NODES`` expanded values."""
    loader = _Limited(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}) > MAX_NODES:
            raise _Refused(f"more than {MAX_NODES:,} values once YAML aliases (*name) are expanded; "
                           "a spec needs a few hundred: write the values out")
        return loader.construct_document(node)
    except _Refused as e:
        raise SpecError(f"{source}: {e}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
        problem = getattr(e, "problem", None) or "malformed YAML"
        raise SpecError(f"{source}:{where} {problem}; fix the YAML syntax") from None
    except RecursionError:  # a safety net: MAX_DEPTH is far below Python's recursion limit
        raise SpecError(f"{source}: nested too deeply; a spec needs a few levels") from None
    finally:
        loader.dispose()
