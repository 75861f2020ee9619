"""The detector base class: a scikit-learn estimator with PyOD's outlier-detector attributes.

A detector is fitted on the clean train part of a fold and scores every time step of the
(injected) test fold; a higher score means more anomalous. Inputs are scaled with statistics of
the train part (the evaluation does that), shape ``(n, d)``.

:class:`BaseDetector` is a :class:`sklearn.base.BaseEstimator`, so ``get_params``, ``set_params``
and :func:`sklearn.base.clone` work, and it speaks PyOD's dialect
(``decision_function``, ``decision_scores_``, ``threshold_``, ``labels_``, ``predict`` giving 0/1).
A new detector subclasses it, takes its constructor arguments by keyword only and stores them
unchanged (annotated with the types of :mod:`anogen.params`, which ``fit`` checks), and implements
the two abstract methods (a subclass without them cannot be instantiated: ``TypeError``)::

    class MeanShift(BaseDetector):
        def __init__(self, *, name: str = "mean_shift", contamination: Ratio = 0.1) -> None:
            self.name = name
            self.contamination = contamination

        def _fit(self, X, segments):           # X (n_train, d) float64, segments (k, 2) int64
            self.mean_ = X.mean(axis=0)

        def _decision_function(self, X):       # X (n, d) float64 -> (n,)
            return np.abs(X - self.mean_).max(axis=1)

Detectors by name (:func:`build_detector`): a packaged config (``"iforest"``), a library's detector
(``"pyod:COPOD"``, ``"aeon:KMeansAD"``: :mod:`anogen.detectors.library`) or a window variant
of one, ``NAME@WINDOW`` (``"knn@50"``, ``"knn@period"``, ``"knn@2period"``: :func:`window_variant`,
the one variant mechanism of the plain run's ``detector_variants``, the API's ``detectors=[...]``
lists and the selection's ``select.windows``).

Note: unlike scikit-learn's outlier detectors (higher = more normal, ``predict`` in {-1, +1}),
anogen and PyOD score higher = more anomalous and ``predict`` returns 1 for an anomaly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable, Mapping, Protocol, runtime_checkable

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

from anogen.detectors.incremental import ReceptiveField, ScoredReference, interval_rows, sample_cores, score_cores, splice
from anogen.config import build
from anogen.detectors.windows import check_data, check_scores, check_segments, split_variant
from anogen.params import check_params as check_annotated
from anogen.paths import conf_file, conf_options
from anogen.types import AnogenError

__all__ = ["BaseDetector", "Detector", "NotFittedError", "build_detector", "window_variant", "detector_variants"]


#: ``LIBRARY:NAME`` detector names (``pyod:COPOD``, ``aeon:KMeansAD``): library prefix -> a function
#: ``(spec, *, name, **params) -> detector``, registered by :mod:`anogen.detectors.library`
NAME_RESOLVERS: dict[str, Callable[..., Any]] = {}


class NotFittedError(AnogenError, _SklearnNotFittedError):
    """``decision_function``/``predict`` called before ``fit`` (an :class:`AnogenError` and
    scikit-learn's :class:`~sklearn.exceptions.NotFittedError`)."""


@runtime_checkable
class Detector(Protocol):
    """What the evaluation needs from a detector (for typing; :class:`BaseDetector` implements it).

    Attributes:
        name: short name used in result keys (``"name/metric"``).
    """

    name: str

    def fit(self, X: np.ndarray, y: Any = None, *, segments: np.ndarray | None = None) -> "Detector":
        """Fit on ``X`` ``(n_train, d)``; ``segments`` ``(k, 2)`` are half-open ranges of
        contiguous rows (windows must not cross them; ``None`` = one segment). Returns self."""
        ...

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Anomaly score per row of ``X`` ``(n, d)`` -> ``(n,)`` float64, higher = more anomalous."""
        ...


class BaseDetector(BaseEstimator, ABC):
    """Base class of every anogen detector (scikit-learn estimator, PyOD conventions).

    Subclasses define a keyword-only ``__init__`` (``def __init__(self, *, ...)``, storing every
    argument unchanged, including ``name: str`` and ``contamination: Ratio = 0.1``) and implement
    the abstract methods :meth:`_fit` and :meth:`_decision_function` (a subclass missing one raises
    ``TypeError`` when it is instantiated). Rules between parameters go in :meth:`_check_rules`.

    A local detector also implements :meth:`_receptive_field` (see
    :mod:`anogen.detectors.incremental`): then ``decision_function(X, reference=...)`` rescores only
    the rows near those that differ from a scored reference, and ``fit(..., train_scores=m)`` scores
    about ``m`` train rows instead of all of them.

    Attributes (after ``fit``):
        decision_scores_: ``(m,)`` float64 scores of the train rows ``train_score_rows_`` (every
            train row, ``m = n_train``, unless ``fit`` was given ``train_scores``).
        train_score_rows_: ``(m,)`` int64 the train rows that ``decision_scores_`` belong to.
        threshold_: the ``100 * (1 - contamination)`` percentile of ``decision_scores_``.
        labels_: ``(m,)`` int 0/1, ``decision_scores_ >= threshold_``.
        n_features_in_: ``d`` seen at fit time.
        receptive_field_: ``(left, right)``: the score of row ``t`` depends only on rows
            ``t - left .. t + right``; ``None`` when it may depend on any row.
        min_rows_: the fewest rows ``decision_function`` can score (a window detector: its window);
            the evaluation scores a shorter labelled test part after the train rows that precede it.
    """

    name: str
    contamination: float
    #: whether an evaluation may fit and score this detector in a thread beside other detectors
    #: (each detector object stays in one thread); ``False`` for the JAX models (one trainer at a time)
    threads_ok: bool = True

    # ------------------------------------------------------------------ to implement

    @abstractmethod
    def _fit(self, X: np.ndarray, segments: np.ndarray) -> None:
        """Learn from the clean train data.

        Args:
            X: ``(n_train, d)`` float64, finite, C-contiguous (never modify it in place).
            segments: ``(k, 2)`` int64 half-open ranges of contiguous rows (windows must not
                cross them).
        """

    @abstractmethod
    def _decision_function(self, X: np.ndarray) -> np.ndarray:
        """Score every row of ``X`` ``(n, d)`` float64 -> ``(n,)``, higher = more anomalous."""

    def _receptive_field(self) -> ReceptiveField | None:
        """Optional: ``(left, right)`` after ``_fit`` if the detector is local, else ``None`` (default).

        Local means: the score of row ``t`` of any scored array depends only on its rows
        ``t - left .. t + right`` (and on the distance to the array's ends when that is smaller).
        Declaring it makes incremental scoring and train-score samples exact; declare ``None``
        when unsure.
        """
        return None

    def _min_rows(self) -> int:
        """Optional: the fewest rows :meth:`_decision_function` can score after ``_fit`` (default 1)."""
        return 1

    def _score_with_state(self, X: np.ndarray) -> tuple[np.ndarray, Any]:
        """Optional: scores of ``X`` plus private state kept in a :class:`ScoredReference`."""
        return self._decision_function(X), None

    def _rescore(self, X: np.ndarray, reference: ScoredReference) -> np.ndarray | None:
        """Optional: scores of ``X`` from a same-shape reference, or ``None`` to score ``X`` whole.

        The default rescores the rows within the receptive field of the changed rows
        (:func:`anogen.detectors.incremental.splice`).
        """
        return splice(self._decision_function, X, reference, self.receptive_field_)

    def _check_rules(self, key: str) -> None:
        """Optional: rules between parameters (``min_periods <= window``), checked without data.

        Raise :class:`AnogenError` naming ``f"{key}.<param>"``; the annotations are already checked.
        """

    # ------------------------------------------------------------------ public API

    def fit(self, X: np.ndarray, y: Any = None, *, segments: np.ndarray | None = None,
            train_scores: int | None = None) -> "BaseDetector":
        """Check the parameters and the data, fit, and score the train data.

        Args:
            X: ``(n_train, d)`` clean (scaled) train data (a 1-D array is one column).
            y: ignored (scikit-learn API compatibility).
            segments: ``(k, 2)`` half-open ``[start, end)`` row ranges of contiguous data;
                ``None`` = one segment ``[0, n_train)``.
            train_scores: score about this many train rows (evenly spaced runs, see
                :func:`anogen.detectors.incremental.sample_cores`) for ``decision_scores_``
                instead of all of them; only local detectors sample, the others score every row.
                ``None`` = every row.

        Returns:
            self.

        Raises:
            AnogenError: an invalid parameter (one line naming ``detectors.<name>.<param>``), bad
                data or segments, or the detector's own error.
        """
        self._reset()
        self.check_params()
        X = check_data(X, owner=self._owner())
        seg = check_segments(segments, X.shape[0], owner=self._owner())
        self.n_features_in_ = X.shape[1]
        self._fit(X, seg)
        self.receptive_field_ = self._receptive_field()
        self.min_rows_ = max(1, int(self._min_rows()))
        rows, scores = self._train_scores(X, train_scores)
        self.train_score_rows_ = rows
        self.decision_scores_ = scores
        self.threshold_ = float(np.percentile(scores, 100.0 * (1.0 - float(self.contamination))))
        self.labels_ = (scores >= self.threshold_).astype(int)
        return self

    def decision_function(self, X: np.ndarray, *, reference: ScoredReference | None = None) -> np.ndarray:
        """Anomaly score of every row.

        Args:
            X: ``(n, d)`` data with the ``d`` columns seen by ``fit``.
            reference: a :meth:`score_reference` of an array of the same shape (e.g. the clean
                test fold): only the rows that the differences can affect are rescored (same
                scores up to floating-point rounding). Ignored for another shape or a detector
                that is not local (then ``X`` is scored whole).

        Returns:
            ``(n,)`` float64, finite, higher = more anomalous.

        Raises:
            NotFittedError: called before ``fit``.
            AnogenError: bad data, or the detector produced a wrong number of / non-finite scores.
        """
        self._check_fitted()
        X = check_data(X, n_features=self.n_features_in_, owner=self._owner())
        scores = None
        if reference is not None and reference.x.shape == X.shape:
            scores = self._rescore(X, reference)
        if scores is None:
            scores = self._decision_function(X)
        return check_scores(scores, X.shape[0], owner=self._owner())

    def score_reference(self, X: np.ndarray) -> ScoredReference:
        """Score ``X`` and keep what ``decision_function(X2, reference=...)`` needs to rescore
        arrays that differ from ``X`` in a few rows.

        Args:
            X: ``(n, d)`` data (e.g. the clean test fold, scaled).

        Returns:
            The :class:`~anogen.detectors.incremental.ScoredReference` (holding a read-only copy of
            ``X``; ``X`` itself when it is a read-only float64 array).
        """
        self._check_fitted()
        X = check_data(X, n_features=self.n_features_in_, owner=self._owner())
        if X.flags.writeable:  # a read-only array cannot change under the reference: no copy needed
            X = X.copy()
            X.flags.writeable = False
        scores, state = self._score_with_state(X)
        return ScoredReference(X, check_scores(scores, X.shape[0], owner=self._owner()), state)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """``(n,)`` int labels: 1 = anomaly (``decision_function(X) >= threshold_``), 0 = normal."""
        return (self.decision_function(X) >= self.threshold_).astype(int)

    # ------------------------------------------------------------------ helpers

    def _train_scores(self, X: np.ndarray, size: int | None) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, scores)`` of the train rows scored for ``decision_scores_``."""
        n = X.shape[0]
        cores = sample_cores(n, size, self.receptive_field_)
        if cores is None:
            return np.arange(n, dtype=np.int64), check_scores(self._decision_function(X), n, owner=self._owner())
        rows = interval_rows(*cores)
        scores = score_cores(self._decision_function, X, cores[0], cores[1], self.receptive_field_)
        return rows, check_scores(scores, rows.shape[0], owner=self._owner())

    def _owner(self) -> str:
        """The detector's name for error messages."""
        name = getattr(self, "name", None)
        return str(name) if name else type(self).__name__

    def check_params(self) -> None:
        """Check the parameters without data: annotations (:func:`anogen.params.check_params`),
        then :meth:`_check_rules`.

        Called by :meth:`fit` (so values set with ``set_params`` are checked) and by
        :func:`anogen.config.build` once it has built a detector (so a bad config fails before any
        data are loaded).

        Raises:
            AnogenError: one line naming ``detectors.<name>.<param>`` and what is valid.
        """
        key = f"detectors.{self._owner()}"
        check_annotated(type(self), self.get_params(deep=False), key)
        self._check_rules(key)

    def _reset(self) -> None:
        """Forget a previous fit (so a failed refit leaves an unfitted detector, not a stale one)."""
        for attr in [a for a in vars(self) if a.endswith("_") and not a.startswith("_")]:
            delattr(self, attr)

    def _check_fitted(self) -> None:
        if not hasattr(self, "decision_scores_"):
            raise NotFittedError(f"{self._owner()}: decision_function() called before fit(); call fit(X) first")

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:
        """scikit-learn's repr, plus the window resolved at fit time when it differs from the
        ``window`` parameter (``window='auto'``: ``Estimator(...)[window_=37]``)."""
        text = super().__repr__(N_CHAR_MAX)
        resolved = getattr(self, "window_", None)
        if resolved is not None and "window" in self.get_params(deep=False) and self.window != resolved:
            text += f"[window_={resolved}]"
        return text


def build_detector(name: str, **overrides: Any) -> BaseDetector:
    """Build a packaged detector, or a window variant of one, by name (no Hydra run needed).

    Args:
        name: one of the packaged configs (``anogen/conf/detectors/*.yaml``), e.g. ``"iforest"``,
            ``LIBRARY:NAME`` (``"pyod:COPOD"``, ``"aeon:KMeansAD"``; ``overrides`` then also take the
            library class's own parameters, e.g. ``n_neighbors=3``), or
            ``NAME@WINDOW``: ``"knn@50"`` (window 50 rows), ``"knn@period"`` / ``"knn@2period"``
            (one / two periods of the train part, resolved at fit time), named so.
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

    base, window = split_variant(name)
    if ":" in base:  # a library's detector by name: pyod:COPOD, aeon:KMeansAD@period (anogen.detectors.library)
        library = base.partition(":")[0]
        if library not in NAME_RESOLVERS:
            raise AnogenError(f"{base!r}: a library detector is LIBRARY:NAME with LIBRARY one of "
                              f"{', '.join(NAME_RESOLVERS) or 'pyod, aeon'} (e.g. pyod:COPOD)", key="detectors")
        det = NAME_RESOLVERS[library](base, name=base, **overrides)
        return det if window is None else window_variant(det, window, name)
    names = conf_options("detectors")
    if base not in names:
        raise AnogenError(f"detectors: unknown detector {base!r}; valid: {', '.join(names)} "
                          "(a window variant: NAME@N or NAME@period)")
    node = OmegaConf.create(conf_file("detectors", base).read_text())[base]
    for key, value in overrides.items():
        node[key] = value
    det = build(node, f"detectors.{base}")  # unknown or invalid parameters: one line naming the key
    return det if window is None else window_variant(det, window, name)


def window_variant(detector: Any, window: int | str, name: str) -> Any:
    """An unfitted copy of a windowed detector with another ``window`` (rows, ``"period"``,
    ``"2period"``, ``"auto"``) and ``name`` (its result key, e.g. ``"knn@50"``); ``detector`` is
    left unchanged.

    Raises:
        AnogenError: the detector has no ``window`` parameter, or does not take this window.
    """
    params = detector.get_params(deep=False) if hasattr(detector, "get_params") else {}
    if "window" not in params:
        raise AnogenError(f"{name}: {type(detector).__name__} has no window parameter; variants NAME@WINDOW "
                          "are for windowed detectors (knn, iforest, lof, pca, ocsvm, kmeans, mp, poly, lstm_ae, vae, cnn, "
                          "lstmad, usad)", key="detectors")
    det = clone(detector)
    det.set_params(window=window, **({"name": name} if "name" in params else {}))
    if hasattr(det, "check_params"):
        det.check_params()
    return det


def detector_variants(names: Any, detectors: Mapping[str, Any], key: str = "detector_variants") -> dict[str, Any]:
    """``{variant name: detector}`` for ``NAME@WINDOW`` names (the plain run's and the benchmark's
    ``detector_variants``): a variant of ``detectors[NAME]`` when it is one of them (with its
    overrides), else of the packaged ``NAME``; and for ``LIBRARY:NAME`` names (``pyod:COPOD``,
    ``aeon:KMeansAD``, ``pyod:KNN@10``): a library's detector (:mod:`anogen.detectors.library`).

    Raises:
        AnogenError: a name that is neither, one already among ``detectors``, a detector without a
            window, or a library name that cannot be built (missing library, unknown class).
    """
    names = list(names or [])
    out: dict[str, Any] = {}
    for i, n in enumerate(names):
        if not isinstance(n, str) or ("@" not in n and ":" not in n):
            raise AnogenError(f"must be NAME@WINDOW (knn@50, knn@period) or LIBRARY:NAME (pyod:COPOD, aeon:KMeansAD), "
                              f"got {n!r}", key=f"{key}[{i}]")
        if n in detectors or n in out:
            raise AnogenError(f"{n!r} is listed twice", key=f"{key}[{i}]")
        base, window = split_variant(n)
        if base in detectors and window is not None:
            out[n] = window_variant(detectors[base], window, n)  # type: ignore[arg-type]
        else:
            try:
                out[n] = build_detector(n)
            except AnogenError as e:  # a library name's problem, at the entry the user wrote
                raise (e.rekeyed(lambda k: f"{key}[{i}]" if k == "detectors" else None)) from None
    return out
