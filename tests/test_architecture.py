"""Each process owns its state (docs/architecture.md): checked on the source, so that a change that reaches into
another process's state, or puts state back on the engine, fails here rather than in a review."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from exitvoice.processes import abroad, callup, decisions, family, risk, routes

SRC = Path(__file__).resolve().parents[1] / "src" / "exitvoice"
PROCESSES = {"callup": (callup, callup.CallupState), "risk": (risk, risk.RiskState),
             "decisions": (decisions, decisions.DecisionState), "routes": (routes, routes.RouteState),
             "abroad": (abroad, abroad.AbroadState), "family": (family, family.FamilyState)}
# What a process may read from the engine: the shared context of a run, never another process's state.
SHARED = {"X", "pop", "net", "params", "layout", "rng", "t", "date", "days", "scenario", "pack", "ctx",
          "callup_age", "move", "rec"}


def _chain(node: ast.AST) -> list[ast.AST]:
    """The attribute/subscript chain of an expression, outermost last: `eng.rec.today[k]` → [eng, rec, today, [k]]."""
    out = []
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        out.append(node)
        node = node.value
    out.append(node)
    return out[::-1]


def _written(tree: ast.AST):
    """Every expression assigned to (targets of =, +=, annotated =, unpacked tuples)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        else:
            continue
        todo = list(targets)
        while todo:
            t = todo.pop()
            if isinstance(t, (ast.Tuple, ast.List)):
                todo.extend(t.elts)
            else:
                yield node.lineno, t


def _names(chain: list[ast.AST]) -> list[str]:
    return [c.attr if isinstance(c, ast.Attribute) else c.id if isinstance(c, ast.Name) else "[]" for c in chain]


@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_a_process_writes_only_its_own_state_the_counts_and_todays_counters(name):
    path = SRC / "processes" / f"{name}.py"
    bad = []
    for line, target in _written(ast.parse(path.read_text())):
        names = _names(_chain(target))
        if len(names) == 1 or (len(names) > 1 and names[1] == "[]" and names[0] not in ("eng", "st")):
            continue  # a local name, or an element of a local array
        if names[0] == "st" or names[:2] == ["eng", "X"] or names[:3] == ["eng", "rec", "today"]:
            continue
        bad.append(f"{path.name}:{line}: {'.'.join(names)}")
    assert not bad, "writes outside the process's own state:\n" + "\n".join(bad)


@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_a_process_reads_only_the_shared_context_from_the_engine(name):
    path = SRC / "processes" / f"{name}.py"
    read = {node.attr for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "eng"}
    assert read <= SHARED, f"{name}.py reads {sorted(read - SHARED)} from the engine"


@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_a_processs_own_state_is_its_states_dataclass(name):
    """Every function of a process that takes `st` takes its own state class, defined in its own module."""
    module, cls = PROCESSES[name]
    assert dataclasses.is_dataclass(cls) and cls.__module__ == module.__name__
    tree = ast.parse((SRC / "processes" / f"{name}.py").read_text())
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        for arg in fn.args.args:
            if arg.arg == "st":
                assert arg.annotation is not None and ast.unparse(arg.annotation) == cls.__name__, fn.name
    setup = module.setup
    assert setup.__annotations__["return"] == cls.__name__


def test_no_one_but_its_process_writes_into_a_processs_state():
    """Outside its own module, no source file assigns into the engine's `eng.risk.<field>`, `eng.routes.<field>`, …
    (nor the engine itself into `self.risk.<field>`, …)."""
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for line, target in _written(tree):
            names = _names(_chain(target))
            for i, n in enumerate(names[:-1]):
                engine = names[i - 1] in ("eng", "engine") or (path.name == "cells.py" and names[:i] == ["self"])
                if n in PROCESSES and i > 0 and engine and path.stem != n:
                    bad.append(f"{path.relative_to(SRC)}:{line}: {'.'.join(names)}")
    assert not bad, "\n".join(bad)


def test_the_engine_holds_one_state_per_process_and_no_other_process_attribute(small_engine_attrs):
    """The engine's attributes are the shared context, the records and the processes' states, nothing else."""
    eng = small_engine_attrs
    for name, (_, cls) in PROCESSES.items():
        assert isinstance(getattr(eng, name), cls)
    fields = {f.name for _, cls in PROCESSES.values() for f in dataclasses.fields(cls)}
    leaked = fields & set(vars(eng)) - SHARED
    assert not leaked, f"process state on the engine: {sorted(leaked)}"


@pytest.fixture(scope="module")
def small_engine_attrs():
    from conftest import MOBILISATION, small_scenario
    from exitvoice.engine.cells import CellEngine

    eng = CellEngine(small_scenario([MOBILISATION], end="2022-09-23"), seed=1)
    eng.run()
    return eng
