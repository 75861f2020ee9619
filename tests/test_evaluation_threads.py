"""Detectors fitted and scored side by side in threads (``workers``): the same results in the same
order, and detectors that must not run in a thread (the JAX models) stay in the main thread."""

from __future__ import annotations

import threading

import numpy as np

from anogen.detectors import build_detector
from anogen.detectors.baselines import ZScore
from anogen.evaluation import fit_detectors


class _Recorder(ZScore):
    """A z-score that records the thread it was fitted in."""

    seen: list = []

    def _fit(self, X, segments):
        type(self).seen.append((self.name, threading.current_thread().name))
        super()._fit(X, segments)


    def _decision_function(self, X):
        type(self).scored.add((self.name, threading.current_thread().name))
        return super()._decision_function(X)


_Recorder.scored = set()


class _MainOnly(_Recorder):
    threads_ok = False


def test_detectors_that_are_not_thread_safe_are_fitted_in_the_main_thread():
    _Recorder.seen = []
    x = np.random.default_rng(0).normal(size=(400, 2))
    pool = {"a": _Recorder(name="a"), "b": _Recorder(name="b"), "main": _MainOnly(name="main"),
            "knn": build_detector("knn")}
    fitted, errors, secs = fit_detectors(pool, x, workers=2)
    assert list(fitted) == ["a", "b", "main", "knn"] and not errors and list(secs) == list(pool)
    where = dict(_Recorder.seen)
    assert where["main"] == threading.main_thread().name
    assert where["a"].startswith("anogen-fit") and where["b"].startswith("anogen-fit")


def test_the_reconstruction_detectors_say_they_stay_in_the_main_thread():
    from anogen.detectors import LSTMAEDetector, VAEDetector
    from anogen.detectors.forecast import CNNDetector, LSTMADDetector
    from anogen.detectors.usad import USADDetector

    for cls in (LSTMAEDetector, VAEDetector, CNNDetector, LSTMADDetector, USADDetector):
        assert cls.threads_ok is False, cls
    assert build_detector("knn").threads_ok is True
    assert build_detector("ensemble").threads_ok is True


def test_cases_are_scored_in_threads_and_the_main_only_detector_in_the_main_thread():
    from anogen.api import _component, _metrics_of
    from anogen.evaluation import Case, score_cases
    from anogen.types import Event, Injected

    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 2))
    pool = {"a": _Recorder(name="a"), "b": _Recorder(name="b"), "main": _MainOnly(name="main")}
    fitted, errors, secs = fit_detectors(pool, rng.normal(size=(400, 2)))
    y = np.zeros(300, bool)
    y[100:104] = True
    x[y] += 4.0
    inj = Injected(x, y, (Event(100, 104, "spike", ("a", "b"), "t"),), ("a", "b"), np.arange(300), x,
                   np.where(y, "spike", "").astype(object))
    _Recorder.scored = set()
    runs = score_cases(fitted, [Case("c", inj, x)], _component("threshold", "percentile", "threshold"),
                       _metrics_of(["vus"]), fit_errors=errors, fit_seconds=secs, order=list(pool), workers=2)
    assert [r.detector for r in runs] == ["a", "b", "main"] and all(r.ok for r in runs)
    where = dict(_Recorder.scored)
    assert where["main"] == threading.main_thread().name
    assert where["a"].startswith("anogen-score") and where["b"].startswith("anogen-score")
