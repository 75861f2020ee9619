"""TSB-AD's POLY, the reference that anogen's :class:`anogen.detectors.poly.POLY` is tested against.

Copied from TheDatumOrg/TSB-AD (commit 87630099ea8d0dafe89a957e31ed9720e88479eb,
``TSB_AD/models/POLY.py`` ``POLY.fit`` / ``POLY.decision_function`` and ``TSB_AD/models/distance.py``
``Fourier.measure``), Apache License 2.0, Copyright the TSB-AD authors. Changes: the class is one
function without PyOD's base class, the debug prints of an unreachable branch are removed, and the
Fourier measure is inlined; the arithmetic is unchanged.
"""

from __future__ import annotations

import math

import numpy as np


def tsb_ad_poly(X: np.ndarray, power: int = 1, window: int = 200, neighborhood: int | None = None,
                normalize: bool = True) -> np.ndarray:
    """TSB-AD's ``POLY(power, window, neighborhood).fit(X).decision_scores_`` for a 1-D series."""
    if neighborhood is None:
        neighborhood = max(10 * window, 100)
    if normalize:
        X = (X - X.min()) / (X.max() - X.min())
    X = X.squeeze()
    n_train_ = len(X)
    n_initial_ = min(500, int(0.1 * n_train_))
    if neighborhood > len(X):
        neighborhood = len(X)
    N = math.floor(n_train_ / window)
    M = math.ceil(n_initial_ / window)
    data = X
    fit = {}
    for i in range(M, N + 1):
        index = int(i * window)
        neighbor = int(neighborhood / 2)
        if index + neighbor < n_train_ and index - neighbor > 0:
            x = np.concatenate((np.arange(index - neighbor, index), np.arange(index + window, index + neighbor)))
            y = np.concatenate((data[index - neighbor: index], data[index + window: index + neighbor]))
            fit['model' + str(index)] = np.poly1d(np.polyfit(x, y, power))
        elif index + neighbor >= n_train_ and index + window < n_train_:
            x = np.concatenate((np.arange(n_train_ - neighborhood, index), np.arange(index + window, n_train_)))
            y = np.concatenate((data[n_train_ - neighborhood: index], data[index + window: n_train_]))
            fit['model' + str(index)] = np.poly1d(np.polyfit(x, y, power))
        elif index + window >= n_train_:
            x = np.arange(n_train_ - neighborhood, index)
            y = data[n_train_ - neighborhood: index]
            fit['model' + str(index)] = np.poly1d(np.polyfit(x, y, power))
        elif index + window < neighborhood:
            x = np.concatenate((np.arange(0, index), np.arange(index + window, neighborhood)))
            y = np.concatenate((data[0: index], data[index + window: neighborhood]))
            try:
                mymodel = np.poly1d(np.polyfit(x, y, power))
            except Exception:
                x = np.concatenate((np.arange(0, index), np.arange(len(data[index + window: neighborhood]))))
                mymodel = np.poly1d(np.polyfit(x, y, power))
            fit['model' + str(index)] = mymodel
        else:
            x = np.concatenate((np.arange(index - neighbor, index), np.arange(index + window, index + neighbor)))
            y = np.concatenate((data[index - neighbor: index], data[index + window: index + neighbor]))
            fit['model' + str(index)] = np.poly1d(np.polyfit(x, y, power))
    Y = np.zeros(n_train_)
    for i in range(M, N):
        myline = np.linspace(window * i, window * (i + 1), window)
        Y[window * i: window * (i + 1)] = fit['model' + str(i * window)](myline)
    if n_train_ % N != 0:
        x = np.arange(N * window, n_train_)
        Y[N * window:] = fit['model' + str(N * window)](x)
    estimation = Y
    score = np.zeros(n_train_)
    for i in range(M, N + 1):
        index = i * window
        end = n_train_ if i == N else index + window
        X2, X3 = np.array(X[index: end]), np.array(estimation[index: end])
        if len(X2) == 0:
            s = 0
        else:
            s = np.linalg.norm(np.fft.fft(X2) - np.fft.fft(X3), ord=2) / len(X3)
        score[index: index + window] = s
    return score
