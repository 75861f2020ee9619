"""How a metric declares itself, and the headline metrics.

A metric is one function ``f(y_true, x, **kwargs)`` decorated with :func:`metric`, which says
whether ``x`` is the thresholded 0/1 prediction (``input="pred"``) or the raw anomaly score
(``input="score"``)::

    from anogen.metrics import metric

    @metric(input="score")
    def top_k_precision(y_true, y_score, k: int = 10) -> float:
        ...

A function in a module of :mod:`anogen.metrics` is found by its name (``fn: top_k_precision``
in a ``conf/metrics/*.yaml`` entry); one anywhere else by its dotted path
(``fn: mypkg.mymetrics.top_k_precision``). Nothing else to register.
"""

from __future__ import annotations

from typing import Any, Callable, Literal, TypeVar, get_args

from anogen.types import AnogenError

__all__ = ["HEADLINE", "Input", "metric", "metric_input"]

#: what a metric function takes besides ``y_true``
Input = Literal["pred", "score"]

#: the headline metrics (config entry names), most important first: the columns of
#: ``leaderboard.md``, the run log line and the report's plots show those that were computed
HEADLINE: tuple[str, ...] = (
    "roc_auc", "pr_auc", "f1", "best_f1", "precision", "recall", "fpr", "range_f1", "pa_f1", "pak_auc",
    "vus_roc", "vus_pr", "affiliation_precision", "affiliation_recall", "tdir", "dair", "nab_standard",
    "composite_f1",
)

F = TypeVar("F", bound=Callable[..., Any])


def metric(input: Input) -> Callable[[F], F]:
    """Declare a function a metric and what it takes (sets ``fn.metric_input``).

    Args:
        input: ``"pred"`` (a ``(n,)`` 0/1 prediction) or ``"score"`` (``(n,)`` anomaly scores,
            higher = more anomalous).

    Returns:
        A decorator returning the function itself (still called as ``f(y_true, x, **kwargs)``).

    Raises:
        AnogenError: ``input`` is not ``pred`` or ``score``.
    """
    if input not in get_args(Input):
        raise AnogenError(f"metric input must be one of pred, score; got {input!r}")

    def declare(fn: F) -> F:
        fn.metric_input = input  # type: ignore[attr-defined]
        return fn

    return declare


def metric_input(fn: Any) -> Input | None:
    """The declared input of a metric function (``"pred"``/``"score"``), ``None`` if undeclared."""
    return getattr(fn, "metric_input", None)
