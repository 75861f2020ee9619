"""Data sources built from the ``data`` config group (``_target_``): each gives folds.

Every parameter is typed (:mod:`anogen.params`), so :func:`anogen.config.build` rejects a bad
``data.*`` value in one line before anything is read.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from anogen.data import real
from anogen.data.loaders import EMBEDDED, CsvMode, NanPolicy, TableReport, frame_and_report, read_labels, read_table
from anogen.data.scaling import ScalingKind
from anogen.data.split import Dates, TrainMode, make_folds
from anogen.data.synthetic import MinRows, Period, synthetic_frame
from anogen.params import FiniteFloat, NonNegativeFloat, NonNegativeInt, OpenFraction, PositiveInt, Probability
from anogen.types import AnogenError, Fold, Frame

__all__ = ["CSVSource", "Occupancy", "Synthetic", "RealSource", "DataSource"]

log = logging.getLogger("anogen")


class DataSource:
    """Common part: splitting options and ``folds()``.

    Args:
        dates: ``[[start, end], ...]`` test ranges (see :func:`anogen.data.split.make_folds`).
        train: ``rest`` or ``before``.
        test_fraction: test share when ``dates`` is empty, in (0, 1).
        scaling: ``standard``, ``minmax`` or ``none`` (the scaler fitted on each train part).
        nan: ``error``, ``interpolate`` or ``drop``.

    Attributes:
        report: what the last ``load()`` did with the table's columns (used, skipped and why;
            :class:`~anogen.data.loaders.TableReport`), also in the run log; ``None`` before.
    """

    name = "data"
    report: TableReport | None = None

    def __init__(self, dates: Dates | None = None, train: TrainMode = "rest", test_fraction: OpenFraction = 0.25,
                 scaling: ScalingKind = "standard", nan: NanPolicy = "error") -> None:
        self.dates = [list(p) for p in (dates or [])]
        self.train = train
        self.test_fraction = test_fraction
        self.scaling = scaling
        self.nan = nan

    def load(self) -> Frame:  # pragma: no cover - abstract
        raise NotImplementedError

    def _reported(self, loaded: tuple[Frame, TableReport]) -> Frame:
        """Keep the loader's report (``self.report``), write it to the run log, and return the frame."""
        frame, self.report = loaded
        for line in self.report.lines():
            log.info("%s", line)
        return frame

    def folds(self, frame: Frame | None = None) -> list[Fold]:
        """Load (unless given) and split into folds."""
        frame = frame if frame is not None else self.load()
        return make_folds(frame, self.dates, train=self.train, test_fraction=self.test_fraction)


class CSVSource(DataSource):
    """A CSV/Parquet file or a folder of CSVs (``csv_mode``); see :func:`anogen.data.loaders.load_table`.

    ``labels``: a 0/1 column of real anomaly labels (bring your own labels). It is never a feature;
    :meth:`labels_for` gives its values at a fold's test rows (the selection job compares its
    synthetic ranking with the ranking on these labels). ``date_format``: the ``strftime`` format of
    the ``key`` column (``"%d/%m/%Y %H:%M"``), ``None`` = inferred.
    """

    name = "csv"

    def __init__(self, path: str, key: str | None = None, columns: list[str] | None = None,
                 nrows: PositiveInt | None = None, csv_mode: CsvMode = "single", dates: Dates | None = None,
                 train: TrainMode = "rest", test_fraction: OpenFraction = 0.25, scaling: ScalingKind = "standard",
                 nan: NanPolicy = "error", labels: str | None = None, date_format: str | None = None) -> None:
        super().__init__(dates=dates, train=train, test_fraction=test_fraction, scaling=scaling, nan=nan)
        self.path = str(path)
        self.date_format = date_format
        self.labels = labels
        if labels is not None and labels in (columns or []):
            raise AnogenError(f"{labels!r} is also in data.columns; a label column is not a feature", key="data.labels",
                              refs=("data.columns",))
        self.key = key
        self.columns = list(columns or [])
        self.nrows = nrows
        self.csv_mode = csv_mode

    def load(self) -> Frame:
        frame, report = read_table(self.path, key=self.key, columns=self.columns, nrows=self.nrows,
                                   csv_mode=self.csv_mode, nan=self.nan, date_format=self.date_format)
        if self.labels is not None and self.labels not in frame.columns and self.labels not in report.skipped:
            raise AnogenError(f"unknown column {self.labels!r}; available: {[*report.used, *report.skipped]}",
                              key="data.labels")
        if self.labels is not None and self.labels in report.skipped:  # not numeric (True/False): not a feature
            report.skipped[self.labels] = "the label column (data.labels)"
        if self.labels is None or self.labels not in frame.columns:
            return self._reported((frame, report))
        keep = [j for j, c in enumerate(frame.columns) if c != self.labels]
        if not keep:
            raise AnogenError(f"{self.labels!r} is the only numeric column; no features are left", key="data.labels")
        report.used = [c for c in report.used if c != self.labels]
        report.skipped[self.labels] = "the label column (data.labels)"
        return self._reported((replace(frame, values=frame.values[:, keep], columns=tuple(frame.columns[j] for j in keep)),
                               report))

    def labels_for(self, fold: Fold, part: str = "test") -> np.ndarray:
        """``(n,)`` bool: the ``labels`` column at the fold's ``part`` rows (``test`` or ``train``).

        Raises:
            AnogenError: no ``data.labels`` set, a missing or NaN label, or values other than 0/1.
        """
        if self.labels is None:
            raise AnogenError("not set (data.labels=COLUMN names the 0/1 label column)", key="data.labels",
                              refs=("data.labels",))
        vals = getattr(self, "_label_values", None)
        if vals is None:  # read the column once (the selection asks per fold, for train and test rows)
            lab = read_labels(self.path, self.labels, key=self.key, nrows=self.nrows, csv_mode=self.csv_mode,
                              date_format=self.date_format)
            vals = self._label_values = pd.Series(lab.values[:, 0], index=lab.index).groupby(level=0).max()
        y = vals.reindex(fold.test_index if part == "test" else fold.train_index).to_numpy()
        if np.isnan(y).any() or not np.isin(y, (0.0, 1.0)).all():
            raise AnogenError(f"column {self.labels!r} must hold 0/1 on every {part} row", key="data.labels")
        return y.astype(bool)


