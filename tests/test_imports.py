"""anogen's own modules are imported at the top of a file. An import inside a function stays only
where a measured start-up cost says so (it defers JAX, scikit-learn, pandas, matplotlib, Hydra or
pydantic for an entry point that must start fast, such as ``python -m anogen --help`` or
``import anogen``), and then a ``# lazy: <why>`` comment on its line, or on the line above its block
of imports, says why."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "anogen"


def unexplained(source: str) -> list[int]:
    """Lines of function-level imports of anogen modules with no ``# lazy:`` reason beside them."""
    lines = source.splitlines()
    bad = []
    for fn in ast.walk(ast.parse(source)):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(fn):
            own = (isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] == "anogen")) \
                or (isinstance(node, ast.Import) and any(a.name.split(".")[0] == "anogen" for a in node.names))
            if not own:
                continue
            first = node.lineno - 1          # the block of imports this one belongs to: its first line
            while first > 0 and lines[first - 1].lstrip().startswith(("from ", "import ")):
                first -= 1
            near = lines[node.lineno - 1] + (lines[first - 1] if first > 0 else "")
            if "# lazy:" not in near:
                bad.append(node.lineno)
    return sorted(set(bad))


def test_function_level_imports_of_anogen_say_why():
    bad = {str(p.relative_to(PKG.parent)): lines for p in sorted(PKG.rglob("*.py"))
           if (lines := unexplained(p.read_text(encoding="utf-8")))}
    assert bad == {}


def test_the_check_sees_a_bare_function_level_import_and_accepts_a_reason():
    assert unexplained("def f():\n    from anogen.jobs import run\n") == [2]
    assert unexplained("def f():\n    from .base import x\n") == [2]
    assert unexplained("def f():\n    import numpy\n") == []
    assert unexplained("def f():\n    from anogen.train import fit  # lazy: JAX\n") == []
    assert unexplained("def f():\n    # lazy: JAX, not paid by --help\n    from anogen.train import fit\n") == []
    block = "def f():\n    # lazy: JAX\n    from anogen.train import fit\n    from anogen.models import LSTMAE\n"
    assert unexplained(block) == []
    assert unexplained(block + "    x = 1\n    from anogen.data import real\n") == [6]
