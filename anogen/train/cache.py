"""Train a generative model for a fold, or load it from the model cache.

Cache key = sha256 of (train rows, segments, columns, model config, trainer config without the
progress bar, seed, anogen cache format, and the anogen, jax, flax and optax versions: a trainer
fix or a library upgrade never serves a model trained by other code). An entry is a folder with
``model.ckpt`` and ``meta.json``; an entry that cannot be loaded (corrupt, incompatible) is
retrained and replaced.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np

import anogen
from anogen.config import build, to_plain
from anogen.data.scaling import Scaler
from anogen.outputs.files import apply_mode
from anogen.train import loop
from anogen.train.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from anogen.train.config import as_train_config
from anogen.train.inference import evaluate
from anogen.types import AnogenError, Fold

log = logging.getLogger("anogen")

__all__ = ["train_or_load", "cache_key", "build_model", "heldout_objective", "versions", "FORMAT"]

FORMAT = 2  # 2: history with recon_rel, kl, active_dims; kl_per_dim, best_epoch


def versions() -> dict[str, str]:
    """The versions of the code that trains a model (part of the cache key)."""
    import flax
    import jax
    import optax

    return {"anogen": str(getattr(anogen, "__version__", "unknown")), "jax": jax.__version__,
            "flax": flax.__version__, "optax": optax.__version__}


def cache_key(fold: Fold, model_cfg: Mapping[str, Any], trainer_cfg: Mapping[str, Any], seed: int) -> str:
    """32 hex digits identifying a trained model: data, configs, seed, cache format and code versions."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(fold.train, dtype=np.float64).tobytes())
    h.update(np.ascontiguousarray(fold.train_segments, dtype=np.int64).tobytes())
    trainer = {k: v for k, v in dict(to_plain(trainer_cfg)).items() if k != "progress"}
    h.update(json.dumps({"columns": list(fold.columns), "model": to_plain(model_cfg), "trainer": trainer,
                         "seed": int(seed), "format": FORMAT, "versions": versions()},
                        sort_keys=True, default=lambda o: str(to_plain(o))).encode())
    return h.hexdigest()[:32]


def build_model(model_cfg: Mapping[str, Any], n_features: int, seed: int):
    """Instantiate the model node (``_target_`` + sizes) with ``n_features`` and ``nnx.Rngs(seed)``."""
    from flax import nnx

    cfg = {k: v for k, v in dict(model_cfg).items() if k != "scaling"}
    return build(cfg, "model", n_features=int(n_features), rngs=nnx.Rngs(int(seed)))


def _trainer_config(trainer_cfg: Mapping[str, Any]):
    """A validated :class:`anogen.train.TrainConfig` from the ``trainer`` node (errors name ``trainer.<field>``)."""
    return as_train_config(trainer_cfg)


def train_or_load(model_cfg: Mapping[str, Any], trainer_cfg: Mapping[str, Any], fold: Fold, seed: int,
                  cache: Mapping[str, Any] | None = None, checkpoint_path: str | Path | None = None):
    """Return ``(model, scaler, info)`` for ``fold``.

    Args:
        model_cfg: plain dict of the ``model`` node (``_target_``, sizes, optional ``scaling``).
        trainer_cfg: plain dict of :class:`anogen.train.TrainConfig` fields.
        fold: the fold whose train rows the model learns.
        seed: model/trainer seed.
        cache: ``{"enabled": bool, "dir": path}``; disabled or ``None`` = always train.
        checkpoint_path: where to save (a copy of) the checkpoint of this run.

    Returns:
        model (nnx module), scaler (fitted on the train rows), info dict with ``history``,
        ``val_loss``, ``cached`` (bool), ``key``.

    Raises:
        AnogenError: an invalid trainer config (checked first, naming ``trainer.<field>``), or a
            model/training error.
    """
    model_cfg = dict(model_cfg)
    tcfg = _trainer_config(trainer_cfg)
    scaler = Scaler(model_cfg.get("scaling", "standard")).fit(fold.train)
    cache = dict(cache or {})
    key = cache_key(fold, model_cfg, trainer_cfg, seed)
    entry = Path(str(cache.get("dir", ""))).expanduser() / key if cache.get("enabled") and cache.get("dir") else None
    hit = _load_entry(entry, key, checkpoint_path) if entry is not None else None
    if hit is not None:
        return hit[0], scaler, {**hit[1], "cached": True}
    model, hist = _train(model_cfg, tcfg, fold, scaler, seed)
    history = {"train_loss": list(map(float, hist.train_loss)), "val_loss": list(map(float, hist.val_loss)),
               "recon": list(map(float, hist.recon)), "recon_rel": list(map(float, hist.recon_rel)),
               "kl": list(map(float, hist.kl)), "active_dims": list(map(int, hist.active_dims))}
    val = [v for v in history["val_loss"] if np.isfinite(v)]
    meta = {"format": FORMAT, "key": key, "history": history, "val_loss": float(min(val)) if val else float("nan"),
            "epochs_run": int(hist.epochs_run), "stopped": str(hist.stopped), "seconds": float(hist.seconds),
            "best_epoch": int(hist.best_epoch),
            "kl_per_dim": [float(v) for v in hist.kl_dims[hist.best_epoch]] if hist.kl_dims else [],
            "scaler": scaler.state()}
    ckpt_meta = {"model": {k: v for k, v in model_cfg.items() if k != "scaling"}, "n_features": fold.n_features,
                 "seed": seed}
    if checkpoint_path is not None:
        save_checkpoint(checkpoint_path, model, ckpt_meta)
    if entry is not None:
        _store_entry(entry, key, model, meta, ckpt_meta)
    return model, scaler, {**meta, "cached": False}


