"""Anomaly detectors: fit on clean train data, score every time step (higher = more anomalous).

Every detector subclasses :class:`anogen.detectors.base.BaseDetector`, a scikit-learn estimator
(``get_params``, ``set_params``, :func:`sklearn.base.clone`) with PyOD's conventions:
``fit(X, y=None, *, segments=None) -> self``; ``decision_function(X) -> (n,) float64`` (higher =
more anomalous); after ``fit``: ``decision_scores_``, ``threshold_`` (set by ``contamination``),
``labels_``; ``predict(X) -> (n,)`` 0/1. Every detector has the parameters ``name`` (its result key)
and ``contamination``. :class:`~anogen.detectors.base.Detector` is the matching typing protocol.
Built-in detectors and their configs (``anogen/conf/detectors/*.yaml``):

=================  =====================================================================
``lstm_ae``        :class:`LSTMAEDetector`, per-step reconstruction error of an LSTM autoencoder
``vae``            :class:`VAEDetector`, reconstruction error or negative ELBO of an LSTM-VAE
``cnn``            :class:`CNNDetector`, forecast error of a 1-D CNN (DeepAnT; TSB-AD's CNN)
``lstmad``         :class:`LSTMADDetector`, forecast error of an LSTM (LSTM-AD; TSB-AD's LSTMAD)
``usad``           :class:`USADDetector`, USAD's two-autoencoder score (Audibert et al. 2020)
``iforest``        :class:`Estimator` around :class:`sklearn.ensemble.IsolationForest`
``lof``            :class:`Estimator` around :class:`LOF` (scikit-learn's novelty LOF on a fast index)
``ocsvm``          :class:`Estimator` around :class:`sklearn.svm.OneClassSVM`
``knn``            :class:`Estimator` around :class:`KNNDistance` (on a fast index)
``pca``            :class:`Estimator` around :class:`PCAReconstruction`
``zscore``         :class:`ZScore` (global), ``zscore_rolling``: :class:`ZScore` (rolling)
``random``         :class:`RandomScore`, sanity baseline
``pyod_ecod``      :class:`Estimator` around ``pyod.models.ecod.ECOD`` (optional extra ``pyod``)
``ensemble``       :class:`Ensemble`, the mean of its members' robustly normalised scores
``mp``             :class:`MatrixProfile`, matrix-profile discords with stumpy (extra ``detectors``)
``poly``           :class:`POLY`, polynomial-fit error (TSB-AD's POLY)
``sr``             :class:`SeriesDetector` around PyOD's ``SpectralResidual`` (extra ``detectors``)
``kmeans``         :class:`Estimator` around :class:`KMeansDistance` (aeon's KMeansAD)
=================  =====================================================================

Any PyOD or aeon detector by name: ``build_detector("pyod:COPOD")``, ``"aeon:KMeansAD"``
(:mod:`anogen.detectors.library`; on the command line ``+detector_variants=[pyod:COPOD]``).

A windowed detector's ``window`` may be ``auto`` (the train part's dominant period, resolved at fit
time and kept as ``window_``; see :mod:`anogen.detectors.windows`), and ``build_detector("knn@50")``
/ ``"knn@period"`` / ``"knn@2period"`` builds a window variant by name.

The neural detectors (reconstruction, forecasting, USAD) import JAX only when first used (``from
anogen.detectors import LSTMAEDetector`` triggers it), so the other detectors stay light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from anogen.detectors.base import BaseDetector, Detector, NotFittedError, build_detector, detector_variants, window_variant
from anogen.detectors.baselines import RandomScore, ZScore
from anogen.detectors.ensemble import Ensemble
from anogen.detectors.estimator import LOF, Estimator, KNNDistance, PCAReconstruction, instantiate_estimator
from anogen.detectors.kmeans import KMeansDistance
from anogen.detectors.library import SeriesDetector, library_detector
from anogen.detectors.matrix_profile import MatrixProfile
from anogen.detectors.poly import POLY
from anogen.detectors.windows import aggregate_window_scores, sliding_windows, window_features, window_starts
from anogen.paths import conf_options

if TYPE_CHECKING:
    from anogen.detectors.forecast import CNNDetector, LSTMADDetector
    from anogen.detectors.reconstruction import LSTMAEDetector, VAEDetector
    from anogen.detectors.usad import USADDetector

__all__ = [
    "BaseDetector",
    "Detector",
    "NotFittedError",
    "Estimator",
    "KNNDistance",
    "LOF",
    "PCAReconstruction",
    "ZScore",
    "RandomScore",
    "LSTMAEDetector",
    "VAEDetector",
    "CNNDetector",
    "LSTMADDetector",
    "USADDetector",
    "instantiate_estimator",
    "window_starts",
    "window_features",
    "sliding_windows",
    "aggregate_window_scores",
    "builtin_detectors",
    "build_detector",
    "window_variant",
    "detector_variants",
    "Ensemble",
    "MatrixProfile",
    "POLY",
    "KMeansDistance",
    "SeriesDetector",
    "library_detector",
]

#: the neural detectors and their modules
_LAZY = {"LSTMAEDetector": "reconstruction", "VAEDetector": "reconstruction", "CNNDetector": "forecast",
         "LSTMADDetector": "forecast", "USADDetector": "usad"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        # lazy: these import JAX, flax and optax (~2 s); the other detectors need only scikit-learn
        import importlib

        return getattr(importlib.import_module(f"anogen.detectors.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'anogen.detectors' has no attribute {name!r}")


def builtin_detectors() -> list[str]:
    """Names of the packaged detector configs (``anogen/conf/detectors/*.yaml``), sorted."""
    return conf_options("detectors")
