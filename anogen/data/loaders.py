"""Loading and validating tables (CSV, Parquet, a folder of CSVs joined on the key)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Sequence

import numpy as np
import pandas as pd

from anogen.params import PositiveInt, check_value
from anogen.types import AnogenError, Frame

__all__ = ["load_table", "frame_from_dataframe", "check_magnitude", "MAX_ABS", "EMBEDDED", "NanPolicy", "CsvMode"]

EMBEDDED = Path(__file__).parent / "embedded"
#: ``data.nan``: what to do with NaN/inf values
NanPolicy = Literal["error", "interpolate", "drop"]
#: ``data.csv_mode``: one file, or a folder of CSVs joined on the key
CsvMode = Literal["single", "folder"]


def _read_one(path: Path, nrows: int | None) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            df = pd.read_parquet(path)
            return df.head(nrows) if nrows else df
        return pd.read_csv(path, nrows=nrows)
    except ImportError as e:  # pragma: no cover - pyarrow missing
        raise AnogenError(f"reading {path} needs pyarrow: pip install 'anogen[parquet]' ({e})") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise AnogenError(f"cannot parse {path}: {e}", key="data.path") from None


def load_table(path: str | Path, key: str | None = None, columns: Sequence[str] | None = None,
               nrows: PositiveInt | None = None, csv_mode: CsvMode = "single", nan: NanPolicy = "error") -> Frame:
    """Load a table and validate it.

    Args:
        path: a CSV or Parquet file (``csv_mode: single``) or a folder whose ``*.csv`` files are
            joined column-wise on ``key`` (``csv_mode: folder``; the seed's "any other value").
        key: time column, parsed as dates; ``None`` = rows are numbered.
        columns: feature columns; empty/None = every numeric column except the key.
        nrows: read at most this many rows (per file).
        csv_mode: ``single`` or ``folder``.
        nan: NaN/inf policy: ``error``, ``interpolate`` (linear in time, then edge fill) or ``drop``.

    Returns:
        The validated :class:`Frame` (a copy: the file is never modified).

    Raises:
        AnogenError: invalid option, missing file, unknown or non-numeric column, unparsable key,
            NaN with ``nan=error``, empty table.
    """
    nrows = check_value(nrows, PositiveInt | None, "data.nrows")
    csv_mode = check_value(csv_mode, CsvMode, "data.csv_mode")
    check_value(nan, NanPolicy, "data.nan")
    p = Path(str(path)).expanduser()
    if csv_mode == "single":
        if not p.is_file():
            raise AnogenError(f"file not found: {p}", key="data.path")
        df = _read_one(p, nrows)
    else:
        df = _read_folder(p, key, nrows)
    return frame_from_dataframe(df, key=key, columns=columns, nan=nan, source=str(p))


def _read_folder(p: Path, key: str | None, nrows: int | None) -> pd.DataFrame:
    """Every ``*.csv`` of folder ``p`` joined column-wise (inner join) on ``key``."""
    if not p.is_dir():
        raise AnogenError(f"csv_mode=folder needs a directory, not found: {p}", key="data.path")
    files = sorted(p.glob("*.csv"))
    if not files:
        raise AnogenError(f"no *.csv files in {p}", key="data.path")
    if key is None:
        raise AnogenError("is required with csv_mode=folder (files are joined on it)", key="data.key", sep=" ")
    parts = []
    for f in files:
        part = _read_one(f, nrows)
        if key not in part.columns:
            raise AnogenError(f"column {key!r} missing in {f}; columns: {list(part.columns)}", key="data.key")
        parts.append(part.set_index(key))
    try:
        df = pd.concat(parts, axis=1, join="inner").reset_index()
    except ValueError as e:
        raise AnogenError(f"cannot join the files of {p} on {key!r}: {e}", key="data.path") from None
    if df.columns.duplicated().any():
        dup = sorted(set(df.columns[df.columns.duplicated()]))
        raise AnogenError(f"columns {dup} appear in several files of {p}", key="data.path")
    return df


def frame_from_dataframe(df: pd.DataFrame, key: str | None = None, columns: Sequence[str] | None = None,
                         nan: NanPolicy = "error", source: str = "data") -> Frame:
    """Validate a DataFrame and turn it into a :class:`Frame` (the DataFrame is not modified).

    See :func:`load_table` for the arguments and errors.
    """
    nan = check_value(nan, NanPolicy, "data.nan")
    if len(df) == 0:
        raise AnogenError("the table has no rows", key=source)
    df = df.copy()
    if key is not None:
        df, index = _sort_by_time(df, key, source)
    else:
        index = np.arange(len(df), dtype=np.int64)
    cols = _feature_columns(df, key, columns, source)
    values = df[cols].to_numpy(dtype=np.float64, copy=True)
    values, index = _handle_nan(values, index, cols, key is not None, nan, source)
    check_magnitude(values, cols, source)
    return Frame(values=values, index=index, columns=tuple(cols), key=key)


#: the largest absolute value accepted in a column: squares (variances, squared errors) stay finite
MAX_ABS = 1e150


def check_magnitude(values: np.ndarray, columns: Sequence[str], source: str = "data") -> None:
    """Refuse ``(n, d)`` values too large for float64 statistics (``|x| > MAX_ABS``), naming the column.

    A variance or a squared error of values near ``1e154`` overflows to ``inf`` (with a numpy warning
    on stderr), so such a column is an error to rescale, not a silent ``inf`` later.
    """
    if values.size == 0:
        return
    biggest = np.abs(values).max(axis=0)
    for c, m in zip(columns, biggest):
        if m > MAX_ABS:
            raise AnogenError(f"column {c!r} has values up to {m:.3g}, too large for float64 statistics "
                              f"(|x| must be <= {MAX_ABS:.0e}); rescale it, e.g. divide by a power of 10", key=source)


def _sort_by_time(df: pd.DataFrame, key: str, source: str) -> tuple[pd.DataFrame, np.ndarray]:
    """``df`` sorted (stably) by its parsed ``key`` column, and the ``(n,)`` datetime64[ns] index (UTC, naive)."""
    if key not in df.columns:
        raise AnogenError(f"column {key!r} not in {source}; columns: {list(map(str, df.columns))}", key="data.key")
    try:
        stamps = pd.to_datetime(df[key])
    except (ValueError, TypeError) as e:
        raise AnogenError(f"column {key!r} cannot be parsed as dates: {e}", key="data.key") from None
    if stamps.isna().any():
        raise AnogenError(f"column {key!r} has {int(stamps.isna().sum())} missing time stamps", key="data.key")
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    order = np.argsort(stamps.to_numpy(), kind="stable")
    return df.iloc[order].reset_index(drop=True), stamps.to_numpy()[order].astype("datetime64[ns]")


def _is_numeric(col: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)


def _feature_columns(df: pd.DataFrame, key: str | None, columns: Sequence[str] | None, source: str) -> list[str]:
    """The requested columns (checked: present, numeric, unique) or every numeric column but the key."""
    if columns:
        cols = [str(c) for c in columns]
        available = [str(c) for c in df.columns if c != key]
        for c in cols:
            if c not in df.columns:
                raise AnogenError(f"unknown column {c!r}; available: {available}", key="data.columns")
            if not _is_numeric(df[c]):
                raise AnogenError(f"column {c!r} is not numeric (dtype {df[c].dtype}); "
                                  f"numeric columns: {[a for a in available if _is_numeric(df[a])]}", key="data.columns")
    else:
        cols = [str(c) for c in df.columns if c != key and _is_numeric(df[c])]
        if not cols:
            raise AnogenError("no numeric columns besides the key", key=source)
    if len(set(cols)) != len(cols):
        raise AnogenError(f"duplicate names in {cols}", key="data.columns")
    return cols


def _handle_nan(values: np.ndarray, index: np.ndarray, cols: list[str], is_time: bool, nan: str,
                source: str) -> tuple[np.ndarray, np.ndarray]:
    """Apply the NaN/inf policy to ``(n, d)`` values with their ``(n,)`` index."""
    bad = ~np.isfinite(values)
    if not bad.any():
        return values, index
    counts = {c: int(n) for c, n in zip(cols, bad.sum(axis=0)) if n}
    if nan == "error":
        raise AnogenError(f"NaN/inf values in {counts}", key=source, hint="set data.nan=interpolate or data.nan=drop",
                          refs=("data.nan",))
    if nan == "drop":
        keep = ~bad.any(axis=1)
        if not keep.any():
            raise AnogenError("every row has a NaN; nothing left after data.nan=drop", key=source, refs=("data.nan",))
        return values[keep], index[keep]
    filled = pd.DataFrame(np.where(bad, np.nan, values))
    if is_time:
        filled.index = pd.DatetimeIndex(index)
        filled = filled.interpolate(method="time", limit_direction="both")
    else:
        filled = filled.interpolate(limit_direction="both")
    values = filled.to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        raise AnogenError(f"a column is entirely NaN; cannot interpolate {counts}", key=source)
    return values, index
