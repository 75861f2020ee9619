"""Data sources built from the ``data`` config group (``_target_``): each gives folds."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from anogen.data.loaders import EMBEDDED, frame_from_dataframe, load_table
from anogen.data.split import make_folds
from anogen.data.synthetic import synthetic_frame
from anogen.types import Fold, Frame

__all__ = ["CSVSource", "Occupancy", "Synthetic", "DataSource"]


class DataSource:
    """Common part: splitting options and ``folds()``."""

    name = "data"

    def __init__(self, dates: Sequence[Sequence] | None = None, train: str = "rest",
                 test_fraction: float = 0.25, scaling: str = "standard", nan: str = "error") -> None:
        self.dates = [list(p) for p in (dates or [])]
        self.train = train
        self.test_fraction = test_fraction
        self.scaling = scaling
        self.nan = nan

    def load(self) -> Frame:  # pragma: no cover - abstract
        raise NotImplementedError

    def folds(self, frame: Frame | None = None) -> list[Fold]:
        """Load (unless given) and split into folds."""
        frame = frame if frame is not None else self.load()
        return make_folds(frame, self.dates, train=self.train, test_fraction=self.test_fraction)


class CSVSource(DataSource):
    """A CSV/Parquet file or a folder of CSVs (``csv_mode``); see :func:`anogen.data.loaders.load_table`."""

    name = "csv"

    def __init__(self, path: str, key: str | None = None, columns: Sequence[str] | None = None,
                 nrows: int | None = None, csv_mode: str = "single", **kw) -> None:
        super().__init__(**kw)
        self.path = str(path)
        self.key = key
        self.columns = list(columns or [])
        self.nrows = nrows
        self.csv_mode = csv_mode

    def load(self) -> Frame:
        return load_table(self.path, key=self.key, columns=self.columns, nrows=self.nrows,
                          csv_mode=self.csv_mode, nan=self.nan)


class Occupancy(CSVSource):
    """The embedded UCI Occupancy subsample (509 rows, Feb 2015; see ``data/embedded/README.md``)."""

    name = "occupancy"

    def __init__(self, columns: Sequence[str] | None = ("Temperature", "Humidity"), **kw) -> None:
        kw.setdefault("key", "date")
        super().__init__(path=str(Path(EMBEDDED) / "occupancy.csv"), columns=columns, **kw)


class Synthetic(DataSource):
    """:func:`anogen.data.synthetic.synthetic_frame` as a source."""

    name = "synthetic"

    def __init__(self, n: int = 2000, d: int = 3, seed: int = 0, period: int = 100, trend: float = 0.0,
                 noise: float = 0.1, correlation: float = 0.8, columns: Sequence[str] | None = None, **kw) -> None:
        super().__init__(**kw)
        self.columns = list(columns or [])
        self.params = dict(n=n, d=d, seed=seed, period=period, trend=trend, noise=noise, correlation=correlation)

    def load(self) -> Frame:
        return frame_from_dataframe(synthetic_frame(**self.params), key="date", columns=self.columns, nan=self.nan,
                                    source="synthetic")
