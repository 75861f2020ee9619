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

from tests.conftest import TINY, compose

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_CONF = ROOT / "tests" / "plugins" / "conf"
SEARCH = f"hydra.searchpath=[file://{PLUGIN_CONF}]"


def _run(overrides, tmp_path):
    from anogen.jobs.run import run

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
