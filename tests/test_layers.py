"""The floors that the folders show: each module imports only its own floor and the floors below it,
and no two files or packages import each other, directly or round a circle.

From the top floor down (a floor's packages may import each other sideways, never in a circle):

  entry points  __init__, __main__, api, legacy, report
  jobs          jobs/ (one experiment, benchmark, selection: short compositions; Hydra glue)
  studies       selection/ (which detector: battery, aggregation, agreement, prior, report),
                benchmarking (samplers x detectors -> leaderboard)
  evaluation    evaluation (fit -> score -> threshold -> measure)
  importers     gutentag (GutenTAG's YAML through anogen's samplers)
  generators    samplers/ (kinds/, the noise and learned samplers, the generator report)
  parts         detectors/, placement, filters/, thresholds
  training      train/
  data          data/
  leaves        metrics/, outputs/, models/, callbacks, quick_help, tuning
  foundation    types, params, paths, seeding, config

Every import counts: those inside functions and under ``TYPE_CHECKING`` too (they are how cycles hide).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "anogen"

FLOORS: list[tuple[str, tuple[str, ...]]] = [   # bottom first
    ("foundation", ("types", "params", "paths", "seeding", "config")),
    ("leaves", ("metrics", "outputs", "models", "callbacks", "quick_help", "tuning")),
    ("data", ("data",)),
    ("training", ("train",)),
    ("parts", ("detectors", "placement", "filters", "thresholds")),
    ("generators", ("samplers",)),
    ("importers", ("gutentag",)),
    ("evaluation", ("evaluation",)),
    ("studies", ("selection", "benchmarking")),
    ("jobs", ("jobs",)),
    ("entry points", ("__init__", "__main__", "api", "legacy", "report")),
]
FLOOR = {unit: i for i, (_, units) in enumerate(FLOORS) for unit in units}
NAMES = [name for name, _ in FLOORS]


def unit(module: str) -> str:
    """The top-level room of an ``anogen...`` module: ``anogen.samplers.kinds.spike`` -> ``samplers``."""
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def imported(module: str, source: str) -> list[tuple[int, str]]:
    """``(line, module)`` of every anogen import in ``source`` (relative imports resolved)."""
    out = []
    package = module if module.endswith("__init__") else module.rsplit(".", 1)[0]
    package = package.removesuffix(".__init__")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "anogen"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            if base.split(".")[0] == "anogen":
                # "from anogen.data import real" names a submodule: the arrow goes to it, not to the package
                subs = [f"{base}.{a.name}" for a in node.names if _is_module(f"{base}.{a.name}")]
                out += [(node.lineno, base)] if len(subs) < len(node.names) else []
                out += [(node.lineno, m) for m in subs]
    return out


def _is_module(module: str) -> bool:
    rel = Path(*module.split(".")[1:])
    return (PKG / rel).with_suffix(".py").exists() or (PKG / rel / "__init__.py").exists()


def violations(module: str, source: str) -> list[str]:
    """Imports of ``module`` that reach a higher floor than its own (or a room no floor holds)."""
    own = FLOOR.get(unit(module))
    if own is None:
        return [f"{module}: the room {unit(module)!r} is on no floor of tests/test_layers.py"]
    bad = []
    for line, target in imported(module, source):
        if target == "anogen" or target.startswith("anogen.__"):
            continue
        t = FLOOR.get(unit(target))
        if t is None:
            bad.append(f"{module}:{line} imports {target}, a room on no floor")
        elif t > own:
            bad.append(f"{module}:{line} ({NAMES[own]}) imports {target} ({NAMES[t]})")
    return bad


def modules():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).with_suffix("")
        yield ".".join(rel.parts), path


def _file_of(module: str) -> str | None:
    """The module's own name as :func:`modules` spells it (a package is its ``__init__``)."""
    rel = Path(*module.split(".")[1:])
    if (PKG / rel).with_suffix(".py").exists():
        return module
    if (PKG / rel / "__init__.py").exists():
        return f"{module}.__init__" if module != "anogen" else "anogen.__init__"
    return None


