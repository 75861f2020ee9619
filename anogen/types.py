"""Small frozen dataclasses shared by every stage of anogen.

Row positions are always 0-based positions inside a fold (not labels of a DataFrame index);
ranges are half-open ``[start, end)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping

import numpy as np

__all__ = ["AnogenError", "rename_key", "is_under", "Event", "Edit", "Fold", "Frame", "Injected", "RunResult"]


class AnogenError(ValueError):
    """A user mistake (bad config, bad data, impossible request).

    The CLI prints its message on one line and exits non-zero, without a traceback.

    The error keeps *where* apart from *what*, so that each entry point can name the key in its
    own words (the seed's JSON keys, the API's argument names) without rewriting text::

        e = AnogenError("must be > 0, got 0", key="sampler.ratio")
        str(e)                                          # 'sampler.ratio: must be > 0, got 0'
        str(e.rekeyed({"sampler.ratio": "ratio"}))      # 'ratio: must be > 0, got 0'

    ``AnogenError("plain message")`` still works: no key, the message is the problem.

    Attributes:
        problem: what is wrong (and what is valid).
        key: the config key, argument, column or file it is about (``"data.dates[0]"``), or ``None``.
        sep: what joins ``key`` and ``problem`` in the message: ``": "``, or ``" "`` for messages
            that read as a sentence (``"data.key is required with csv_mode=folder"``).
        hint: what to do about it, after ``"; "`` (``"set data.nan=interpolate or data.nan=drop"``);
            an entry point where the hint's setting does not exist may replace it.
        refs: the other keys that ``problem`` or ``hint`` mention (``("data.nan",)``): renamed with
            the key by :meth:`rekeyed`; nothing else in the text is ever rewritten.
    """

    def __init__(self, problem: Any = "", key: str | None = None, *, sep: str = ": ", hint: str | None = None,
                 refs: tuple[str, ...] = ()) -> None:
        self.problem = str(problem)
        self.key = key
        self.sep = sep
        self.hint = hint
        self.refs = tuple(refs)
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The one line the user sees: ``key<sep>problem[; hint]``."""
        head = self.problem if self.key is None else f"{self.key}{self.sep}{self.problem}"
        return head if self.hint is None else f"{head}; {self.hint}"

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):  # keep the fields across processes (sweeps); subclasses included
        return _restore, (type(self), self.problem, self.key, self.sep, self.hint, self.refs, dict(self.__dict__))

    def replace(self, **fields: Any) -> AnogenError:
        """A copy with some of ``problem``, ``key``, ``sep``, ``hint``, ``refs`` changed (same class)."""
        new = {"problem": self.problem, "key": self.key, "sep": self.sep, "hint": self.hint, "refs": self.refs,
               **fields}
        state = {k: v for k, v in self.__dict__.items() if k not in new}
        return _restore(type(self), new["problem"], new["key"], new["sep"], new["hint"], new["refs"], state)

    def rekeyed(self, mapping: Mapping[str, str] | Callable[[str], str | None]) -> AnogenError:
        """The same error with ``key`` and ``refs`` renamed (``problem``/``hint`` text: only the refs).

        ``mapping`` is a callable ``key -> new key or None`` (``None``: unchanged), or a dict read by
        :func:`rename_key` (its longest entry that is the key or a path above it: ``{"data.dates":
        "dates"}`` turns ``data.dates[1]`` into ``dates[1]``). An error without a key is returned as is.
        """
        if self.key is None and not self.refs:
            return self
        rename = mapping if callable(mapping) else (lambda k: rename_key(k, mapping))

        def new(k: str) -> str:
            got = rename(k)
            return k if got is None else got
        problem, hint, refs = self.problem, self.hint, []
        for ref in sorted(self.refs, key=len, reverse=True):  # longest first: data.nan before data
            to = new(ref)
            if to != ref:
                problem = problem.replace(ref, to)
                hint = hint.replace(ref, to) if hint is not None else None
            refs.append(to)
        return self.replace(problem=problem, hint=hint, key=None if self.key is None else new(self.key),
                            refs=tuple(refs))

    def under(self, prefix: str) -> AnogenError:
        """This error as seen from config key ``prefix`` (a constructor's error, built at ``prefix``).

        A key at or below ``prefix`` is kept; any other error becomes the problem of ``prefix``
        (``detectors.x: metric 'y': ...``). A plain message (no key, from a raise site that has not
        given one yet) that already starts with ``prefix`` is kept as it is.
        """
        if self.key is not None and is_under(self.key, prefix):
            return self
        if self.key is None and self.problem.startswith(prefix):  # a plain message naming its key
            return self
        nested = self.problem if self.key is None else f"{self.key}{self.sep}{self.problem}"
        refs = self.refs if self.key is None else (*self.refs, self.key)
        return self.replace(problem=nested, key=prefix, sep=": ", refs=refs)