class Occupancy(CSVSource):
    """The embedded UCI Occupancy subsample (509 rows, Feb 2015; see ``data/embedded/README.md``)."""

    name = "occupancy"

    def __init__(self, columns: list[str] | None = ("Temperature", "Humidity"), dates: Dates | None = None,
                 train: TrainMode = "rest", test_fraction: OpenFraction = 0.25, scaling: ScalingKind = "standard",
                 nan: NanPolicy = "error") -> None:
        super().__init__(path=str(Path(EMBEDDED) / "occupancy.csv"), key="date", columns=columns, dates=dates,
                         train=train, test_fraction=test_fraction, scaling=scaling, nan=nan)


class Synthetic(DataSource):
    """:func:`anogen.data.synthetic.synthetic_frame` as a source (its parameters, then the split options)."""

    name = "synthetic"

    def __init__(self, n: MinRows = 2000, d: PositiveInt = 3, seed: NonNegativeInt = 0, period: Period = 100,
                 trend: FiniteFloat = 0.0, noise: NonNegativeFloat = 0.1, correlation: Probability = 0.8,
                 columns: list[str] | None = None, dates: Dates | None = None, train: TrainMode = "rest",
                 test_fraction: OpenFraction = 0.25, scaling: ScalingKind = "standard",
                 nan: NanPolicy = "error") -> None:
        super().__init__(dates=dates, train=train, test_fraction=test_fraction, scaling=scaling, nan=nan)
        self.columns = list(columns or [])
        self.params = dict(n=n, d=d, seed=seed, period=period, trend=trend, noise=noise, correlation=correlation)

    def load(self) -> Frame:
        return self._reported(frame_and_report(synthetic_frame(**self.params), key="date", columns=self.columns,
                                               nan=self.nan, source="synthetic"))


class RealSource(DataSource):
    """A labelled series shipped with anogen (:mod:`anogen.data.real`: the UCR, MIT-BIH and NAB
    recordings of docs/selection.md's evidence, the GutenTAG control, the ODDS-style tables).

    By default its one fold is the series' own split: the train part is its clean prefix (``train:
    before``) and the test part the labelled rest. Its labels act as ``data.labels`` does for a
    CSV: ``+experiment=select data=real data.series=NAME`` ranks the detectors on the real
    anomalies too and reports the agreement, so any claim can be checked on real labelled data.

    Args:
        series: the shipped series' name (``anogen.data.real.names(mode=None)``).
        dates: test ranges in row numbers; ``None`` = the series' own split.
        train, test_fraction, scaling, nan: as for every source.
    """

    name = "real"

    def __init__(self, series: str = "ucr_internal_bleeding16", dates: Dates | None = None, train: TrainMode = "before",
                 test_fraction: OpenFraction = 0.25, scaling: ScalingKind = "standard",
                 nan: NanPolicy = "error") -> None:
        shipped = real.names(mode=None)
        if series not in shipped:
            raise AnogenError(f"unknown labelled series {series!r}; shipped: {', '.join(shipped)}", key="data.series")
        self.series = series
        self._data = real.load(series)
        own = [[self._data.train_rows - 1, len(self._data.values) - 1]]
        super().__init__(dates=own if dates is None else dates, train=train, test_fraction=test_fraction,
                         scaling=scaling, nan=nan)
        self.labels = "label"   # the selection job compares with the real ranking, as with data.labels

    def load(self) -> Frame:
        df = pd.DataFrame(self._data.values, columns=list(self._data.columns))
        return self._reported(frame_and_report(df, columns=list(self._data.columns), nan=self.nan, source=self.series))

    def labels_for(self, fold: Fold, part: str = "test") -> np.ndarray:
        """``(n,)`` bool: the series' labels at the fold's ``part`` rows (``test`` or ``train``)."""
        return self._data.labels[fold.test_index if part == "test" else fold.train_index].astype(bool)
