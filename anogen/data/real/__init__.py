"""Labelled series shipped with anogen, extracted from PyPI wheels and two public repositories
(``scripts/extract_real_series.py``): 38 real recordings from 7 sources (33 of them from the
Numenta Anomaly Benchmark, ``nab_*``, gzip-compressed), a synthetic control and four real tables.

They make the project's claims checkable: the selection job's evidence (``docs/selection.md``)
and its prior voter are measured on them. ``odds_shuttle_sample`` is a table (rows without time
order) for ``select.mode=tabular``; the others are time series. ``provenance.json`` beside the CSVs records, per series,
the package, version and wheel SHA-256 it came from and the path inside the wheel (or, for the three
UCR and the NAB series found in no wheel, the repository, commit and each file's SHA-256), the licences and
what the labels mean. Only series with ``real: true`` count as real evidence; the GutenTAG series
is synthetic (another project's generator) and is kept as an out-of-generator control.

>>> from anogen.data import real
>>> s = real.load("mitdb_excerpt")
>>> s.train.shape, int(s.test_labels.sum())
((3750, 1), 352)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from anogen.types import AnogenError

__all__ = ["RealSeries", "names", "provenance", "load", "DIR"]

DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def _provenance() -> dict[str, dict[str, Any]]:
    return json.loads((DIR / "provenance.json").read_text())


def names(real_only: bool = False, mode: str | None = "series") -> list[str]:
    """The shipped labelled sets (``real_only``: only real data, not the synthetic control;
    ``mode``: ``series`` (time series), ``tabular`` (exchangeable rows) or ``None`` (all))."""
    return [k for k, v in _provenance().items()
            if (v.get("real") or not real_only) and (mode is None or v.get("mode", "series") == mode)]


def provenance(name: str) -> dict[str, Any]:
    """Where a series came from (package, version, wheel hash, path, licences, label meaning)."""
    if name not in _provenance():
        raise AnogenError(f"unknown labelled series {name!r}; shipped: {names()}")
    return dict(_provenance()[name])


@dataclass(frozen=True)
class RealSeries:
    """One labelled series: an anomaly-free train part followed by a labelled test part.

    Attributes:
        name: the series' name (its CSV's stem).
        columns: feature names, length ``d``.
        values: ``(n, d)`` float64, the whole series.
        labels: ``(n,)`` bool, True on labelled anomalous rows (none in the train part).
        train_rows: the first ``train_rows`` rows are the train part.
        meta: its provenance record.
    """

    name: str
    columns: tuple[str, ...]
    values: np.ndarray
    labels: np.ndarray
    train_rows: int
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def train(self) -> np.ndarray:
        """``(train_rows, d)`` anomaly-free rows."""
        return self.values[: self.train_rows]

    @property
    def test(self) -> np.ndarray:
        """``(n - train_rows, d)`` rows holding the labelled anomalies."""
        return self.values[self.train_rows:]

    @property
    def test_labels(self) -> np.ndarray:
        """``(n - train_rows,)`` bool labels of the test rows."""
        return self.labels[self.train_rows:]


def load(name: str) -> RealSeries:
    """Read one shipped series (checks that its labels lie in the test part)."""
    import pandas as pd

    meta = provenance(name)
    df = pd.read_csv(DIR / meta["file"])
    cols = tuple(c for c in df.columns if c != "label")
    labels = df["label"].to_numpy().astype(bool)
    n_train = int(meta["train_rows"])
    if labels[:n_train].any() or not labels[n_train:].any():
        raise AnogenError(f"{meta['file']}: labels must lie in the test part (rows >= {n_train})")
    return RealSeries(name, cols, df[list(cols)].to_numpy(np.float64), labels, n_train, meta)
