"""Flax NNX models: LSTM-VAE, plain LSTM autoencoder, USAD and one-step forecasters (CNN, LSTM) for
windows, MLP-VAE (rows).

Every model has ``kind`` (``"window"`` or ``"row"``), ``encode``, ``decode``, ``__call__``,
``reconstruct`` (deterministic), ``per_sample_loss`` and ``get_config`` (constructor kwargs).
A model may also say how the trainer should trace its training step: ``step_context(batch_size)``
returns the context manager the step is traced in (the LSTM models: fully unrolled loops at large
batches); a model without it is traced as it is. Optional too: ``uses_epoch`` (the loss depends on
the training epoch) and ``step_errors(x)`` (its own scoring error); see :mod:`anogen.models.losses`.
"""

from __future__ import annotations

from anogen.models.forecast import CNNForecaster, LSTMForecaster
from anogen.models.losses import loss, recon_error
from anogen.models.lstm_ae import LSTMAE
from anogen.models.usad import USAD
from anogen.models.vae import LSTM, LSTMVAE, MLPVAE
from anogen.types import AnogenError

__all__ = ["LSTM", "LSTMAE", "LSTMVAE", "MLPVAE", "MODELS", "USAD", "CNNForecaster", "LSTMForecaster", "get_model_class",
           "loss", "recon_error"]

#: Model classes by name (class name); used by checkpoints to rebuild a model.
MODELS: dict[str, type] = {"LSTMVAE": LSTMVAE, "MLPVAE": MLPVAE, "LSTMAE": LSTMAE, "USAD": USAD,
                           "CNNForecaster": CNNForecaster, "LSTMForecaster": LSTMForecaster}


def get_model_class(name: str) -> type:
    """Look up a model class by its class name.

    Args:
        name: a key of :data:`MODELS` (``"LSTMVAE"``, ``"MLPVAE"``, ``"LSTMAE"``, ``"USAD"``,
            ``"CNNForecaster"``, ``"LSTMForecaster"``).

    Returns:
        The class.

    Raises:
        AnogenError: unknown name.
    """
    try:
        return MODELS[name]
    except KeyError:
        raise AnogenError(f"unknown model class {name!r}: expected one of {sorted(MODELS)}") from None
