"""GutenTAG's base oscillations as an anogen data source (``data=synthetic``).

* :class:`Oscillations`: channels of base oscillations (:mod:`anogen.data.synthetic`), split into
  folds like any data source; ``supervised`` / ``semi_supervised`` ask for GutenTAG's train files
  (:data:`TRAIN_FILES`, written by :func:`anogen.gutentag.train_frames`).

The importer of GutenTAG's YAML, the train files and the CLI run anogen's samplers, so they live one
floor up, in :mod:`anogen.gutentag` (``python -m anogen.gutentag config.yaml --out DIR``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from anogen.data.loaders import NanPolicy, frame_from_dataframe
from anogen.data.scaling import ScalingKind
from anogen.data.sources import DataSource
from anogen.data.split import Dates, TrainMode
from anogen.data.synthetic import MinRows, check_oscillation, oscillation_frame
from anogen.params import NonNegativeInt, OpenFraction, PositiveInt
from anogen.types import Frame

__all__ = ["Oscillations", "TRAIN_FILES"]

#: GutenTAG's train files: semi-supervised (clean) and supervised (with anomalies)
TRAIN_FILES = {"semi_supervised": "train_no_anomaly.csv", "supervised": "train_anomaly.csv"}

_SINE = {"kind": "sine", "variance": 0.05}


class Oscillations(DataSource):
    """Channels of base oscillations (``data=synthetic``), split into folds.

    Args:
        n: rows (>= 4).
        d: channels of ``oscillation`` (GutenTAG's ``channels``).
        seed: generator seed (same seed = same series).
        oscillation: ``{kind, variance, offset, trend, ...params}`` for each of the ``d``
            channels (GutenTAG's ``base-oscillation``); kinds and parameters in
            :mod:`anogen.data.synthetic` (frequencies are periods per 100 rows, as in GutenTAG).
        oscillations: one such mapping per channel (GutenTAG's ``base-oscillations``); when
            given, it replaces ``oscillation`` and ``d``.
        columns: subset of ``x0..x{d-1}``; empty = all.
        supervised: also write GutenTAG's ``train_anomaly.csv`` (the train part with anomalies).
        semi_supervised: also write GutenTAG's ``train_no_anomaly.csv`` (the clean train part).
        dates, train, test_fraction, scaling, nan: as for every data source.
    """

    name = "synthetic"

    def __init__(self, n: MinRows = 2000, d: PositiveInt = 3, seed: NonNegativeInt = 0,
                 oscillation: Mapping[str, Any] | None = None, oscillations: list[Mapping[str, Any]] | None = None,
                 columns: list[str] | None = None, supervised: bool = False,
                 semi_supervised: bool = False, dates: Dates | None = None, train: TrainMode = "rest",
                 test_fraction: OpenFraction = 0.25, scaling: ScalingKind = "standard",
                 nan: NanPolicy = "error") -> None:
        super().__init__(dates=dates, train=train, test_fraction=test_fraction, scaling=scaling, nan=nan)
        self.oscillation = check_oscillation(dict(_SINE) if oscillation is None else oscillation, "data.oscillation")
        self.oscillations = [check_oscillation(s, f"data.oscillations.{j}") for j, s in enumerate(oscillations or [])]
        self.n, self.d, self.seed = n, d, seed
        self.columns = list(columns or [])
        self.supervised, self.semi_supervised = bool(supervised), bool(semi_supervised)

    def load(self) -> Frame:
        df = oscillation_frame(self.n, self.d, self.seed, self.oscillations or self.oscillation)
        return frame_from_dataframe(df, key="date", columns=self.columns, nan=self.nan, source="synthetic")

    @property
    def train_files(self) -> list[str]:
        """The train files asked for (``TRAIN_FILES`` names)."""
        return [f for k, f in TRAIN_FILES.items() if getattr(self, k)]
