"""Loading and validating tables (CSV, Parquet, a folder of CSVs joined on the key)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd

from anogen.params import PositiveInt, check_value
from anogen.types import AnogenError, Frame

__all__ = ["load_table", "read_table", "read_labels", "frame_from_dataframe", "frame_and_report", "TableReport", "check_magnitude",
           "MAX_ABS", "EMBEDDED", "NanPolicy", "CsvMode"]

EMBEDDED = Path(__file__).parent / "embedded"
#: ``data.nan``: what to do with NaN/inf values
NanPolicy = Literal["error", "interpolate", "drop"]
#: ``data.csv_mode``: one file, or a folder of CSVs joined on the key
CsvMode = Literal["single", "folder"]
#: a text column is "mostly numeric" (so its other cells are mistakes, not a text column) from this share on
MOSTLY_NUMERIC = 0.5


@dataclass
class TableReport:
    """What loading a table did with its columns: which were used, which were skipped and why.

    Attributes:
        source: the file or folder (or the DataFrame's name).
        rows: rows in the loaded frame.
        key: the time column, or ``None`` (rows are numbered).
        used: the feature columns, in order.
        skipped: ``{column: why}`` for every other column of the table (the key excluded).
        notes: other things done to the table (time stamps converted to UTC, empty columns dropped).
    """

    source: str
    rows: int = 0
    key: str | None = None
    used: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The ``data`` entry of ``metrics.json``."""
        return {"source": self.source, "rows": self.rows, "key": self.key, "columns": list(self.used),
                "skipped": dict(self.skipped), "notes": list(self.notes)}

    def lines(self) -> list[str]:
        """The run log's lines about the data (one for the columns, one per skipped column and note)."""
        time = f"time column {self.key!r}" if self.key else "no time column (data.key unset: rows are numbered)"
        out = [f"data: {self.rows} rows of {self.source}, {time}; {len(self.used)} columns used: {self.used}"]
        out += [f"data: column {c!r} skipped: {why}" for c, why in self.skipped.items()]
        out += [f"data: {n}" for n in self.notes]
        return out


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
               nrows: PositiveInt | None = None, csv_mode: CsvMode = "single", nan: NanPolicy = "error",
               date_format: str | None = None) -> Frame:
    """Load a table and validate it (:func:`read_table` without its report).

    Args:
        path: a CSV or Parquet file (``csv_mode: single``) or a folder whose ``*.csv`` files are
            joined column-wise on ``key`` (``csv_mode: folder``; the seed's "any other value").
        key: time column, parsed as dates (time stamps whose UTC offset changes, e.g. at a DST
            switch, are converted to UTC); ``None`` = rows are numbered.
        columns: feature columns; empty/None = every numeric column except the key (text, boolean
            and date columns are skipped and reported; a mostly numeric column with text cells is
            an error naming the first such cell).
        nrows: read at most this many rows (per file).
        csv_mode: ``single`` or ``folder``.
        nan: NaN/inf policy: ``error``, ``interpolate`` (linear in time, then edge fill) or ``drop``.
        date_format: ``strftime`` format of the key column (``"%d/%m/%Y %H:%M"``); ``None`` = inferred.

    Returns:
        The validated :class:`Frame` (a copy: the file is never modified).

    Raises:
        AnogenError: invalid option, missing file, unknown or non-numeric column, unparsable key,
            NaN with ``nan=error``, empty table.
    """
    return read_table(path, key=key, columns=columns, nrows=nrows, csv_mode=csv_mode, nan=nan,
                      date_format=date_format)[0]


def read_table(path: str | Path, key: str | None = None, columns: Sequence[str] | None = None,
               nrows: PositiveInt | None = None, csv_mode: CsvMode = "single", nan: NanPolicy = "error",
               date_format: str | None = None) -> tuple[Frame, TableReport]:
    """:func:`load_table` (same arguments and errors), and what it did with the columns (:class:`TableReport`)."""
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
    return frame_and_report(df, key=key, columns=columns, nan=nan, source=str(p), date_format=date_format)


