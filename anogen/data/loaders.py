"""Loading and validating tables (CSV, Parquet, a folder of CSVs joined on the key)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from anogen.types import AnogenError, Frame

__all__ = ["load_table", "frame_from_dataframe", "EMBEDDED"]

EMBEDDED = Path(__file__).parent / "embedded"
NAN_POLICIES = ("error", "interpolate", "drop")


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
        raise AnogenError(f"data.path: cannot parse {path}: {e}") from None


def load_table(path: str | Path, key: str | None = None, columns: Sequence[str] | None = None,
               nrows: int | None = None, csv_mode: str = "single", nan: str = "error") -> Frame:
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
        AnogenError: missing file, unknown or non-numeric column, unparsable key, NaN with
            ``nan=error``, empty table.
    """
    p = Path(str(path)).expanduser()
    if nrows is not None and (int(nrows) <= 0):
        raise AnogenError(f"data.nrows must be a positive integer or null, got {nrows}")
    if csv_mode == "single":
        if not p.is_file():
            raise AnogenError(f"data.path: file not found: {p}")
        df = _read_one(p, nrows)
    elif csv_mode == "folder":
        if not p.is_dir():
            raise AnogenError(f"data.path: csv_mode=folder needs a directory, not found: {p}")
        files = sorted(p.glob("*.csv"))
        if not files:
            raise AnogenError(f"data.path: no *.csv files in {p}")
        if key is None:
            raise AnogenError("data.key is required with csv_mode=folder (files are joined on it)")
        parts = []
        for f in files:
            part = _read_one(f, nrows)
            if key not in part.columns:
                raise AnogenError(f"data.key: column {key!r} missing in {f}; columns: {list(part.columns)}")
            parts.append(part.set_index(key))
        try:
            df = pd.concat(parts, axis=1, join="inner").reset_index()
        except ValueError as e:
            raise AnogenError(f"data.path: cannot join the files of {p} on {key!r}: {e}") from None
        if df.columns.duplicated().any():
            dup = sorted(set(df.columns[df.columns.duplicated()]))
            raise AnogenError(f"data.path: columns {dup} appear in several files of {p}")
    else:
        raise AnogenError(f"data.csv_mode must be 'single' or 'folder', got {csv_mode!r}")
    return frame_from_dataframe(df, key=key, columns=columns, nan=nan, source=str(p))


def frame_from_dataframe(df: pd.DataFrame, key: str | None = None, columns: Sequence[str] | None = None,
                         nan: str = "error", source: str = "data") -> Frame:
    """Validate a DataFrame and turn it into a :class:`Frame` (the DataFrame is not modified).

    See :func:`load_table` for the arguments and errors.
    """
    if nan not in NAN_POLICIES:
        raise AnogenError(f"data.nan must be one of {list(NAN_POLICIES)}, got {nan!r}")
    if len(df) == 0:
        raise AnogenError(f"{source}: the table has no rows")
    df = df.copy()
    if key is not None:
        if key not in df.columns:
            raise AnogenError(f"data.key: column {key!r} not in {source}; columns: {list(map(str, df.columns))}")
        try:
            stamps = pd.to_datetime(df[key])
        except (ValueError, TypeError) as e:
            raise AnogenError(f"data.key: column {key!r} cannot be parsed as dates: {e}") from None
        if stamps.isna().any():
            raise AnogenError(f"data.key: column {key!r} has {int(stamps.isna().sum())} missing time stamps")
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        order = np.argsort(stamps.to_numpy(), kind="stable")
        df = df.iloc[order].reset_index(drop=True)
        index = stamps.to_numpy()[order].astype("datetime64[ns]")
    else:
        index = np.arange(len(df), dtype=np.int64)
    if columns:
        cols = [str(c) for c in columns]
        available = [str(c) for c in df.columns if c != key]
        for c in cols:
            if c not in df.columns:
                raise AnogenError(f"data.columns: unknown column {c!r}; available: {available}")
            if not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]):
                raise AnogenError(f"data.columns: column {c!r} is not numeric (dtype {df[c].dtype}); "
                                  f"numeric columns: {[a for a in available if pd.api.types.is_numeric_dtype(df[a])]}")
    else:
        cols = [str(c) for c in df.columns if c != key and pd.api.types.is_numeric_dtype(df[c])
                and not pd.api.types.is_bool_dtype(df[c])]
        if not cols:
            raise AnogenError(f"{source}: no numeric columns besides the key")
    if len(set(cols)) != len(cols):
        raise AnogenError(f"data.columns: duplicate names in {cols}")
    values = df[cols].to_numpy(dtype=np.float64, copy=True)
    bad = ~np.isfinite(values)
    if bad.any():
        counts = {c: int(n) for c, n in zip(cols, bad.sum(axis=0)) if n}
        if nan == "error":
            raise AnogenError(f"{source}: NaN/inf values in {counts}; set data.nan=interpolate or data.nan=drop")
        if nan == "drop":
            keep = ~bad.any(axis=1)
            values, index = values[keep], index[keep]
            if values.shape[0] == 0:
                raise AnogenError(f"{source}: every row has a NaN; nothing left after data.nan=drop")
        else:
            filled = pd.DataFrame(np.where(bad, np.nan, values))
            if key is not None:
                filled.index = pd.DatetimeIndex(index)
                filled = filled.interpolate(method="time", limit_direction="both")
            else:
                filled = filled.interpolate(limit_direction="both")
            values = filled.to_numpy(dtype=np.float64)
            if not np.isfinite(values).all():
                raise AnogenError(f"{source}: a column is entirely NaN; cannot interpolate {counts}")
    return Frame(values=values, index=index, columns=tuple(cols), key=key)