def _restore(cls: type, problem: str, key: str | None, sep: str, hint: str | None, refs: tuple, state: dict):
    """Rebuild an :class:`AnogenError` (or subclass) from its fields, whatever its ``__init__``."""
    e = cls.__new__(cls)
    AnogenError.__init__(e, problem, key, sep=sep, hint=hint, refs=refs)
    e.__dict__.update({k: v for k, v in state.items() if k not in ("problem", "key", "sep", "hint", "refs")})
    return e


def is_under(key: str, prefix: str) -> bool:
    """Whether config key ``key`` is ``prefix`` or below it (``prefix.x``, ``prefix[0]``)."""
    return key == prefix or key.startswith((f"{prefix}.", f"{prefix}["))




def rename_key(key: str, table: Mapping[str, str]) -> str | None:
    """``key`` renamed by the longest entry of ``table`` that is ``key`` or a path above it, else ``None``.

    ``rename_key("data.dates[0]", {"data.dates": "dates"}) == "dates[0]"``.
    """
    best = max((k for k in table if is_under(key, k)), key=len, default=None)
    return None if best is None else table[best] + key[len(best):]


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
    """What a job (:func:`anogen.jobs.run`) returns.

    Attributes:
        metrics: flat ``{"detector/metric": value}``, the mean over folds (benchmark: over folds,
            seeds and samplers).
        injected: one :class:`Injected` per fold (empty for the benchmark).
        objective: the value an optimiser should minimise: the held-out negative ELBO of the
            generative model (see :func:`anogen.train.cache.heldout_objective`), else ``nan``.
        run_dir: the output directory (``None`` for library use).
        folds: per fold, an :class:`anogen.jobs.steps.FoldResult` (fold, injected, detector runs,
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

    def __repr__(self) -> str:
        return f"RunResult({self})"

    def __str__(self) -> str:
        """One line (``print(res)``; the fields hold the rest): a selection's best detector, P(best)
        and trust; else the folds, the best detector by the first headline metric, the run folder."""
        where = f", run_dir={self.run_dir}" if self.run_dir else ""
        if isinstance(self.results, dict) and self.results.get("summary"):  # +experiment=select
            return f"{self.results['summary']}{where}"
        names = sorted({k.split("/", 1)[0] for k in self.metrics if "/" in k and not k.startswith("generator/")})
        head = next((m for m in ("f1", "pr_auc", "roc_auc", "vus_pr") if any(k.endswith("/" + m) for k in self.metrics)),
                    None)
        best = ""
        if head:
            scored = {d: self.metrics[f"{d}/{head}"] for d in names if f"{d}/{head}" in self.metrics}
            if scored:
                d = max(scored, key=scored.get)
                best = f", best {head}: {d} {scored[d]:.3f}"
        n = len(self.folds) or len(self.injected)
        err = f", {len(self.errors)} errors" if self.errors else ""
        return f"{n} fold(s), {len(names)} detector(s){best}{err}{where}"


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
