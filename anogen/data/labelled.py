"""Labelled series for the corpus job (``+experiment=corpus``): the shipped real series
(:mod:`anogen.data.real`) or a folder of the user's labelled CSVs, each as a
:class:`~anogen.data.real.RealSeries` (values, 0/1 labels, the clean train part's length).

The folder format (one series per file; docs and README "Many series, one table"):

- ``*.csv`` or ``*.csv.gz`` files; the series' name is the file name without them;
- a 0/1 label column (``corpus.label``, default ``label``, matched without regard to case, so
  TSB-AD's ``Label`` works; ``True``/``False`` count as 1/0), never a feature;
- the value columns: every other numeric column (``corpus.columns`` picks some), an optional time
  column ``corpus.key`` (parsed as dates, as ``data.key``);
- the clean train part (``corpus.train_rows``): ``auto`` = ``tr_N`` in the file name when it has
  one (TSB-AD's naming, ``001_NAB_id_1_Facility_tr_1007_1st_2014.csv``: the first 1007 rows), else
  the rows before the first labelled row (the rule used for the shipped NAB series); or a number
  of rows for every file. Labelled rows inside a train part given by number leave it (as with
  ``data.labels``); the test part must hold at least one labelled row.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Sequence, Union

import numpy as np
import pandas as pd

from anogen.data import real
from anogen.data.loaders import NanPolicy, read_labels, read_table
from anogen.params import PositiveInt
from anogen.types import AnogenError

__all__ = ["SeriesRef", "TrainRows", "corpus_refs", "shipped_refs", "folder_refs", "shard_of", "load_series",
           "data_digest", "SUFFIXES", "TRAIN_IN_NAME"]

#: the file endings of a corpus folder
SUFFIXES = (".csv", ".csv.gz")
#: TSB-AD's file names carry the train part's length: ``..._tr_1007_1st_2014.csv``
TRAIN_IN_NAME = re.compile(r"(?:^|_)tr_(\d+)(?:_|$)")
#: ``corpus.train_rows``: ``auto`` or a number of rows
TrainRows = Union[Literal["auto"], PositiveInt]
#: the data keys of the loaders' errors -> the corpus keys
_KEYS = {"data.labels": "corpus.label", "data.key": "corpus.key", "data.nan": "corpus.nan",
         "data.columns": "corpus.columns", "data.path": "corpus.folder", "data.date_format": "corpus.key"}


@dataclass(frozen=True)
class SeriesRef:
    """One series of a corpus: a shipped series (``path`` is ``None``) or a file of the user's folder."""

    name: str
    path: str | None = None

    @property
    def shipped(self) -> bool:
        return self.path is None


def shipped_refs(series: str | Sequence[str]) -> list[SeriesRef]:
    """``all`` (every shipped real time series, :func:`anogen.data.real.names`) or a list of shipped names.

    Raises:
        AnogenError: naming ``corpus.series``: an unknown name (the shipped ones listed), a name twice, an empty list.
    """
    if isinstance(series, str):
        if series != "all":
            raise AnogenError(f"give 'all' or a list of shipped names, got {series!r}", key="corpus.series")
        return [SeriesRef(n) for n in sorted(real.names(real_only=True, mode="series"))]
    names = [str(s) for s in series]
    if not names:
        raise AnogenError("give 'all', a list of shipped names, or corpus.folder=PATH", key="corpus.series")
    shipped = real.names(mode=None)
    unknown = [n for n in names if n not in shipped]
    if unknown:
        raise AnogenError(f"unknown series {unknown}; shipped: {', '.join(shipped)}", key="corpus.series")
    if len(set(names)) != len(names):
        raise AnogenError(f"a series is named twice in {names}", key="corpus.series")
    return [SeriesRef(n) for n in names]


def _stem(path: Path) -> str:
    name = path.name
    for s in sorted(SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(s):
            return name[: -len(s)]
    return path.stem


def _label_column(columns: Sequence[str], label: str) -> str | None:
    """``label`` itself, else the one column equal to it without regard to case."""
    if label in columns:
        return label
    same = [c for c in columns if str(c).lower() == label.lower()]
    return same[0] if len(same) == 1 else None


def folder_refs(folder: str | Path, label: str = "label") -> list[SeriesRef]:
    """The labelled CSVs of a folder, sorted by name; their header rows are checked now (a missing
    label column is found before any series is evaluated).

    Raises:
        AnogenError: naming ``corpus.folder`` (not a folder, no files, two files of one name, an
            unreadable file) or ``corpus.label`` (a file without the label column).
    """
    p = Path(str(folder)).expanduser()
    if not p.is_dir():
        raise AnogenError(f"not a folder: {p}", key="corpus.folder")
    files = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith(".")
                   and f.name.lower().endswith(SUFFIXES))
    if not files:
        raise AnogenError(f"no {' or '.join('*' + s for s in SUFFIXES)} files in {p}", key="corpus.folder")
    refs, seen = [], {}
    for f in files:
        name = _stem(f)
        if name in seen:
            raise AnogenError(f"two files give the series {name!r}: {seen[name].name} and {f.name}", key="corpus.folder")
        seen[name] = f
        try:
            header = [str(c) for c in pd.read_csv(f, nrows=0).columns]
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError, EOFError) as e:
            raise AnogenError(f"cannot read {f}: {' '.join(str(e).split())}", key="corpus.folder") from None
        if _label_column(header, label) is None:
            raise AnogenError(f"no column {label!r} in {f} (columns: {header}); each file needs a 0/1 label column",
                              key="corpus.label")
        refs.append(SeriesRef(name, str(f)))
    return refs


