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
``iforest``        :class:`Estimator` around :class:`sklearn.ensemble.IsolationForest`
``lof``            :class:`Estimator` around :class:`LOF` (scikit-learn's novelty LOF on a fast index)
``ocsvm``          :class:`Estimator` around :class:`sklearn.svm.OneClassSVM`
``knn``            :class:`Estimator` around :class:`KNNDistance` (on a fast index)
``pca``            :class:`Estimator` around :class:`PCAReconstruction`
``zscore``         :class:`ZScore` (global), ``zscore_rolling``: :class:`ZScore` (rolling)
``random``         :class:`RandomScore`, sanity baseline
``pyod_ecod``      :class:`Estimator` around ``pyod.models.ecod.ECOD`` (optional extra ``pyod``)
=================  =====================================================================

The reconstruction detectors import JAX only when first used (``from anogen.detectors import
LSTMAEDetector`` triggers it), so the other detectors stay light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from anogen.config import build
from anogen.detectors.base import BaseDetector, Detector, NotFittedError
from anogen.detectors.baselines import RandomScore, ZScore
from anogen.detectors.estimator import LOF, Estimator, KNNDistance, PCAReconstruction, instantiate_estimator
from anogen.detectors.windows import aggregate_window_scores, sliding_windows, window_features, window_starts
from anogen.paths import conf_file, conf_options
from anogen.types import AnogenError

if TYPE_CHECKING:
    from anogen.detectors.reconstruction import LSTMAEDetector, VAEDetector

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
    "instantiate_estimator",
    "window_starts",
    "window_features",
    "sliding_windows",
    "aggregate_window_scores",
    "builtin_detectors",
    "build_detector",
]

_LAZY = {"LSTMAEDetector", "VAEDetector"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        # lazy: reconstruction imports JAX, flax and optax (~2 s); the other detectors need only scikit-learn
        from anogen.detectors import reconstruction

        return getattr(reconstruction, name)
    raise AttributeError(f"module 'anogen.detectors' has no attribute {name!r}")


def builtin_detectors() -> list[str]:
    """Names of the packaged detector configs (``anogen/conf/detectors/*.yaml``), sorted."""
    return conf_options("detectors")


def build_detector(name: str, **overrides: Any) -> BaseDetector:
    """Build a packaged detector by name, for library use (no Hydra run needed).

    Args:
        name: one of :func:`builtin_detectors`, e.g. ``"iforest"``.
        **overrides: top-level constructor arguments replacing the config's values, e.g.
            ``window=5`` or ``epochs=2`` (nested ones afterwards with ``set_params``, e.g.
            ``set_params(estimator__n_estimators=50)``).

    Returns:
        The unfitted detector, its parameters checked.

    Raises:
        AnogenError: unknown name, unknown parameter, or an invalid value (one line naming
            ``detectors.<name>.<param>``).
    """
    from omegaconf import OmegaConf

    names = builtin_detectors()
    if name not in names:
        raise AnogenError(f"detectors: unknown detector {name!r}; valid: {', '.join(names)}")
    path = conf_file("detectors", name)
    node = OmegaConf.create(path.read_text())[name]
    for key, value in overrides.items():
        node[key] = value
    return build(node, f"detectors.{name}")  # unknown or invalid parameters: one line naming the key
