"""Threshold-free metrics on anomaly scores: ROC-AUC, PR-AUC, best F1, VUS.

All of them sort the scores (``O(n log n)``) and work on cumulative counts; VUS adds one pass
over the few buffer positions near the true ranges per buffer width. The sort is shared: the
metrics of one score vector (ROC-AUC, PR-AUC, best F1, VUS, as ``compute_metrics`` calls them one
after the other) sort it once; the last sorted vector is kept per thread and recognised by its
values, so a changed or different vector is sorted again.

Undefined cases: ROC-AUC and VUS need at least one anomalous and one normal point, PR-AUC
and best F1 need at least one anomalous point; otherwise they raise ``AnogenError`` (the
metric is meaningless there).
"""

from __future__ import annotations

import numbers
import threading

import numpy as np

from anogen.types import AnogenError

from ._validate import check_choice, check_score, ranges
from .base import metric


def _need_classes(t: np.ndarray, metric: str, need_negative: bool = True) -> None:
    n_pos = int(np.count_nonzero(t))
    if n_pos == 0:
        raise AnogenError(f"{metric} needs at least one anomalous point in y_true; y_true is all 0")
    if need_negative and n_pos == t.shape[0]:
        raise AnogenError(f"{metric} needs at least one normal point in y_true; y_true is all 1")


_LAST_SORT = threading.local()


def _argsort_desc(s: np.ndarray) -> np.ndarray:
    return np.argsort(-s)


def sorted_desc(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(order, s[order])``: the scores sorted in descending order, shared by consecutive calls.

    Args:
        s: ``(n,)`` float64 scores owned by the caller's metric (from ``check_score``, which copies:
            the vector is kept for comparison and must not be changed afterwards).

    Returns:
        ``(order, sorted)``, each ``(n,)``; the same objects as the previous call when ``s`` has the
        same values as the previous vector (compared in ``O(n)``, about 1% of the sort).
    """
    last = getattr(_LAST_SORT, "entry", None)
    if last is not None and last[0].shape == s.shape and np.array_equal(last[0], s):
        return last[1], last[2]
    order = _argsort_desc(s)
    ss = s[order]
    _LAST_SORT.entry = (s, order, ss)
    return order, ss


def _desc_curve(t: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative TP/FP counts at every distinct threshold, highest first.

    Returns:
        ``(thresholds, tps, fps)``, each ``(m,)``: predicting ``score >= thresholds[i]``
        gives ``tps[i]`` true and ``fps[i]`` false positives.
    """
    order, ss = sorted_desc(s)
    tt = t[order]
    last = np.flatnonzero(np.diff(ss) != 0)
    last = np.r_[last, ss.shape[0] - 1]
    tps = np.cumsum(tt, dtype=np.int64)[last]
    fps = (last + 1) - tps
    return ss[last], tps, fps


@metric(input="score")
def roc_auc(y_true, y_score) -> float:
    """Area under the ROC curve (ties count one half; equals scikit-learn's ``roc_auc_score``).

    Args:
        y_true: ``(n,)`` 0/1 ground truth, both classes present.
        y_score: ``(n,)`` anomaly scores, higher = more anomalous.

    Returns:
        ROC-AUC in ``[0, 1]``.
    """
    t, s = check_score(y_true, y_score)
    _need_classes(t, "roc_auc")
    _, tps, fps = _desc_curve(t, s)
    n_pos = tps[-1]
    n_neg = fps[-1]
    tpr = np.r_[0, tps] / n_pos
    fpr = np.r_[0, fps] / n_neg
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))


@metric(input="score")
def pr_auc(y_true, y_score) -> float:
    """Average precision ``sum_i (R_i - R_{i-1}) P_i`` over distinct thresholds.

    Equals scikit-learn's ``average_precision_score`` (step-wise, no interpolation).

    Args:
        y_true: ``(n,)`` 0/1 ground truth with at least one anomaly.
        y_score: ``(n,)`` anomaly scores.
    """
    t, s = check_score(y_true, y_score)
    _need_classes(t, "pr_auc", need_negative=False)
    _, tps, fps = _desc_curve(t, s)
    prec = tps / (tps + fps)
    rec = tps / tps[-1]
    return float(np.sum(np.diff(np.r_[0.0, rec]) * prec))


