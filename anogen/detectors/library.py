"""Detectors of other libraries by name: ``pyod:NAME`` and ``aeon:NAME``, and series-native detectors.

Two kinds of library detector plug in:

- **Point detectors** (PyOD's ``COPOD``, ``KNN``, ``IForest``, ...: one score per row or window)
  run in :class:`~anogen.detectors.estimator.Estimator` (windows of ``window`` rows; by name:
  ``window=1``, plain rows, as PyOD is called on a table).
- **Series detectors** (aeon's ``anomaly_detection.series`` classes, PyOD 3's ``ts_*`` models such
  as ``SpectralResidual`` and ``KShape``: they take a whole ``(n, d)`` series and window it
  themselves) run in :class:`SeriesDetector`: fitted on the train part, then asked for one score
  per row of the scored series (PyOD: ``decision_function``; aeon: ``predict(X, axis=0)``). Their
  ``window`` (``window_size`` in both libraries) is anogen's ``window``: rows, ``auto`` or
  ``Kperiod``, and ``NAME@WINDOW`` variants work.

:func:`library_detector` builds either from ``"pyod:COPOD"`` / ``"aeon:KMeansAD"``: the class is found
by reading the library's source files (no import of every model), the library's own constructor
checks the parameters (an unknown name lists the valid ones), a missing library is one line with
the ``pip install`` hint and an unknown name one line with the closest names. On the command line
the names go in ``detector_variants`` (Hydra's ``detectors=[...]`` selects config files)::

    python -m anogen detectors=[zscore,knn] +detector_variants=[pyod:COPOD,aeon:KMeansAD,pyod:KNN@10]
"""

from __future__ import annotations

import copy
import difflib
import importlib.util
import inspect
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import clone

from anogen.config import build, install_hint
from anogen.detectors.base import NAME_RESOLVERS, BaseDetector
from anogen.detectors.estimator import Estimator, instantiate_estimator
from anogen.detectors.windows import Window, resolve_window
from anogen.params import Ratio
from anogen.types import AnogenError

__all__ = ["SeriesDetector", "library_detector", "library_names", "LIBRARIES"]

#: library prefix -> (package folder to search, relative to the package, files to skip)
LIBRARIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "pyod": ("models", ("base", "base_dl", "sklearn_base", "combination", "gaal_base", "thresholds", "embedding",
                        "_pyg_utils", "_ts_utils")),
    "aeon": ("anomaly_detection/series", ("base", "_pyodadapter")),
}
#: a class whose bases name a detector (PyOD's BaseDetector / BaseDeepLearningDetector, aeon's
#: BaseSeriesAnomalyDetector / PyODAdapter): not the networks, datasets and helpers the same files define
_CLASS = re.compile(r"^class\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*(?:Detector|PyODAdapter)[^)]*)\)", re.M)
#: the window parameter of the series detectors of both libraries
_WINDOW_PARAMS = ("window_size",)


class SeriesDetector(BaseDetector):
    """A library's series anomaly detector (aeon ``anomaly_detection.series``, PyOD ``ts_*``) as an
    anogen detector.

    Args:
        estimator: an unfitted detector instance (a clone is fitted), or a mapping with ``_target_``
            and its constructor arguments (built with :func:`anogen.config.build`).
        window: ``None`` keeps the library's own window; else rows, ``"auto"``, ``"period"`` or
            ``"Kperiod"`` (resolved on the train part at fit time, ``window_``) set as its
            ``window_param``.
        window_param: the estimator's window parameter (``"window_size"``); ``None``: it has none.
        name: result key.
        contamination: expected fraction of anomalies, sets ``threshold_`` (PyOD semantics).

    Attributes:
        estimator_: the fitted clone.
        window_: the window in rows (``None`` when ``window`` is ``None``).

    The train part is passed as one series (its segments concatenated; a library window may span
    the seam). The scores depend on the whole scored series as the library computes them (an FFT,
    a clustering of the scored windows, ...): the detector is not local (receptive field ``None``).
    """

    def __init__(self, *, estimator: Any, window: Window | None = None, window_param: str | None = None,
                 name: str = "series", contamination: Ratio = 0.1) -> None:
        self.estimator = estimator
        self.window = window
        self.window_param = window_param
        self.name = name
        self.contamination = contamination

    def _inner(self, key: str) -> Any:
        est = instantiate_estimator(self.estimator, f"{key}.estimator")
        if not (hasattr(est, "fit") and (hasattr(est, "decision_function") or hasattr(est, "predict"))):
            raise AnogenError(f"{type(est).__name__} has no fit() and decision_function()/predict(); not a series "
                              "anomaly detector", key=f"{key}.estimator")
        return est

    def _check_rules(self, key: str) -> None:
        est = self._inner(key)
        if self.window is not None:
            if not self.window_param:
                raise AnogenError(f"{type(est).__name__} has no window parameter here (a window variant needs one); "
                                  "set window_param (e.g. window_size), or window: null", key=f"{key}.window")
            if self.window_param not in _params_of(est):
                raise AnogenError(f"{type(est).__name__} has no parameter {self.window_param!r}; valid: "
                                  f"{sorted(_params_of(est))}", key=f"{key}.window_param")

    def _fit(self, X: np.ndarray, segments: np.ndarray) -> None:
        est = _clone(self._inner(f"detectors.{self.name}"))
        self.window_ = None
        if self.window is not None:
            self.window_ = resolve_window(self.window, X, owner=self.name)
            est.set_params(**{str(self.window_param): int(self.window_)})
        train = np.concatenate([X[a:b] for a, b in segments]) if segments.shape[0] > 1 else X
        tags = getattr(est, "get_tag", None)
        fit_is_empty = bool(tags("fit_is_empty", raise_error=False, tag_value_default=False)) if callable(tags) else False
        try:
            if _is_aeon(est) and not fit_is_empty:
                est.fit(train, axis=0)
            elif not _is_aeon(est):
                est.fit(train)
        except (ValueError, NotImplementedError, TypeError) as exc:
            raise AnogenError(f"{self.name}: fitting {type(est).__name__} on {train.shape} failed: "
                              f"{' '.join(str(exc).split())}") from None
        self.estimator_ = est

    def _min_rows(self) -> int:
        return int(self.window_) if self.window_ else 1

    def _decision_function(self, X: np.ndarray) -> np.ndarray:
        est = self.estimator_
        try:
            if _is_aeon(est):
                scores = est.predict(X, axis=0)
            else:
                scores = est.decision_function(X)
        except (ValueError, NotImplementedError, TypeError) as exc:
            raise AnogenError(f"{self.name}: {type(est).__name__} cannot score {X.shape}: "
                              f"{' '.join(str(exc).split())}") from None
        scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        if scores.shape[0] == X.shape[0] and not np.all(np.isfinite(scores)):
            # the libraries mark rows that no window scored with NaN (PyOD ts_* at the edges): lowest score
            finite = scores[np.isfinite(scores)]
            scores = np.where(np.isfinite(scores), scores, finite.min() if finite.size else 0.0)
        return scores