def corpus_refs(series: str | Sequence[str] | None, folder: str | None, label: str = "label") -> list[SeriesRef]:
    """The corpus: ``folder``'s files when given (then ``series`` must be ``all`` or unset), else the shipped ``series``."""
    if folder:
        if series not in (None, "all"):
            raise AnogenError("give either corpus.series (shipped series) or corpus.folder (your CSVs), not both",
                              key="corpus.series")
        return folder_refs(folder, label)
    return shipped_refs("all" if series is None else series)


def shard_of(refs: Sequence[SeriesRef], shard: int, shards: int) -> list[SeriesRef]:
    """The series of shard ``shard`` of ``shards``: every ``shards``-th one from position ``shard``
    (round robin over the sorted corpus, so the shards get similar mixes).

    Raises:
        AnogenError: naming ``corpus.shard``: outside ``0..shards-1``.
    """
    if not 0 <= shard < shards:
        raise AnogenError(f"must be in 0..{shards - 1} (corpus.shards={shards}), got {shard}", key="corpus.shard")
    return list(refs[shard::shards])


def data_digest(ref: SeriesRef) -> str:
    """SHA-256 of the series' file (a finished result is reused only while its data are the same)."""
    path = Path(ref.path) if ref.path else real.DIR / real.provenance(ref.name)["file"]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_series(ref: SeriesRef, label: str = "label", key: str | None = None, columns: Sequence[str] | None = None,
                train_rows: TrainRows = "auto", nan: NanPolicy = "error") -> real.RealSeries:
    """Read one series of the corpus (the folder format of the module docstring).

    For a folder file, ``labels`` may hold 1 inside the train part when ``train_rows`` is a number
    or comes from the file name: those rows are anomalies and leave the train part
    (:func:`anogen.selection.labels.without_rows` in the corpus job).

    Raises:
        AnogenError: one line starting with the file's name: unreadable, no label column, labels
            that are not 0/1, no clean train part, no labelled row in the test part.
    """
    if ref.shipped:
        return real.load(ref.name)
    path = Path(ref.path)
    try:
        return _load_file(path, ref.name, label, key, columns, train_rows, nan)
    except AnogenError as e:
        raise AnogenError(f"{path.name}: {e.rekeyed(_KEYS)}") from None


def _load_file(path: Path, name: str, label: str, key: str | None, columns: Sequence[str] | None,
               train_rows: TrainRows, nan: NanPolicy) -> real.RealSeries:
    header = [str(c) for c in pd.read_csv(path, nrows=0).columns]
    lab = _label_column(header, label)
    if lab is None:
        raise AnogenError(f"no column {label!r} (columns: {header})", key="corpus.label")
    if columns and lab in columns:
        raise AnogenError(f"{lab!r} is the label column, not a value column", key="corpus.columns")
    frame, report = read_table(path, key=key, columns=list(columns or []), nan=nan)
    keep = [j for j, c in enumerate(frame.columns) if c != lab]
    if not keep:
        raise AnogenError(f"no numeric value column besides the label column {lab!r}", key="corpus.columns")
    labels = read_labels(path, lab, key=key)
    y = pd.Series(labels.values[:, 0], index=labels.index).groupby(level=0).max().reindex(frame.index).to_numpy()
    if np.isnan(y).any() or not np.isin(y, (0.0, 1.0)).all():
        raise AnogenError(f"column {lab!r} must hold 0/1 on every row", key="corpus.label")
    y = y.astype(bool)
    n = len(y)
    if train_rows == "auto":
        m = TRAIN_IN_NAME.search(name)
        if m:
            t, rule = int(m.group(1)), "tr_N in the file name"
        else:
            first = np.flatnonzero(y)
            if not len(first):
                raise AnogenError(f"no row is labelled 1 in column {lab!r}: nothing to find")
            t, rule = int(first[0]), "the rows before the first labelled row"
    else:
        t, rule = int(train_rows), "corpus.train_rows"
    if t < 2:
        raise AnogenError(f"the train part ({rule}) has {t} row(s), too few to fit a detector on; "
                          "set corpus.train_rows=N (the first N rows are the clean train part)")
    if t > n - 2:
        raise AnogenError(f"the train part ({rule}) has {t} of the {n} rows: no test part is left")
    if not y[t:].any():
        raise AnogenError(f"no row after the train part ({rule}: the first {t} rows) is labelled 1: nothing to find")
    cols = tuple(frame.columns[j] for j in keep)
    meta = {"file": str(path), "train_rule": rule, "key": frame.key, "skipped": dict(report.skipped),
            "labelled_train_rows": int(y[:t].sum())}
    return real.RealSeries(name, cols, frame.values[:, keep], y, t, meta)