def read_labels(path: str | Path, label: str, key: str | None = None, nrows: PositiveInt | None = None,
                csv_mode: CsvMode = "single", date_format: str | None = None) -> Frame:
    """The 0/1 label column ``label`` of a table as a one-column :class:`Frame` (rows in the order
    :func:`load_table` gives them). ``True``/``False`` (a bool column, or the words in any case) count
    as 1/0.

    Raises:
        AnogenError: naming ``data.labels``: no such column, or values other than 0/1/True/False.
    """
    p = Path(str(path)).expanduser()
    df = _read_one(p, nrows) if csv_mode == "single" else _read_folder(p, key, nrows)
    if label not in df.columns:
        raise AnogenError(f"unknown column {label!r}; available: {[str(c) for c in df.columns if c != key]}",
                          key="data.labels")
    col = df[label]
    if col.dtype == bool or col.dtype == object:
        words = col.map(lambda v: {"true": 1.0, "false": 0.0, "1": 1.0, "0": 0.0}.get(str(v).strip().lower(), v)
                        if isinstance(v, (str, bool, np.bool_)) else v)
        col = pd.to_numeric(words, errors="coerce").where(col.notna())
        if col.isna().any() and not df[label].isna().any():
            bad = df[label][col.isna()].iloc[0]
            raise AnogenError(f"column {label!r} must hold 0/1 or True/False, found {bad!r}", key="data.labels")
    df = df.copy()
    df[label] = col.astype(np.float64)
    return frame_and_report(df, key=key, columns=[label], nan="error", source=str(p), date_format=date_format)[0]


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
                         nan: NanPolicy = "error", source: str = "data", date_format: str | None = None) -> Frame:
    """Validate a DataFrame and turn it into a :class:`Frame` (the DataFrame is not modified).

    See :func:`load_table` for the arguments and errors.
    """
    return frame_and_report(df, key=key, columns=columns, nan=nan, source=source, date_format=date_format)[0]


def frame_and_report(df: pd.DataFrame, key: str | None = None, columns: Sequence[str] | None = None,
                     nan: NanPolicy = "error", source: str = "data",
                     date_format: str | None = None) -> tuple[Frame, TableReport]:
    """:func:`frame_from_dataframe`, and what it did with the columns (:class:`TableReport`)."""
    nan = check_value(nan, NanPolicy, "data.nan")
    date_format = check_value(date_format, str | None, "data.date_format")
    if len(df) == 0:
        raise AnogenError("the table has no rows", key=source)
    report = TableReport(source=source, key=key)
    df = _drop_empty_unnamed(df.copy(), report)
    if key is not None and key not in df.columns:
        raise AnogenError(f"column {key!r} not in {source}; columns: {list(map(str, df.columns))}", key="data.key")
    cols = _feature_columns(df, key, columns, source, report)  # before sorting: rows are the file's rows
    if key is not None:
        df, index = _sort_by_time(df, key, date_format, report)
    else:
        index = np.arange(len(df), dtype=np.int64)
    values = df[cols].to_numpy(dtype=np.float64, copy=True)
    values, index = _handle_nan(values, index, cols, key is not None, nan, source)
    check_magnitude(values, cols, source)
    report.used, report.rows = list(cols), int(values.shape[0])
    return Frame(values=values, index=index, columns=tuple(cols), key=key), report


def _drop_empty_unnamed(df: pd.DataFrame, report: TableReport) -> pd.DataFrame:
    """``df`` without the empty columns that have no name (``Unnamed: 4``: a spreadsheet export's trailing commas)."""
    empty = [c for c in df.columns if str(c).startswith("Unnamed: ") and df[c].isna().all()]
    if empty:
        report.notes.append(f"{len(empty)} empty column(s) without a name dropped: {list(map(str, empty))} "
                            "(trailing commas of a spreadsheet export)")
    return df.drop(columns=empty)


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


def _sort_by_time(df: pd.DataFrame, key: str, date_format: str | None,
                  report: TableReport) -> tuple[pd.DataFrame, np.ndarray]:
    """``df`` sorted (stably) by its parsed ``key`` column, and the ``(n,)`` datetime64[ns] index (UTC, naive)."""
    stamps = _parse_stamps(df[key], key, date_format, report)
    if stamps.isna().any():
        first = int(np.flatnonzero(stamps.isna().to_numpy())[0])
        raise AnogenError(f"column {key!r} has {int(stamps.isna().sum())} missing time stamps (the first at data row "
                          f"{first + 1})", key="data.key")
    if getattr(stamps.dt, "tz", None) is not None:
        if not any("UTC" in n for n in report.notes):
            report.notes.append(f"time stamps of {key!r} carry a UTC offset: converted to UTC (data.dates are read "
                                "as UTC too)")
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    order = np.argsort(stamps.to_numpy(), kind="stable")
    return df.iloc[order].reset_index(drop=True), stamps.to_numpy()[order].astype("datetime64[ns]")