def _train(model_cfg: dict, tcfg: Any, fold: Fold, scaler: Any, seed: int):
    """Build the model and fit it on the fold's scaled train rows (windows inside the train segments)."""
    model = build_model(model_cfg, fold.n_features, seed)
    window = getattr(model, "seq_len", None) if getattr(model, "kind", "row") == "window" else None
    x = scaler.transform(fold.train).astype(np.float32)
    if window is not None:
        longest = int((fold.train_segments[:, 1] - fold.train_segments[:, 0]).max())
        if window > longest:
            raise AnogenError(f"({window}) is longer than the longest contiguous train segment ({longest} rows)",
                              key="model.seq_len", sep=" ")
    return loop.fit(model, x, config=tcfg, seed=seed, window=window,
               segments=fold.train_segments if window is not None else None)


def _load_entry(entry: Path, key: str, checkpoint_path: str | Path | None):
    """``(model, meta)`` of a usable cache entry (copied to ``checkpoint_path``), else ``None``."""
    if not (entry / "meta.json").is_file():
        return None
    try:
        model, _ = load_checkpoint(entry / "model.ckpt")
        meta = json.loads((entry / "meta.json").read_text())
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("key") != key:
            raise CheckpointError("cache entry of another format")
        _check_meta(meta)
        log.info("model cache hit %s", key)
        if checkpoint_path is not None:
            Path(checkpoint_path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(entry / "model.ckpt", checkpoint_path)
        return model, meta
    except (CheckpointError, OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        log.warning("model cache entry %s is unusable (%s); retraining", key, e)
        return None


def _check_meta(meta: dict) -> None:
    """An entry's ``meta.json`` must have the shape :func:`train_or_load` wrote (else it is retrained)."""
    history = meta.get("history")
    if not isinstance(history, dict) or not all(
            isinstance(v, list) and all(isinstance(x, (int, float)) or x is None for x in v) for v in history.values()):
        raise CheckpointError("meta.json: history is not {name: [numbers]}")
    if not isinstance(meta.get("val_loss"), (int, float, type(None))):
        raise CheckpointError("meta.json: val_loss is not a number")


def _store_entry(entry: Path, key: str, model: Any, meta: dict, ckpt_meta: dict) -> None:
    """Write the entry to a temporary folder and move it into place (a failure only logs a warning)."""
    tmp = None
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=entry.parent))
        save_checkpoint(tmp / "model.ckpt", model, ckpt_meta)
        (tmp / "meta.json").write_text(json.dumps(meta))
        # mkdtemp/mkstemp make 0700/0600: private only while the entry is incomplete; the finished
        # entry (a model anyone allowed into the cache folder may reuse) gets the user's umask
        for p in (tmp, *tmp.iterdir()):
            apply_mode(p)
        if entry.exists():
            shutil.rmtree(entry, ignore_errors=True)
        os.replace(tmp, entry)
    except OSError as e:  # a full disk, say: the run goes on without caching, and leaves no partial entry
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        log.warning("could not write the model cache entry %s: %s", key, e)


def heldout_objective(model, x_scaled: np.ndarray, window: int | None = None, seed: int = 0) -> float:
    """Mean negative ELBO (``beta = 1``, the model's default reconstruction weight) on held-out rows.

    The value an optimiser should minimise: computed on data the model never saw (the clean test
    fold), with the loss weights fixed, so it stays comparable when ``beta`` or ``recon_weight`` are
    swept (a model's own training loss is not: a smaller beta lowers it by construction). Models
    without a KL term (the LSTM autoencoder) give their reconstruction loss. Jitted and batched
    (:func:`anogen.train.evaluate`).

    Args:
        model: a trained anogen model.
        x_scaled: ``(n, d)`` scaled held-out rows.
        window: window length for window models; ``None`` = rows.
        seed: seed of the (fixed) latent noise.
    """
    x = np.asarray(x_scaled, dtype=np.float32)
    if window is not None and x.shape[0] < window:
        return float("nan")
    return float(evaluate(model, x, window=window, beta=1.0, seed=seed)["loss"])
