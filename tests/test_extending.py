"""docs/extending.md: each recipe is one Python file + one YAML, proven by plug-ins that live
outside the package (tests/plugins/), found through Hydra's search path like a user's own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from anogen.params import PositiveInt, Ratio
from tests.conftest import TINY, compose

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_CONF = ROOT / "tests" / "plugins" / "conf"
SEARCH = f"hydra.searchpath=[file://{PLUGIN_CONF}]"


def _run(overrides, tmp_path):
    from anogen.jobs import run

    return run(compose([SEARCH, *TINY, *overrides]), run_dir=tmp_path)


def test_detector_recipe(tmp_path):
    res = _run(["detectors=[zscore,median_distance]", "sampler.magnitude=0.5"], tmp_path)
    assert 0.0 <= res.metrics["median_distance/roc_auc"] <= 1.0 and not res.errors


def test_anomaly_kind_recipe(tmp_path):
    res = _run(["sampler=inject_bump", "detectors=[zscore]"], tmp_path)
    events = res.injected[0].events
    assert len(events) == 4 and {e.kind for e in events} == {"bump"}
    assert all(e.params.get("height") == 4.0 for e in events)


def test_anomaly_kind_parameters_are_typed(tmp_path):
    from anogen.types import AnogenError

    with pytest.raises(AnogenError, match=r"^sampler\.catalog\.bump\.height: must be > 0"):
        _run(["sampler=inject_bump", "sampler.catalog.bump.height=-1"], tmp_path)


def test_metric_recipe(tmp_path):
    res = _run(["metrics=[pointwise,top_decile]", "detectors=[zscore]", "sampler.magnitude=2.0"], tmp_path)
    assert 0.0 <= res.metrics["zscore/top_decile_hit_rate"] <= 1.0


def test_sampler_recipe(tmp_path):
    from anogen.placement import check_injected

    res = _run(["sampler=stuck", "detectors=[zscore]"], tmp_path)
    inj = res.injected[0]
    check_injected(inj)
    # labels are the rows that changed: a frozen row equal to the held value is not an anomaly
    assert len(inj.events) == 3 and all(e.kind == "stuck" and 1 <= e.length <= 8 for e in inj.events)
    for e in inj.events:  # frozen: every row of the event repeats the row before it
        assert np.all(inj.values[e.start:e.end] == inj.values[e.start - 1])


def test_sampler_recipe_parameters_are_checked_like_a_builtins(tmp_path):
    """Bug: a plug-in (a class outside ``anogen.``) skipped its annotations' checks, so ``count: 0,
    length: -3`` built and ran although ``Stuck`` declares both ``PositiveInt``."""
    from anogen.types import AnogenError

    with pytest.raises(AnogenError, match=r"^sampler\.count: must be > 0, got 0$") as info:
        _run(["sampler=stuck", "sampler.count=0", "sampler.length=-3"], tmp_path / "lib")
    assert info.value.key == "sampler.count"
    with pytest.raises(AnogenError, match=r"^sampler\.length: must be > 0, got -3$"):
        _run(["sampler=stuck", "sampler.length=-3"], tmp_path / "lib")


def test_a_plugin_samplers_bad_value_from_the_command_line(tmp_path, monkeypatch, capsys):
    """The user's path: one line naming the key, exit 2, and nothing left (no run folder)."""
    from anogen.__main__ import cli

    monkeypatch.chdir(tmp_path)
    rc = cli([SEARCH, "sampler=stuck", "sampler.count=0", "sampler.length=-3", "detectors=[zscore]", "plots=false",
              "logger=[local]", "cache.enabled=false", f"hydra.run.dir={tmp_path / 'run'}"])
    assert (rc, capsys.readouterr().err) == (2, "anogen: error: sampler.count: must be > 0, got 0\n")
    assert list(tmp_path.iterdir()) == []


class _Optional:
    def __init__(self, n: PositiveInt | None = None): ...


class _InAList:
    def __init__(self, ratios: list[Ratio] | None = None): ...


class _Plain:
    def __init__(self, n: int = 1, name: str = "x"): ...


def test_only_classes_declaring_anogen_params_types_are_checked_outside_anogen():
    """A plug-in using anogen.params types is checked by build; a third-party class without them (a
    scikit-learn estimator) checks itself (anogen.config.check_sklearn)."""
    from sklearn.ensemble import IsolationForest

    from anogen.config import build
    from anogen.params import declares_param_types
    from anogen.types import AnogenError
    from tests.plugins.detector import MedianDistance
    from tests.plugins.sampler import Stuck

    assert declares_param_types(Stuck) and declares_param_types(MedianDistance)
    assert declares_param_types(_Optional) and declares_param_types(_InAList)
    assert not declares_param_types(_Plain) and not declares_param_types(IsolationForest)
    with pytest.raises(AnogenError, match=r"^x\.ratios\.1: must be <= 0\.5, got 0\.9$"):
        build({"_target_": f"{__name__}._InAList", "ratios": [0.1, 0.9]}, "x")
    assert build({"_target_": f"{__name__}._Plain", "n": "abc"}, "x") is not None  # not anogen's to check


@pytest.mark.slow
def test_every_recipe_from_the_command_line(tmp_path):
    """The user's path: the plug-ins' folder on Hydra's search path, the modules importable."""
    env = {**os.environ, "WANDB_MODE": "disabled", "JAX_PLATFORMS": "cpu", "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "anogen", SEARCH, "sampler=stuck", "detectors=[median_distance]",
                        "metrics=[top_decile]", "plots=false", "logger=[local]", f"hydra.run.dir={tmp_path}"],
                       cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert "median_distance/top_decile_hit_rate" in saved["mean"]
