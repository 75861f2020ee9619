"""Small frozen dataclasses shared by every stage of anogen.

Row positions are always 0-based positions inside a fold (not labels of a DataFrame index);
ranges are half-open ``[start, end)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

__all__ = ["AnogenError", "Event", "Edit", "Fold", "Frame", "Injected", "RunResult"]


class AnogenError(ValueError):
    """A user mistake (bad config, bad data, impossible request).

    The CLI prints its message on one line and exits non-zero, without a traceback.
    """


@dataclass(frozen=True)
class Event:
    """One labelled anomaly inside a fold.

    Attributes:
        start: first row position of the anomaly in the (injected) fold.
        end: one past the last row position (half-open range).
        kind: anomaly kind, e.g. ``"noise"``, ``"spike"``, ``"vae_tail"``, ``"latent"``.
        columns: names of the columns that were changed.
        source: name of the sampler that made it.
        params: kind-specific parameters (magnitude, direction, latent code, ...), JSON-able.
    """

    start: int
    end: int
    kind: str
    columns: tuple[str, ...]
    source: str
    params: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def length(self) -> int:
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": int(self.start),
            "end": int(self.end),
            "kind": self.kind,
            "columns": list(self.columns),
            "source": self.source,
            "params": self.params,
        }


@dataclass(frozen=True)
class Edit:
    """A proposed anomaly, before placement writes it into the fold.

    Attributes:
        start: row position in the *clean* fold. ``replace``: first row overwritten;
            ``insert``: the new rows go before this row (``start == n`` appends).
        values: ``(length, d)`` full rows in original units (untouched columns keep the
            clean values for ``replace``).
        mode: ``"replace"`` or ``"insert"``.
        kind: anomaly kind recorded in the event.
        columns: the columns this edit is meant to change.
        source: sampler name.
        params: JSON-able extra information for the event.
    """

    start: int
    values: np.ndarray
    mode: Literal["replace", "insert"]
    kind: str
    columns: tuple[str, ...]
    source: str
    params: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def length(self) -> int:
        return int(self.values.shape[0])


@dataclass(frozen=True)
class Fold:
    """One train/test split of a data set, in original units.

    Attributes:
        number: fold number (0-based, the order of ``dates``).
        columns: feature names, length ``d``.
        train: ``(n_train, d)`` float64 clean training rows.
        test: ``(n_test, d)`` float64 clean test rows.
        train_index: ``(n_train,)`` time stamps (datetime64) or row numbers of the train rows.
        test_index: ``(n_test,)`` time stamps or row numbers of the test rows.
        train_segments: ``(k, 2)`` half-open ranges of contiguous train rows (``train: rest``
            gives up to two: before and after the test period). Windows never cross them.
        key: name of the time column, or ``None``.
    """

    number: int
    columns: tuple[str, ...]
    train: np.ndarray
    test: np.ndarray
    train_index: np.ndarray
    test_index: np.ndarray
    train_segments: np.ndarray
    key: str | None = None

    @property
    def n_features(self) -> int:
        return len(self.columns)


@dataclass(frozen=True)
class Injected:
    """A test fold with anomalies written into it.

    Attributes:
        values: ``(n, d)`` float64 data in original units, anomalies included.
        labels: ``(n,)`` bool, True where a row is anomalous.
        events: the anomalies, sorted by ``start``; their ranges cover exactly the labelled rows.
        columns: feature names, length ``d``.
        index: ``(n,)`` time stamps or row numbers (inserted rows get interpolated stamps).
        clean: ``(n, d)`` the clean values aligned with ``values`` (for inserted rows, the
            rows are NaN: there is no clean counterpart).
        kinds: ``(n,)`` object array, the anomaly kind per row ("" for normal rows).
        report: the generator report of each learned sampler that made anomalies here
            (``{sampler: anogen.samplers.report.GeneratorReport}``: ``verdict``, ``reasons``,
            ``summary()``, ``metrics()``, ``to_dict()``), else ``None``.
    """

    values: np.ndarray
    labels: np.ndarray
    events: tuple[Event, ...]
    columns: tuple[str, ...]
    index: np.ndarray
    clean: np.ndarray
    kinds: np.ndarray
    report: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def anoindex(self) -> list[int]:
        """Row positions of every anomalous row (the seed's ``anoindex``)."""
        return np.flatnonzero(self.labels).astype(int).tolist()

    def to_frame(self, key: str | None = None):
        """The fold as a DataFrame: key column (if any), features, ``is_anomaly``, ``anomaly_kind``."""
        import pandas as pd

        df = pd.DataFrame(self.values, columns=list(self.columns))
        if key is not None:
            df.insert(0, key, self.index)
        df["is_anomaly"] = self.labels.astype(int)
        df["anomaly_kind"] = self.kinds
        return df


@dataclass
class RunResult:
    """What a job (:func:`anogen.jobs.run.run`) returns.

    Attributes:
        metrics: flat ``{"detector/metric": value}``, the mean over folds (benchmark: over folds,
            seeds and samplers).
        injected: one :class:`Injected` per fold (empty for the benchmark).
        objective: the value an optimiser should minimise: the held-out negative ELBO of the
            generative model (see :func:`anogen.train.cache.heldout_objective`), else ``nan``.
        run_dir: the output directory (``None`` for library use).
        folds: per fold, an :class:`anogen.jobs.run.FoldResult` (fold, injected, detector runs,
            histories, objective); empty for the benchmark.
        errors: ``{"fold{i}/detector": message}`` of the detectors that failed.
        histories: training curves ``{"fold{i}/name": {"train_loss": [...], "val_loss": [...]}}``.
        results: the content of ``metrics.json``.
        leaderboard: the benchmark's leaderboard (a DataFrame), else ``None``.
        rows: the benchmark's rows (fold x seed x sampler x detector), else ``None``.
    """

    metrics: dict[str, float]
    injected: list[Injected]
    objective: float = float("nan")
    run_dir: str | None = None
    folds: list[Any] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    histories: dict[str, dict] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)
    leaderboard: Any = None
    rows: Any = None


@dataclass(frozen=True)
class Frame:
    """A loaded, validated table.

    Attributes:
        values: ``(n, d)`` float64 feature values in original units.
        index: ``(n,)`` datetime64[ns] time stamps (when a key column was given) or int64 row numbers.
        columns: feature names, length ``d``.
        key: name of the time column, or ``None``.
    """

    values: np.ndarray
    index: np.ndarray
    columns: tuple[str, ...]
    key: str | None = None

    @property
    def n_rows(self) -> int:
        return int(self.values.shape[0])