def best_f1_threshold(y_true, y_score) -> tuple[float, float]:
    """Best point-wise F1 over all thresholds and the threshold that reaches it.

    Predictions are ``score >= threshold``; every distinct score is tried. Among equal F1
    values the highest threshold wins.

    Args:
        y_true: ``(n,)`` 0/1 ground truth with at least one anomaly.
        y_score: ``(n,)`` anomaly scores.

    Returns:
        ``(f1, threshold)``.
    """
    t, s = check_score(y_true, y_score)
    _need_classes(t, "best_f1", need_negative=False)
    thr, tps, fps = _desc_curve(t, s)
    f = 2.0 * tps / (tps + fps + tps[-1])
    i = int(np.argmax(f))
    return float(f[i]), float(thr[i])


@metric(input="score")
def best_f1(y_true, y_score) -> float:
    """Best point-wise F1 over all thresholds (an oracle: it looks at the labels)."""
    return best_f1_threshold(y_true, y_score)[0]


# ---------------------------------------------------------------------------------------
# VUS (Paparrizos et al., VLDB 2022)
# ---------------------------------------------------------------------------------------

_VARIANTS = {
    "reference": "reference",
    "tsb_ad": "reference",
    "vus": "reference",
    "timeeval": "timeeval",
    "aeon": "timeeval",
}


def _j0(values: np.ndarray, thr_asc: np.ndarray, n_thr: int) -> np.ndarray:
    """Index of the first (descending) threshold that ``values`` reach (``n_thr`` = none)."""
    return n_thr - np.searchsorted(thr_asc, values, side="right")


def _count_at(values: np.ndarray, weights: np.ndarray | None, thr_asc: np.ndarray, n_thr: int):
    """``out[j] = sum(weights[values >= thr[j]])`` for descending thresholds ``thr``."""
    j0 = _j0(values, thr_asc, n_thr)
    c = np.bincount(j0, weights=weights, minlength=n_thr + 1)
    return np.cumsum(c)[:n_thr]


def _segment_max(padded: np.ndarray, seg_s: np.ndarray, seg_e: np.ndarray) -> np.ndarray:
    """Max of ``padded`` over each ``[seg_s, seg_e)``; ``padded`` has one ``-inf`` appended."""
    idx = np.empty(2 * seg_s.shape[0], dtype=np.int64)
    idx[0::2] = seg_s
    idx[1::2] = seg_e
    return np.maximum.reduceat(padded, idx)[0::2]