def _parse_stamps(col: pd.Series, key: str, date_format: str | None, report: TableReport) -> pd.Series:
    """The key column as datetimes; changing UTC offsets (a DST switch) are converted to UTC (noted in ``report``).

    Raises:
        AnogenError: a value that is not a date (or does not match ``date_format``): its row and value.
    """
    kw = {"format": date_format} if date_format else {}
    try:
        with warnings.catch_warnings(record=True) as caught:  # pandas' guess of the format: a note, not stderr
            warnings.simplefilter("always")
            stamps = pd.to_datetime(col, **kw)
        report.notes += [f"{key!r}: {str(w.message).split('. ')[0]} (data.date_format sets the format)"
                         for w in caught if issubclass(w.category, UserWarning)]
        return stamps
    except (ValueError, TypeError) as e:
        if "utc=True" not in str(e):
            raise _bad_stamp(col, key, date_format, e) from None
    try:  # several UTC offsets (summer and winter time): one instant each, in UTC
        stamps = pd.to_datetime(col, utc=True, **kw)
    except (ValueError, TypeError) as e:
        raise _bad_stamp(col, key, date_format, e) from None
    report.notes.append(f"time stamps of {key!r} change their UTC offset (e.g. at a daylight-saving switch): "
                        "converted to UTC (data.dates are read as UTC too)")
    return stamps


def _bad_stamp(col: pd.Series, key: str, date_format: str | None, error: Exception) -> AnogenError:
    """The error for a key column that does not parse: the first bad row and its value."""
    kw = {"format": date_format} if date_format else {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = pd.to_datetime(col, errors="coerce", utc=True, **kw)
        bad = np.flatnonzero((parsed.isna() & col.notna()).to_numpy())
    except (ValueError, TypeError):
        bad = np.array([], dtype=np.int64)
    where = (f"data row {int(bad[0]) + 1} holds {col.iloc[int(bad[0])]!r}" if bad.size else
             str(error).strip().splitlines()[0])
    if date_format:
        return AnogenError(f"column {key!r} does not match data.date_format={date_format!r}: {where}", key="data.key",
                           refs=("data.date_format",))
    return AnogenError(f"column {key!r} cannot be parsed as dates: {where}", key="data.key",
                       hint="give its format, e.g. data.date_format='%d/%m/%Y %H:%M'", refs=("data.date_format",))


def _is_numeric(col: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)


def _looks_like_dates(vals: pd.Series) -> bool:
    """Whether (nearly) every one of the first 100 non-empty text values parses as a date."""
    sample = vals.iloc[:100].astype(str)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = pd.to_datetime(sample, errors="coerce", format="mixed", utc=True)
    except (ValueError, TypeError):
        return False
    return bool(parsed.notna().mean() >= 0.9)


def _classify(df: pd.DataFrame, c: Any, key: str | None) -> str | None:
    """Why column ``c`` is not a feature (``None``: it is numeric).

    Raises:
        AnogenError: ``c`` is mostly numeric but has text cells (the first one named).
    """
    col = df[c]
    if pd.api.types.is_bool_dtype(col):
        return "boolean (true/false) values"
    if _is_numeric(col):
        return None
    vals = col.dropna()
    if vals.empty:
        return "empty"
    if pd.to_numeric(vals, errors="coerce").notna().mean() >= MOSTLY_NUMERIC:
        bad = (pd.to_numeric(col, errors="coerce").isna() & col.notna()).to_numpy()
        first = int(np.flatnonzero(bad)[0])
        raise AnogenError(f"column {str(c)!r} is numeric but {int(bad.sum())} of its cells are not: the first at data "
                          f"row {first + 1} holds {col.iloc[first]!r}", key="data.columns",
                          hint="fix those cells (an empty cell is a NaN, see data.nan) or leave the column out with "
                               "data.columns=[...]", refs=("data.nan",))
    if pd.api.types.is_datetime64_any_dtype(col) or _looks_like_dates(vals):
        if key is None:
            return f"dates (data.key is unset, so rows are numbered): set data.key={c} to use it as the time axis"
        return "dates (not the time column data.key)"
    return f"text (e.g. {vals.iloc[0]!r})"


def _feature_columns(df: pd.DataFrame, key: str | None, columns: Sequence[str] | None, source: str,
                     report: TableReport) -> list[str]:
    """The requested columns (checked: present, numeric, unique) or every numeric column but the key.

    ``report.skipped`` gets every other column (the key excluded) and why it is not a feature.
    """
    available = [str(c) for c in df.columns if c != key]
    if columns:
        cols = [str(c) for c in columns]
        for c in cols:
            if c not in df.columns:
                raise AnogenError(f"unknown column {c!r}; available: {available}", key="data.columns")
            if _classify(df, c, key) is not None:
                raise AnogenError(f"column {c!r} is not numeric (dtype {df[c].dtype}); "
                                  f"numeric columns: {[a for a in available if _is_numeric(df[a])]}", key="data.columns")
        report.skipped.update({c: "not in data.columns" for c in available if c not in cols})
    else:
        why = {str(c): _classify(df, c, key) for c in df.columns if c != key}
        cols = [c for c, w in why.items() if w is None]
        report.skipped.update({c: w for c, w in why.items() if w is not None})
        if not cols:
            skipped = "; ".join(f"{c!r}: {w}" for c, w in report.skipped.items())
            raise AnogenError(f"no numeric columns besides the key ({skipped or 'no other columns'})", key=source)
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
