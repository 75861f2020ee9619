"""scripts/detector_evidence.py: the table-building functions on a tiny hand-made input (fast)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

_spec = importlib.util.spec_from_file_location(
    "detector_evidence", Path(__file__).resolve().parents[1] / "scripts" / "detector_evidence.py")
de = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(de)

VUS = {"a": {"x": 0.8, "y": 0.4, "ens": 0.6},
       "b": {"x": 0.2, "y": 0.5, "ens": 0.5},
       "c": {"x": 0.3, "y": 0.3, "ens": float("nan")}}   # ens failed on c: counts as 0% of best


def test_pct_of_best():
    r = de.pct_of_best(VUS, "ens", ["x", "y", "ens"])
    assert r["series"] == 3
    assert r["mean_pct"] == pytest.approx((75.0 + 100.0 + 0.0) / 3)
    assert r["best_on"] == 1 and r["at_least_85_on"] == 1


def test_best_gain_and_window_pair():
    g = de.best_gain(VUS, ["x"], ["x", "y"])
    assert g["old_best"] == pytest.approx((0.8 + 0.2 + 0.3) / 3)
    assert g["new_best"] == pytest.approx((0.8 + 0.5 + 0.3) / 3)
    assert g["gain"] == pytest.approx(0.1) and g["higher_on"] == 1
    w = de.window_pair(VUS, "x", "y")
    assert (w["wins"], w["losses"], w["ties"]) == (1, 1, 1)
    assert w["diff"] == pytest.approx((-0.4 + 0.3 + 0.0) / 3)


def test_ranks_share_ties_and_put_failures_last():
    r = de.ranks(VUS, ["x", "y", "ens"])
    assert r["x"] == pytest.approx((1 + 3 + 1.5) / 3)
    assert r["y"] == pytest.approx((3 + 1.5 + 1.5) / 3)      # b: y and ens tie at 0.5
    assert r["ens"] == pytest.approx((2 + 1.5 + 3) / 3)
    assert np.isclose(sum(r.values()), 6.0)