def _is_aeon(est: Any) -> bool:
    return type(est).__module__.split(".")[0] == "aeon"


def _params_of(est: Any) -> set[str]:
    try:
        return set(est.get_params(deep=False))
    except Exception:  # noqa: BLE001 - not a scikit-learn style estimator: its signature
        return set(inspect.signature(type(est)).parameters) - {"self"}


def _clone(est: Any) -> Any:
    try:
        return clone(est)
    except (TypeError, RuntimeError, AttributeError):
        return copy.deepcopy(est)


@lru_cache(maxsize=None)
def library_names(library: str) -> dict[str, str]:
    """``{class name: module}`` of the detectors a library ships, read from its source files.

    Raises:
        AnogenError: the library is not installed (one line with the ``pip install`` hint).
    """
    spec = importlib.util.find_spec(library)
    if spec is None or not spec.submodule_search_locations:
        raise AnogenError(f"{library} is not installed{install_hint(library)}", key="detectors")
    folder, skip = LIBRARIES[library]
    root = Path(list(spec.submodule_search_locations)[0])
    out: dict[str, str] = {}
    for path in sorted((root / folder).rglob("*.py")):
        if path.stem in skip or path.stem.startswith("pyg_") or "tests" in path.parts or path.stem == "__init__":
            continue  # (PyOD's pyg_* detectors score graph nodes, not rows)
        module = ".".join((library, *path.relative_to(root).with_suffix("").parts))
        for cls, _ in _CLASS.findall(path.read_text(encoding="utf-8", errors="replace")):
            if not cls.startswith(("_", "Base")):
                out.setdefault(cls, module)
    return out


def library_detector(spec: str, *, name: str | None = None, **params: Any) -> BaseDetector:
    """The detector ``"pyod:NAME"`` or ``"aeon:NAME"``, unfitted, its parameters checked.

    Args:
        spec: ``LIBRARY:CLASS`` (``pyod:COPOD``, ``pyod:SpectralResidual``, ``aeon:KMeansAD``).
        name: result key (default ``spec``).
        **params: the adapter's parameters (``window``, ``stride``, ``aggregate``, ``contamination``)
            and the library class's own (``n_neighbors=3``), checked by its constructor.

    Raises:
        AnogenError: an unknown library, a library that is not installed, an unknown class (with the
            closest names) or parameter (with the valid ones), one line each.
    """
    library, _, cls = str(spec).partition(":")
    if library not in LIBRARIES or not cls:
        raise AnogenError(f"{spec!r}: a library detector is LIBRARY:NAME with LIBRARY one of "
                          f"{', '.join(LIBRARIES)} (e.g. pyod:COPOD, aeon:KMeansAD)", key="detectors")
    if importlib.util.find_spec(library) is None:
        raise AnogenError(f"{spec!r} needs {library}, which is not installed{install_hint(library)}", key="detectors")
    names = library_names(library)
    if cls not in names:
        close = difflib.get_close_matches(cls, names, n=3, cutoff=0.5) or \
            [n for n in names if n.lower() == cls.lower()]
        hint = f"; did you mean {', '.join(f'{library}:{c}' for c in close)}?" if close else ""
        raise AnogenError(f"{spec!r}: {library} has no detector {cls!r}{hint} (valid: {', '.join(sorted(names))})",
                          key="detectors")
    target = f"{names[cls]}.{cls}"
    key = f"detectors.{name or spec}"
    series = library == "aeon" or names[cls].rsplit(".", 1)[-1].startswith("ts_")
    adapter = SeriesDetector if series else Estimator
    own = set(inspect.signature(adapter).parameters) - {"estimator"}
    outer = {k: v for k, v in params.items() if k in own}
    inner = {k: v for k, v in params.items() if k not in own}
    est = build({"_target_": target, **inner}, f"{key}.estimator")  # unknown parameters: the valid ones
    if series:
        window_param = next((p for p in _WINDOW_PARAMS if p in _params_of(est)), None)
        det: BaseDetector = SeriesDetector(estimator=est, window_param=window_param, name=name or spec, **outer)
    else:
        outer.setdefault("window", 1)
        det = Estimator(estimator=est, name=name or spec, **outer)
    det.check_params()
    return det


for _library in LIBRARIES:  # build_detector("pyod:COPOD"), detector_variants=[aeon:KMeansAD], the API's names
    NAME_RESOLVERS[_library] = library_detector
