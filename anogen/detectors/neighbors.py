"""Nearest-neighbour search for the neighbour detectors (kNN distance, LOF), exact or approximate.

Chosen by measurement (``scripts/bench_neighbors.py``; windows of 10 rows x 4 columns of a noisy
periodic series, 20,000 train windows, 20 neighbours, CPU seconds per 20,000 queries on 2 cores):

==============================================  ===========  ======================================
index                                           CPU s        exact k-th distance
==============================================  ===========  ======================================
scikit-learn brute force (float64)              1.8          all
scikit-learn KD-tree / ball tree                11.4 / 9.2   all (40 noisy dimensions defeat trees)
faiss flat (exact, float32)                     2.3          all (up to float32 rounding)
faiss HNSW, M=16, efSearch=max(64, 2k)          0.86 (+1.5   97% (mean relative error 1e-4)
                                                build)
==============================================  ===========  ======================================

So ``index="exact"`` is scikit-learn's brute force (the fastest exact search here) and
``index="hnsw"`` is faiss's HNSW graph (about 2x fewer CPU seconds per query; optional dependency
``pip install 'anogen[fast]'``, i.e. ``faiss-cpu``). ``index="auto"`` (default) uses HNSW when
faiss is installed and there are at least :data:`AUTO_MIN_TRAIN` train samples (below that brute
force is cheap and the graph not worth building), else exact search. The graph is built on one
thread, so it (and every score) is the same from run to run.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Literal

import numpy as np

from anogen.types import AnogenError

__all__ = ["NeighborIndex", "Index", "AUTO_MIN_TRAIN", "has_faiss"]

Index = Literal["auto", "exact", "hnsw"]

#: ``index="auto"`` builds an HNSW graph from this many train samples on
AUTO_MIN_TRAIN = 5000
_HNSW_M = 16
_HNSW_EF_CONSTRUCTION = 40
_EUCLIDEAN = ("minkowski", "euclidean", "l2")


def has_faiss() -> bool:
    """Whether the optional ``faiss`` package (``faiss-cpu``) is installed."""
    return importlib.util.find_spec("faiss") is not None


class NeighborIndex:
    """``k`` nearest train samples of query samples (distances ascending).

    Args:
        index: ``"exact"``, ``"hnsw"`` or ``"auto"`` (see the module docstring).
        metric: a :class:`sklearn.neighbors.NearestNeighbors` metric; HNSW supports the Euclidean
            distance only (``"minkowski"`` with ``p=2``, ``"euclidean"``, ``"l2"``).
        owner: name for error messages.
    """

    def __init__(self, index: Index = "auto", metric: str = "minkowski", owner: str = "neighbors") -> None:
        self.index = index
        self.metric = metric
        self.owner = owner

    def fit(self, X: np.ndarray) -> "NeighborIndex":
        """Index the ``(m, p)`` train samples."""
        X = np.ascontiguousarray(X, dtype=np.float64)
        self.method_ = self._method(X.shape[0])
        self.n_samples_ = X.shape[0]
        if self.method_ == "exact":
            from sklearn.neighbors import NearestNeighbors

            self.nn_ = NearestNeighbors(algorithm="brute", metric=self.metric).fit(X)
        else:
            self.train32_ = np.ascontiguousarray(X, dtype=np.float32)
            self.nn_ = _hnsw(self.train32_)
        return self

    def __getstate__(self) -> dict:
        """Picklable (an HNSW graph is stored as faiss's serialized bytes)."""
        state = dict(self.__dict__)
        if state.get("method_") == "hnsw":
            import faiss

            state["nn_"] = faiss.serialize_index(state["nn_"])
        return state

    def __setstate__(self, state: dict) -> None:
        if state.get("method_") == "hnsw" and isinstance(state.get("nn_"), np.ndarray):
            import faiss

            state = {**state, "nn_": faiss.deserialize_index(state["nn_"])}
        self.__dict__.update(state)

    def _method(self, n: int) -> str:
        if self.index == "hnsw" or (self.index == "auto" and n >= AUTO_MIN_TRAIN and has_faiss()):
            if self.metric not in _EUCLIDEAN:
                if self.index == "auto":
                    return "exact"
                raise AnogenError(f"{self.owner}.index: 'hnsw' supports the Euclidean metric only, "
                                  f"got metric={self.metric!r}; use index: exact")
            if not has_faiss():
                raise AnogenError(f"{self.owner}.index: 'hnsw' needs faiss: pip install 'anogen[fast]' "
                                  "(faiss-cpu), or use index: exact")
            return "hnsw"
        return "exact"

    def kneighbors(self, X: np.ndarray | None, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(distances, indices)``, each ``(q, k)``, of the ``k`` nearest train samples.

        Args:
            X: ``(q, p)`` queries; ``None`` = the train samples themselves, each without itself.
            k: neighbours per query (``<= m``, ``<= m - 1`` for ``X=None``).
        """
        if self.method_ == "exact":
            return self.nn_.kneighbors(None if X is None else np.asarray(X, dtype=np.float64), n_neighbors=k)
        if X is not None:
            return _search(self.nn_, X, k)
        dist, idx = _search(self.nn_, self.train32_, k + 1)
        return _drop_self(dist, idx)


def _hnsw(data: np.ndarray) -> Any:
    """An HNSW graph of ``(m, p)`` float32 ``data`` built on one thread (the same graph every time)."""
    import faiss

    graph = faiss.IndexHNSWFlat(data.shape[1], _HNSW_M)
    graph.hnsw.efConstruction = _HNSW_EF_CONSTRUCTION
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        graph.add(data)
    finally:
        faiss.omp_set_num_threads(threads)
    return graph


def _search(graph: Any, X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    graph.hnsw.efSearch = max(64, 2 * int(k))
    sq, idx = graph.search(np.ascontiguousarray(X, dtype=np.float32), int(k))
    if (idx < 0).any():  # fewer reachable samples than k: cannot happen with k <= m, but be sure
        raise AnogenError(f"HNSW search found fewer than {k} neighbours; use index: exact")
    return np.sqrt(np.maximum(sq.astype(np.float64), 0.0)), idx.astype(np.int64)


def _drop_self(dist: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Remove each train sample from its own neighbours (the last one when it was not found)."""
    q, k1 = idx.shape
    own = idx == np.arange(q)[:, None]
    drop = np.where(own.any(axis=1), own.argmax(axis=1), k1 - 1)
    keep = np.ones_like(own)
    keep[np.arange(q), drop] = False
    return dist[keep].reshape(q, k1 - 1), idx[keep].reshape(q, k1 - 1)