def _merge(seg_s: np.ndarray, seg_e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge sorted half-open segments that overlap or touch (runs of non-zero labels)."""
    if seg_s.shape[0] <= 1:
        return seg_s, seg_e
    run_max = np.maximum.accumulate(seg_e)
    new = np.r_[True, seg_s[1:] > run_max[:-1]]
    first = np.flatnonzero(new)
    return seg_s[first], np.maximum.reduceat(seg_e, first)


#: VUS computes every buffer width at once, in blocks of at most this many (width, point) cells
_BLOCK_ELEMENTS = 2_000_000


def _buffer(dl, dl2, h_right, dr, dr2, h_left, w) -> np.ndarray:
    """Soft label of buffer points: ``sqrt(1 - d / w)``, summed over ranges, clipped at 1.

    ``dl``/``dl2``: distance to the nearest / second-nearest range end on the left (the
    point is in that range's right buffer if ``d <= h_right``); ``dr``/``dr2`` likewise on
    the right with ``h_left``. Every single term is at least ``sqrt(1/2)``, so a point
    reached by two or more ranges is clipped to exactly 1.
    """
    wf = np.maximum(w, 1).astype(np.float64)  # a width, or a column of widths (one row per width)
    in_l = dl <= h_right
    in_r = dr <= h_left
    hits = in_l.astype(np.int64) + (dl2 <= h_right) + in_r + (dr2 <= h_left)
    d = np.where(in_l, dl, dr)
    single = np.sqrt(np.clip(1.0 - d / wf, 0.0, None))
    return np.where(hits >= 2, 1.0, np.where(hits == 1, single, 0.0))


def _vus_curves(y_true, y_score, window: int, variant: str, thresholds: int) -> tuple[float, float]:
    """``(vus_roc, vus_pr)`` for one variant; see :func:`vus`."""
    t, s = check_score(y_true, y_score)
    if isinstance(window, bool) or not isinstance(window, numbers.Integral) or window < 0:
        raise AnogenError(f"window must be a non-negative integer, got {window!r}")
    if isinstance(thresholds, bool) or not isinstance(thresholds, numbers.Integral) or thresholds < 2:
        raise AnogenError(f"thresholds must be an integer >= 2, got {thresholds!r}")
    variant = check_choice(variant, "variant", tuple(_VARIANTS))
    variant = _VARIANTS[variant]
    _need_classes(t, "vus")
    window = int(window)
    n = t.shape[0]
    n_thr = int(thresholds)

    if variant == "timeeval" and np.all(s == s[0]):
        # aeon/TimeEval return 0.0 (with a warning) for a constant score; we follow them.
        return 0.0, 0.0

    starts, ends = ranges(t)  # half-open
    last = ends - 1  # inclusive end
    P = float(np.count_nonzero(t))

    # Uniformly sampled thresholds, as both references: every (n-1)/(T-1)-th sorted score.
    s_asc = sorted_desc(s)[1][::-1]
    pick = np.linspace(0, n - 1, n_thr).astype(np.int64)
    thr = s_asc[::-1][pick]  # non-increasing
    thr_asc = thr[::-1]
    n_pred = (n - np.searchsorted(s_asc, thr, side="left")).astype(np.float64)
    a_pos = _count_at(s[t], None, thr_asc, n_thr)  # true points predicted

    # Normal points that can lie in a buffer: within window // 2 of some range.
    reach = window // 2
    mark = np.zeros(n + 1, dtype=np.int64)
    np.add.at(mark, np.maximum(starts - reach, 0), 1)
    np.add.at(mark, np.minimum(ends + reach, n), -1)
    cand = np.flatnonzero((np.cumsum(mark[:n]) > 0) & ~t)
    # Distances to the nearest and second-nearest range end on the left (right buffers)
    # and range start on the right (left buffers); "far" where there is none.
    far = float(4 * n + 10)
    r = starts.shape[0]
    kl = np.searchsorted(last, cand, side="left") - 1
    kr = np.searchsorted(starts, cand, side="right")
    dl = np.where(kl >= 0, cand - last[np.clip(kl, 0, None)], far)
    dl2 = np.where(kl >= 1, cand - last[np.clip(kl - 1, 0, None)], far)
    dr = np.where(kr < r, starts[np.clip(kr, None, r - 1)] - cand, far)
    dr2 = np.where(kr + 1 < r, starts[np.clip(kr + 1, None, r - 1)] - cand, far)
    dl, dl2, dr, dr2 = (x.astype(np.float64) for x in (dl, dl2, dr, dr2))
    c_j0 = _j0(s[cand], thr_asc, n_thr)

    padded = np.r_[s, -np.inf]
    n_w = window + 1
    ws = np.arange(n_w)
    if variant == "reference":
        # TSB-AD `sequencing`: sqrt(1 - d / w) for 1 <= d <= w // 2 on both sides.
        key = ws // 2
        h_right, h_left = key, key
    else:
        # aeon `_extend_anomaly_labels`: w // 2 points before, w // 2 - 1 after a range.
        key = np.where(ws > 1, ws // 2, 0)
        h_right, h_left = key - 1, key
    # Existence reward per width: it depends on the widened ranges only, i.e. on ``key`` (w // 2),
    # so each distinct key is computed once.
    exist = np.empty((n_w, n_thr))
    done: dict[int, np.ndarray] = {}
    for w in range(n_w):
        k = int(key[w])
        if k not in done:
            if variant == "reference":
                seg_s, seg_e = _merge_tsb(np.maximum(starts - k, 0), np.minimum(ends + k, n), starts, last, k)
            else:
                seg_s, seg_e = _merge(np.maximum(starts - k, 0), np.minimum(ends + max(k - 1, 0), n))
            done[k] = _count_at(_segment_max(padded, seg_s, seg_e), None, thr_asc, n_thr) / seg_s.shape[0]
        exist[w] = done[k]
    # Every width at once (in blocks bounding the (widths x buffer points) arrays): the buffer
    # points' soft labels, their true positives per threshold, the curves and their areas.
    rocs = np.empty(n_w)
    prs = np.empty(n_w)
    block = max(1, min(n_w, _BLOCK_ELEMENTS // max(cand.shape[0], 1)))
    for lo in range(0, n_w, block):
        sl = slice(lo, min(lo + block, n_w))
        k_w = sl.stop - sl.start
        v = _buffer(dl, dl2, h_right[sl, None], dr, dr2, h_left[sl, None], ws[sl, None])  # (k_w, C)
        idx = (c_j0[None, :] + (n_thr + 1) * np.arange(k_w)[:, None]).ravel()
        b = np.bincount(idx, weights=v.ravel(), minlength=k_w * (n_thr + 1)).reshape(k_w, n_thr + 1)
        b = np.cumsum(b, axis=1)[:, :n_thr]
        tp = a_pos + b
        ex = exist[sl]
        edge0, edge1 = np.zeros((k_w, 1)), np.ones((k_w, 1))
        if variant == "reference":
            p_new = P + b / 2.0
            tpr = np.minimum(tp / p_new, 1.0) * ex
            fpr = (n_pred - tp) / (n - p_new)
            prec = tp / n_pred
            tpr_c = np.concatenate((edge0, tpr, edge1), axis=1)
            fpr_c = np.concatenate((edge0, fpr, edge1), axis=1)
            prec_c = np.concatenate((edge1, prec), axis=1)
            rocs[sl] = np.sum(np.diff(fpr_c, axis=1) * (tpr_c[:, 1:] + tpr_c[:, :-1]) / 2.0, axis=1)
            prs[sl] = np.sum((tpr_c[:, 1:-1] - tpr_c[:, :-2]) * prec_c[:, 1:], axis=1)
        else:
            p_const = ((P + (P + v.sum(axis=1))) / 2.0)[:, None]
            tpr = np.minimum(tp / p_const, 1.0) * ex
            fpr = np.minimum((n_pred - tp) / (n - p_const), 1.0)
            prec = tp / n_pred
            tpr_c = np.concatenate((edge0, tpr, edge1), axis=1)
            fpr_c = np.concatenate((edge0, fpr, edge1), axis=1)
            prec_c = np.concatenate((edge1, prec), axis=1)
            prs[sl] = np.sum((tpr_c[:, 1:-1] - tpr_c[:, :-2]) * (prec_c[:, 1:] + prec_c[:, :-1]) / 2.0, axis=1)
            rocs[sl] = np.sum((fpr_c[:, 1:] - fpr_c[:, :-1]) * (tpr_c[:, 1:] + tpr_c[:, :-1]) / 2.0, axis=1)
    return float(np.sum(rocs) / (window + 1)), float(np.sum(prs) / (window + 1))


def _merge_tsb(seg_s, seg_e, starts, last, h):
    """TSB-AD ``new_sequence``: ranges ``[s-h, e+h]`` merged unless ``e_k + h < s_{k+1} - h``."""
    if starts.shape[0] <= 1:
        return seg_s, seg_e
    sep = (last[:-1] + h) < (starts[1:] - h)
    first = np.concatenate(([0], np.flatnonzero(sep) + 1))
    lastm = np.concatenate((first[1:] - 1, [starts.shape[0] - 1]))
    return seg_s[first], seg_e[lastm]


@metric(input="score")
def vus(
    y_true, y_score, window: int = 100, variant: str = "reference", thresholds: int = 250
) -> dict[str, float]:
    """Volume under the range-based ROC and PR surfaces (Paparrizos et al. 2022).

    For every buffer width ``w = 0..window`` the labels get soft buffers of
    ``sqrt(1 - d / w)`` at distance ``d`` beside each true range, a range-based ROC and PR
    curve is computed at ``thresholds`` uniformly sampled score thresholds, and the areas
    are averaged over ``w``.

    Args:
        y_true: ``(n,)`` 0/1 ground truth with both classes present.
        y_score: ``(n,)`` anomaly scores.
        window: largest buffer width (``slidingWindow`` in TSB-AD, ``max_buffer_size`` in aeon).
        variant: ``"reference"`` (default; the VUS authors' code in TSB-AD 1.5 and PyPI
            ``vus`` ``RangeAUC_volume_opt``: buffers of ``w // 2`` points on both sides,
            positives ``P + buffer TP / 2`` per threshold, step-wise PR area) or
            ``"timeeval"`` (TimeEval's compatibility mode as in aeon 1.x ``range_*_vus_score``:
            ``w // 2`` points before and ``w // 2 - 1`` after, constant positives
            ``P + sum(buffer) / 2``, trapezoidal PR area, ``0.0`` for a constant score).
        thresholds: number of sampled thresholds (250 in both references).

    Returns:
        ``{"vus_roc": float, "vus_pr": float}``.
    """
    roc, pr = _vus_curves(y_true, y_score, window, variant, thresholds)
    return {"vus_roc": roc, "vus_pr": pr}


@metric(input="score")
def vus_roc(y_true, y_score, window: int = 100, variant: str = "reference", thresholds: int = 250) -> float:
    """VUS-ROC; see :func:`vus` for the arguments and the two variants."""
    return _vus_curves(y_true, y_score, window, variant, thresholds)[0]


@metric(input="score")
def vus_pr(y_true, y_score, window: int = 100, variant: str = "reference", thresholds: int = 250) -> float:
    """VUS-PR; see :func:`vus` for the arguments and the two variants."""
    return _vus_curves(y_true, y_score, window, variant, thresholds)[1]
