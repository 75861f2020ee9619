"""The layers that the folders show: each layer imports only the layers below it.

entry points (__main__, api, legacy, report, the package __init__)
  -> jobs (anogen.jobs)
  -> evaluation (anogen.evaluation)
  -> components (data, samplers, filters, placement, detectors, metrics, models, train,
     thresholds, tuning, outputs, callbacks)
  -> foundation (types, params, seeding, config)

Every import counts, including the ones inside functions (they are how cycles hide).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "anogen"

ENTRY, JOBS, EVALUATION, COMPONENT, FOUNDATION = 4, 3, 2, 1, 0
TOP = {
    "__init__": ENTRY, "__main__": ENTRY, "api": ENTRY, "legacy": ENTRY, "report": ENTRY,
    "jobs": JOBS, "pipeline": JOBS, "leaderboard": JOBS, "evaluation": EVALUATION,
    "types": FOUNDATION, "params": FOUNDATION, "seeding": FOUNDATION, "config": FOUNDATION,
}
NAMES = {ENTRY: "entry point", JOBS: "job", EVALUATION: "evaluation", COMPONENT: "component",
         FOUNDATION: "foundation"}


def layer(module: str) -> int | None:
    """Layer of an ``anogen...`` module name (``None`` for anything outside the package)."""
    parts = module.split(".")
    if parts[0] != "anogen":
        return None
    if len(parts) == 1:
        return ENTRY
    return TOP.get(parts[1], COMPONENT)


def imported(module: str, source: str) -> list[tuple[int, str]]:
    """``(line, module)`` of every anogen import in ``source`` (relative imports resolved)."""
    out = []
    package = module if module.endswith("__init__") else module.rsplit(".", 1)[0]
    package = package.removesuffix(".__init__")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("anogen")]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            if base.startswith("anogen"):
                out.append((node.lineno, base))
                # "from anogen import jobs" names a submodule
                if base == "anogen":
                    out += [(node.lineno, f"anogen.{a.name}") for a in node.names]
    return out


def violations(module: str, source: str) -> list[str]:
    """Imports of ``module`` that reach a higher layer than its own."""
    own = layer(module)
    bad = []
    for line, target in imported(module, source):
        if target == "anogen" or target.startswith("anogen.__"):
            continue
        t = layer(target)
        if t is not None and own is not None and t > own:
            bad.append(f"{module}:{line} ({NAMES[own]}) imports {target} ({NAMES[t]})")
    return bad


def modules():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).with_suffix("")
        yield ".".join(rel.parts), path


def test_no_module_imports_a_higher_layer():
    bad = [v for name, path in modules() for v in violations(name, path.read_text(encoding="utf-8"))]
    assert bad == []


@pytest.mark.parametrize("module, source", [
    ("anogen.samplers.noise", "def f():\n    from anogen.pipeline import run\n"),
    ("anogen.detectors.base", "import anogen.jobs.run\n"),
    ("anogen.train.loop", "from anogen.evaluation import fit_detectors\n"),
    ("anogen.metrics.suite", "from anogen import api\n"),
    ("anogen.evaluation", "from anogen.jobs.spec import build_job\n"),
    ("anogen.config", "from anogen.samplers import generate_fold\n"),
    ("anogen.samplers.kinds.spike", "from ...jobs import run\n"),
])
def test_the_check_catches_an_upward_import(module, source):
    assert violations(module, source), f"{module} importing upward was not caught"


def test_the_check_allows_downward_and_sideways_imports():
    assert violations("anogen.jobs.run", "from anogen.evaluation import Case\nfrom anogen.jobs.spec import Job\n") == []
    assert violations("anogen.detectors.reconstruction", "from anogen.train import fit\nfrom anogen.params import Ratio\n") == []


def test_removed_orchestrators_stay_removed():
    assert not (PKG / "pipeline.py").exists() and not (PKG / "leaderboard.py").exists()
