"""Threshold strategies: values, the >= convention, oracle flag, validation."""

from __future__ import annotations

import numpy as np
import pytest
from hydra.utils import instantiate

import anogen.metrics as M
from anogen.config import build
from anogen.thresholds import BestF1, Contamination, Fixed, Percentile, predict
from anogen.types import AnogenError

TRAIN = np.arange(100, dtype=float)  # 0..99
TEST = np.array([5.0, 99.0, 120.0, 3.0, 98.5, 150.0, 99.0, 0.0])
LABELS = np.array([0, 1, 1, 0, 0, 1, 1, 0])


def test_predict_uses_greater_or_equal():
    assert predict([1.0, 2.0, 3.0], 2.0).tolist() == [False, True, True]
    assert Fixed(2.0).predict([1.0, 2.0, 3.0], 2.0).tolist() == [False, True, True]


def test_fixed():
    th = Fixed(3.5)
    assert th(TRAIN, TEST) == 3.5 and th.oracle is False


def test_percentile_of_train_scores():
    th = Percentile(q=99.0)
    assert th(TRAIN, TEST) == pytest.approx(np.percentile(TRAIN, 99.0))
    assert Percentile(q=100)(TRAIN, TEST) == 99.0
    assert predict(TEST, th(TRAIN, TEST)).tolist() == [False, True, True, False, True, True, True, False]
    assert Percentile().q == 99.0


def test_contamination_flags_top_k():
    th = Contamination(ratio=0.25)  # k = 2 of 8
    thr = th(TRAIN, TEST)
    assert thr == 120.0
    assert predict(TEST, thr).sum() == 2
    # ties at the threshold are all flagged
    assert predict(TEST, Contamination(ratio=0.5)(TRAIN, TEST)).sum() == 4
    # at least one point even for a tiny ratio
    assert predict(TEST, Contamination(ratio=0.01)(TRAIN, TEST)).tolist() == [
        False,
        False,
        False,
        False,
        False,
        True,
        False,
        False,
    ]


def test_best_f1_is_an_oracle():
    th = BestF1()
    assert th.oracle is True
    thr = th(TRAIN, TEST, LABELS)
    assert M.f1(LABELS, predict(TEST, thr)) == pytest.approx(M.best_f1(LABELS, TEST))
    assert thr == 99.0
    with pytest.raises(AnogenError, match="needs y_true"):
        th(TRAIN, TEST)


@pytest.mark.parametrize(
    "target,kwargs,match",
    [
        ("Fixed", {"value": float("nan")}, r"^threshold\.value: must be a finite number, got nan$"),
        ("Fixed", {"value": "x"}, r"^threshold\.value: must be a valid number"),
        ("Percentile", {"q": 101}, r"^threshold\.q: must be (>= 0(\.0)? and )?<= 100(\.0)?, got 101"),
        ("Percentile", {"q": -1}, r"^threshold\.q: must be >= 0(\.0)?( and <= 100(\.0)?)?, got -1"),
        ("Contamination", {"ratio": 0.0}, r"^threshold\.ratio: must be > 0(\.0)?( and <= 0\.5)?, got 0\.0$"),
        ("Contamination", {"ratio": 0.7}, r"^threshold\.ratio: must be (> 0(\.0)? and )?<= 0\.5, got 0\.7$"),
    ],
)
def test_bad_parameters_name_the_key_and_range(target, kwargs, match):
    # from a config: at build time, before any data
    with pytest.raises(AnogenError, match=match):
        build({"_target_": f"anogen.thresholds.{target}", **kwargs}, "threshold")
    # built in Python: at the first call, with the same message
    if kwargs != {"value": "x"}:
        import anogen.thresholds as T

        with pytest.raises(AnogenError, match=match):
            getattr(T, target)(**kwargs)(TRAIN, TEST)


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: Percentile(q=99)([], TEST), "train_scores must be a non-empty 1-D array"),
        (lambda: Percentile(q=99)([1.0, np.inf], TEST), "train_scores must be finite; found inf at index 1"),
        (lambda: Contamination(0.1)(TRAIN, None), "test_scores are required"),
        (lambda: predict([1.0, 2.0], "x"), "threshold must be a number"),
    ],
)
def test_validation(make, match):
    with pytest.raises(AnogenError, match=match):
        make()


def test_instantiate_from_config():
    th = instantiate({"_target_": "anogen.thresholds.Percentile", "q": 95})
    assert isinstance(th, Percentile) and th.q == 95.0
