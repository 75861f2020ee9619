"""An ensemble of detectors: every member scores, the normalised scores are combined.

:class:`Ensemble` fits every member on the train part, normalises each member's scores by that
member's own train scores and combines the normalised scores per row:

- **normalise** ``"robust"`` (default): ``(s - median) / (IQR / 1.349)`` of the member's train scores
  (``decision_scores_``), a z-score that a few extreme train scores do not move (anomaly scores are
  skewed: one outlier in the train part would shrink a mean/std z-score of every other row);
  ``"standard"``: ``(s - mean) / std``. A zero spread falls back to the standard deviation, then 1.
- **combine** ``"mean"`` (default), ``"max"`` (a row flagged by any member), or ``"trimmed_mean"``
  (the mean after dropping the ``int(trim * m)`` lowest and highest of the ``m`` members' values per
  row: one member's outlying opinion cannot carry a row).

Members are packaged names (window variants too: ``"knn@period"``), configs with ``_target_``, or
detector objects (cloned, never fitted in place), as a list (result keys: the names, the configs'
``name``) or a ``{name: member}`` mapping. The ensemble is local when every member is: its receptive
field is the widest of theirs, and incremental scoring rescores each member against its own
reference (the same scores as scoring whole).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field
from sklearn.base import BaseEstimator, clone

from anogen.config import build, to_plain
from anogen.detectors.base import BaseDetector, build_detector
from anogen.detectors.incremental import ReceptiveField, ScoredReference
from anogen.params import Ratio
from anogen.types import AnogenError

__all__ = ["Ensemble", "normaliser", "combine_scores", "same_detector"]

#: the share of members dropped at each end by ``combine="trimmed_mean"``
Trim = Annotated[float, Field(ge=0, lt=0.5)]

#: IQR of a standard normal distribution: IQR / 1.349 estimates the standard deviation
_IQR_SIGMA = 1.349


def normaliser(train_scores: np.ndarray, how: str = "robust") -> tuple[float, float]:
    """``(center, scale)`` of a member's train scores: median and IQR / 1.349 (``"robust"``) or mean
    and standard deviation (``"standard"``); a zero spread falls back to the std, then 1."""
    s = np.asarray(train_scores, dtype=np.float64)
    if how == "robust":
        q1, center, q3 = np.percentile(s, [25.0, 50.0, 75.0])
        scale = (q3 - q1) / _IQR_SIGMA
    else:
        center, scale = float(s.mean()), float(s.std())
    if not np.isfinite(scale) or scale <= 0:
        scale = float(s.std())
    if not np.isfinite(scale) or scale <= 0:
        scale = 1.0
    return float(center), float(scale)


def _config_key(det: Any) -> str | None:
    """The class and parameters of a detector (``name`` aside), or ``None`` when they cannot be read."""
    try:
        params = {k: v for k, v in det.get_params(deep=False).items() if k != "name"}
        return f"{type(det).__module__}.{type(det).__qualname__}{sorted(params.items())!r}"
    except Exception:  # noqa: BLE001 - not a scikit-learn style estimator: never the same
        return None


def same_detector(a: Any, b: Any) -> bool:
    """Whether two detectors are the same configuration (class and parameters; the name aside):
    fitted on the same data they score alike."""
    if type(a) is not type(b):
        return False
    key = _config_key(a)
    return key is not None and key == _config_key(b)


def combine_scores(z: np.ndarray, how: str = "mean", trim: float = 0.2) -> np.ndarray:
    """``(m, n)`` normalised member scores -> ``(n,)``: their mean, max or trimmed mean per row."""
    z = np.asarray(z, dtype=np.float64)
    if how == "max":
        return z.max(axis=0)
    if how == "trimmed_mean":
        m = z.shape[0]
        cut = int(trim * m)
        if cut > 0 and m - 2 * cut > 0:
            return np.sort(z, axis=0)[cut: m - cut].mean(axis=0)
    return z.mean(axis=0)


class Ensemble(BaseDetector):
    """Combination of several detectors' scores, each normalised by its own train scores.

    Args:
        members: the candidates: a list of packaged names (``"knn"``, ``"knn@period"``), configs
            with ``_target_`` or detector objects, or a ``{name: member}`` mapping (at least one).
        combine: ``"mean"``, ``"max"`` or ``"trimmed_mean"`` of the normalised scores per row.
        trim: share of members dropped at each end by ``"trimmed_mean"`` (``int(trim * m)`` each).
        normalise: ``"robust"`` (median/IQR z-score) or ``"standard"`` (mean/std z-score) of each
            member's train scores.
        name: result key.
        contamination: expected fraction of anomalies (sets ``threshold_``).

    Attributes:
        members_: ``{name: fitted member}``.
        centers_, scales_: ``{name: float}`` each member's normalisation.
        n_features_in_, decision_scores_, threshold_, labels_, receptive_field_: see
            :class:`~anogen.detectors.base.BaseDetector`.
    """

    def __init__(
        self,
        *,
        members: Any = ("zscore_rolling", "iforest", "knn", "lof", "pca"),
        combine: Literal["mean", "max", "trimmed_mean"] = "mean",
        trim: Trim = 0.2,
        normalise: Literal["robust", "standard"] = "robust",
        name: str = "ensemble",
        contamination: Ratio = 0.1,
    ) -> None:
        self.members = members
        self.combine = combine
        self.trim = trim
        self.normalise = normalise
        self.name = name
        self.contamination = contamination

    # ------------------------------------------------------------------ members

    def _built(self, key: str) -> dict[str, Any]:
        """``{name: unfitted member}`` from ``members`` (names, configs or objects)."""
        spec = to_plain(self.members)
        items = list(spec.items()) if isinstance(spec, Mapping) else \
            [(None, v) for v in (spec if isinstance(spec, (list, tuple)) else [spec])]
        if not items or spec is None or isinstance(spec, (str, bytes)):
            raise AnogenError("give at least one member: a list of detector names, configs or objects, "
                              "e.g. [zscore_rolling, iforest, knn]", key=f"{key}.members")
        out: dict[str, Any] = {}
        for i, (label, member) in enumerate(items):
            where = f"{key}.members.{label}" if label is not None else f"{key}.members[{i}]"
            if isinstance(member, str):
                det, name = build_detector(member), member
            elif isinstance(member, Mapping):
                det = build(member, where)
                name = str(member.get("name") or f"member{i}")
            elif hasattr(member, "fit") and hasattr(member, "decision_function"):
                det = clone(member) if isinstance(member, BaseEstimator) else member
                name = str(getattr(member, "name", None) or f"member{i}")
            else:
                raise AnogenError(f"must be a detector name, a config with _target_ or a detector, got {member!r}",
                                  key=where)
            name = str(label) if label is not None else name
            if name in out:
                raise AnogenError(f"member {name!r} is listed twice", key=f"{key}.members")
            if not hasattr(det, "fit") or not hasattr(det, "decision_function"):
                raise AnogenError(f"{type(det).__name__} is not a detector (no fit/decision_function)", key=where)
            out[name] = det
        return out

    def _check_rules(self, key: str) -> None:
        self._built(key)

    # ------------------------------------------------------------------ fit and score

    def fit(self, X: np.ndarray, y: Any = None, *, segments: np.ndarray | None = None,
            train_scores: int | None = None, shared: Mapping[str, Any] | None = None) -> "Ensemble":
        """As :meth:`BaseDetector.fit`; the members score the same bounded sample of train rows
        (``train_scores``) for their normalisation, not every train row.

        ``shared``: ``{name: detector}`` already fitted on the same ``X``, ``segments`` and
        ``train_scores`` (the other candidates of an evaluation). A member with the same class and
        parameters as one of them (the name aside) is that fitted detector, not a second fit of it;
        ``shared_`` maps such members to the detectors' names, so an evaluation that has their scores
        can combine them (:meth:`combine_members`) instead of scoring the members again.
        """
        self._member_train_scores = train_scores
        self._shared_pool = dict(shared or {})
        try:
            return super().fit(X, y, segments=segments, train_scores=train_scores)
        finally:
            self._shared_pool = {}

    def _fit(self, X: np.ndarray, segments: np.ndarray) -> None:
        """Fit every member on the train rows and normalise it by its own train scores."""
        self.members_, self.centers_, self.scales_, self.shared_ = {}, {}, {}, {}
        size = getattr(self, "_member_train_scores", None)
        pool = getattr(self, "_shared_pool", {})
        for name, det in self._built(f"detectors.{self._owner()}").items():
            same = next((k for k, d in pool.items() if same_detector(d, det)), None)
            if same is not None:
                det = pool[same]
                self.shared_[name] = same
            try:
                if same is None and isinstance(det, BaseDetector):
                    det.fit(X, segments=segments, train_scores=size)
                elif same is None:
                    det.fit(X, segments=segments)
            except AnogenError as e:
                raise AnogenError(f"member {name}: {e}", key=self._owner()) from None
            train = getattr(det, "decision_scores_", None)
            if train is None:
                train = det.decision_function(X)
            self.centers_[name], self.scales_[name] = normaliser(train, self.normalise)
            self.members_[name] = det

    @property
    def threads_ok(self) -> bool:  # type: ignore[override]
        """Whether every member may run in a thread (before ``fit``: whether the built members may)."""
        members = getattr(self, "members_", None)
        if members is None:
            try:
                members = self._built(f"detectors.{self._owner()}")
            except AnogenError:
                return False
        return all(bool(getattr(m, "threads_ok", False)) for m in members.values())

    def combine_members(self, member_scores: Mapping[str, np.ndarray]) -> np.ndarray:
        """``(n,)`` ensemble scores from every member's ``(n,)`` scores of the same rows (e.g. the
        scores an evaluation already has from the candidates in ``shared_``)."""
        self._check_fitted()
        missing = [m for m in self.members_ if m not in member_scores]
        if missing:
            raise AnogenError(f"{self.name}: no scores of member(s) {missing}")
        return self._combined({m: member_scores[m] for m in self.members_})

    def _normalised(self, name: str, scores: np.ndarray) -> np.ndarray:
        return (np.asarray(scores, dtype=np.float64) - self.centers_[name]) / self.scales_[name]

    def _combined(self, member_scores: Mapping[str, np.ndarray]) -> np.ndarray:
        z = np.stack([self._normalised(n, s) for n, s in member_scores.items()])
        return combine_scores(z, self.combine, float(self.trim))

    def _decision_function(self, X: np.ndarray) -> np.ndarray:
        return self._combined({n: d.decision_function(X) for n, d in self.members_.items()})

    def _min_rows(self) -> int:
        """The most rows a member needs."""
        return max(int(getattr(d, "min_rows_", 1)) for d in self.members_.values())

    def _receptive_field(self) -> ReceptiveField | None:
        """The widest of the members' receptive fields; ``None`` when one member is not local."""
        fields = [getattr(d, "receptive_field_", None) for d in self.members_.values()]
        if any(f is None for f in fields):
            return None
        return max(int(f[0]) for f in fields), max(int(f[1]) for f in fields)  # type: ignore[index]

    def _score_with_state(self, X: np.ndarray) -> tuple[np.ndarray, Any]:
        """Scores of ``X`` and every member's own reference (members that can keep one)."""
        refs = {n: d.score_reference(X) if hasattr(d, "score_reference") else None for n, d in self.members_.items()}
        scores = {n: r.scores if r is not None else self.members_[n].decision_function(X) for n, r in refs.items()}
        return self._combined(scores), refs

    def _rescore(self, X: np.ndarray, reference: ScoredReference) -> np.ndarray | None:
        """Each member rescores against its own reference (only the rows it needs), then combine."""
        refs = reference.state
        if not isinstance(refs, Mapping):
            return None
        scores = {}
        for n, d in self.members_.items():
            r = refs.get(n)
            scores[n] = d.decision_function(X, reference=r) if r is not None else d.decision_function(X)
        return self._combined(scores)