def graph(sources: dict[str, str], level: str) -> dict[str, set[str]]:
    """Who imports whom: between files (``level="file"``) or top-level rooms (``"room"``)."""
    g: dict[str, set[str]] = defaultdict(set)
    for name, source in sources.items():
        for _, target in imported(name, source):
            if level == "file":
                # the package's face (``anogen``) runs first anyway: no arrow
                t = target if target in sources else _file_of(target) if target != "anogen" else None
                if t is not None and t != name:
                    g[name].add(t)
            elif unit(target) != unit(name) and target != "anogen":
                g[unit(name)].add(unit(target))
    return g


def circles(g: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected parts of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                out.append(sorted(part))

    for v in sorted(set(g) | {w for ws in g.values() for w in ws}):
        if v not in index:
            visit(v)
    return out


@pytest.fixture(scope="module")
def sources() -> dict[str, str]:
    return {name: path.read_text(encoding="utf-8") for name, path in modules()}


def test_no_module_imports_a_higher_floor(sources):
    bad = [v for name, source in sources.items() for v in violations(name, source)]
    assert bad == []


def test_no_two_files_import_each_other_round_a_circle(sources):
    assert circles(graph(sources, "file")) == []


def test_no_two_rooms_import_each_other_round_a_circle(sources):
    assert circles(graph(sources, "room")) == []


@pytest.mark.parametrize("module, source", [
    ("anogen.samplers.noise", "def f():\n    from anogen.evaluation import fit_detectors\n"),
    ("anogen.detectors.base", "import anogen.jobs.run\n"),
    ("anogen.train.loop", "from anogen.evaluation import fit_detectors\n"),
    ("anogen.metrics.suite", "from anogen import api\n"),
    ("anogen.evaluation", "from anogen.jobs.spec import build_job\n"),
    ("anogen.config", "from anogen.samplers import generate_fold\n"),
    ("anogen.samplers.kinds.spike", "from ...jobs import run\n"),
    # inside the components: a lower floor reaching up
    ("anogen.data.loaders", "def f():\n    from anogen.samplers import generate_fold\n"),
    ("anogen.placement", "from anogen.samplers.base import SampleContext\n"),
    ("anogen.filters.bounds", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from anogen.samplers import x\n"),
    ("anogen.thresholds", "from anogen.samplers.base import check_attributes\n"),
    ("anogen.selection.battery", "from anogen.jobs.select import run_selection\n"),
    ("anogen.newroom", "import numpy\n"),
])
def test_the_check_catches_an_upward_import(module, source):
    assert violations(module, source), f"{module} importing upward was not caught"


def test_the_check_allows_downward_and_sideways_imports():
    assert violations("anogen.jobs.run", "from anogen.evaluation import Case\nfrom anogen.jobs.spec import Job\n") == []
    assert violations("anogen.detectors.reconstruction", "from anogen.train import fit\nfrom anogen.params import Ratio\n") == []
    assert violations("anogen.selection.battery", "from anogen.samplers.inject import packaged_catalog\n") == []


def test_the_circle_check_finds_a_circle_through_function_level_imports():
    files = {
        "anogen.jobs.run": "from anogen.jobs.steps import inject\n",
        "anogen.jobs.steps": "def f():\n    from anogen.jobs.writers import w\n",
        "anogen.jobs.writers": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from anogen.jobs.run import R\n",
        "anogen.jobs.spec": "from anogen.jobs.steps import x\n",
    }
    assert circles(graph(files, "file")) == [["anogen.jobs.run", "anogen.jobs.steps", "anogen.jobs.writers"]]
    rooms = {"anogen.data.gutentag": "def f():\n    from anogen.samplers import g\n",
             "anogen.samplers.report": "from anogen.data.windows import w\n",
             "anogen.metrics.base": "from anogen.types import AnogenError\n"}
    assert circles(graph(rooms, "room")) == [["data", "samplers"]]
    assert circles(graph({"anogen.jobs.run": "from anogen.jobs.steps import x\n",
                          "anogen.jobs.steps": "from anogen.evaluation import y\n"}, "file")) == []


def test_removed_orchestrators_stay_removed():
    assert not (PKG / "pipeline.py").exists() and not (PKG / "leaderboard.py").exists()
