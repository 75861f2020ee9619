"""Real labels in the user's data (``data.labels``): rows labelled 1 in a train part are anomalies,
not normal data, so they leave it (the train segments split where they leave)."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Sequence

import numpy as np

from anogen.types import Fold

log = logging.getLogger("anogen")

__all__ = ["without_rows", "labelled_folds"]


def without_rows(fold: Fold, drop: np.ndarray) -> Fold:
    """The fold with the train rows marked in ``drop`` left out; a train segment is split where
    rows leave it (the windows of the detectors never span the gap)."""
    drop = np.asarray(drop, dtype=bool)
    n = fold.train.shape[0]
    seg_id = np.full(n, -1, dtype=np.int64)
    for k, (a, b) in enumerate(np.asarray(fold.train_segments, dtype=np.int64).reshape(-1, 2)):
        seg_id[a:b] = k
    pos = np.flatnonzero(~drop)
    breaks = np.flatnonzero((np.diff(pos) != 1) | (np.diff(seg_id[pos]) != 0)) + 1
    bounds = np.r_[0, breaks, len(pos)]
    segments = np.stack([bounds[:-1], bounds[1:]], axis=1).astype(np.int64) if len(pos) else np.zeros((0, 2), np.int64)
    return replace(fold, train=fold.train[pos], train_index=fold.train_index[pos], train_segments=segments)


def labelled_folds(folds: Sequence[Fold], source: Any) -> tuple[list[Fold], int]:
    """``data.labels``: rows labelled 1 in a fold's train part are anomalies, not normal data:
    they leave the train part (logged). Returns the folds and how many rows left."""
    out, left = [], 0
    for f in folds:
        bad = source.labels_for(f, "train")
        if bad.any():
            log.info("data.labels: %d row(s) labelled 1 left out of fold %d's train part", int(bad.sum()), f.number)
            f, left = without_rows(f, bad), left + int(bad.sum())
        out.append(f)
    return out, left
