"""A cheap ``python -m anogen --help`` (issue 14): no composition, no heavy imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "anogen" / "conf"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "WANDB_MODE": "disabled"})


def test_bare_help_lists_every_packaged_group_and_option():
    out = _run("-m", "anogen", "--help")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.startswith("anogen:") and "usage: python -m anogen" in text and "== Config ==" not in text
    for group in sorted(p for p in CONF.iterdir() if p.is_dir() and p.name != "hydra"):
        options = sorted(q.stem for q in group.glob("*.yaml"))
        assert f"  {group.name}: {', '.join(options)}" in text
    assert _run("-m", "anogen", "-h").stdout == text


def test_help_imports_neither_scikit_learn_nor_jax():
    code = ("import sys\nfrom anogen.__main__ import cli\nassert cli(['--help']) == 0\n"
            "print(sorted(m for m in ('sklearn', 'jax', 'torch', 'pandas') if m in sys.modules))")
    out = _run("-c", code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.slow  # a child process running Hydra's full help (5 s)
def test_help_with_overrides_is_hydras_full_help():
    out = _run("-m", "anogen", "--help", "data=synthetic")
    assert out.returncode == 0, out.stderr
    assert "== Config ==" in out.stdout and "oscillation:" in out.stdout  # the synthetic source composed
