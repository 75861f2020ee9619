"""Training settings: :class:`TrainConfig`, typed once and checked when it is created."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any, Callable, Mapping, Union

from anogen.config import to_plain
from anogen.params import (
    Fraction,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    check_params,
)
from anogen.train.optim import make_optimizer
from anogen.types import AnogenError

__all__ = ["TrainConfig", "as_train_config"]

#: the optimizer of the packaged trainer config (``anogen/conf/trainer/default.yaml``)
DEFAULT_OPTIMIZER = "adam"


@dataclasses.dataclass
class TrainConfig:
    """Training settings (the ``trainer`` config group), validated on creation.

    Every field is checked against its type when the object is created (also by
    :func:`dataclasses.replace`), so a bad value fails with one line naming ``trainer.<field>``
    before any data are loaded.

    Attributes:
        epochs: maximum number of epochs.
        batch_size: samples (rows or windows) per step.
        learning_rate: optimizer learning rate (a run-time value: changing it does not recompile).
        optimizer: an optax optimizer factory as a config node, built with
            :func:`anogen.config.build`: ``{"_target_": "optax.adamw", "_partial_": True, "b1": 0.9}``
            (``learning_rate`` and ``weight_decay`` are filled in by the trainer); the short form
            ``"adamw"`` means ``optax.adamw``; the built factory (``functools.partial(optax.adamw)``)
            is accepted too.
        weight_decay: passed to the optimizer when it accepts ``weight_decay`` (e.g. ``adamw``),
            otherwise applied as ``optax.add_decayed_weights``; 0 = off.
        val_split: fraction of the samples held out for validation (the *last* samples in time
            order); 0 = no validation set.
        patience: stop after this many epochs without a lower monitored loss; 0 = off.
        epsilon: stop when the monitored mean squared reconstruction error is below it; 0 = off.
        recon_weight: weight of the reconstruction term; ``None`` = the model's default
            (``100 * L`` for the LSTM-VAE, i.e. the seed's ``100 * mse * L + KL``; 1 otherwise).
        beta: weight of the KL term (VAEs).
        kl_warmup_epochs: ramp the KL weight linearly from ``beta / n`` to ``beta`` over the first
            ``n`` epochs; 0 = off. Early stopping starts counting when the warm-up is over (a
            validation loss measured with the full KL weight rises while the KL weight ramps up,
            which is no reason to stop), and the restored epoch is one trained with the full weight.
        free_bits: KL floor per latent dimension in nats (batch mean, Kingma et al. 2016): a
            dimension carrying less is not pushed further towards the prior; 0 = off.
        min_epochs: never stop early before this many epochs.
        grad_clip: clip gradients to this global norm; ``None`` = off.
        progress: show a tqdm progress bar (per epoch, with the losses).
    """

    epochs: PositiveInt = 50
    batch_size: PositiveInt = 32
    learning_rate: PositiveFloat = 1e-3
    optimizer: Union[str, dict[str, Any], Callable[..., Any]] = DEFAULT_OPTIMIZER
    weight_decay: NonNegativeFloat = 0.0
    val_split: Fraction = 0.1
    patience: NonNegativeInt = 10
    epsilon: NonNegativeFloat = 0.0
    recon_weight: PositiveFloat | None = None
    beta: NonNegativeFloat = 1.0
    kl_warmup_epochs: NonNegativeInt = 0
    free_bits: NonNegativeFloat = 0.0
    min_epochs: NonNegativeInt = 0
    grad_clip: PositiveFloat | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        self.optimizer = to_plain(self.optimizer)
        values = check_params(type(self), dataclasses.asdict(self), "trainer")
        for name, value in values.items():
            object.__setattr__(self, name, value)
        make_optimizer(self)  # an unknown or unusable optimizer fails here, not in fit

    def validate(self) -> TrainConfig:
        """Check every field again (after attributes were assigned directly). Returns self."""
        self.__post_init__()
        return self


def as_train_config(config: TrainConfig | Mapping[str, Any], key: str = "trainer") -> TrainConfig:
    """A :class:`TrainConfig` from itself or from a plain mapping of its fields.

    Args:
        config: a TrainConfig, or a mapping / DictConfig of its fields (the ``trainer`` node).
        key: the config key of the mapping, for messages (``"detectors.vae.train_kwargs"``).

    Raises:
        AnogenError: an unknown field (listing the valid ones) or an invalid value, naming
            ``<key>.<field>``.
    """
    if isinstance(config, TrainConfig):
        return config
    plain = to_plain(config)
    if not isinstance(plain, Mapping):
        raise AnogenError(f"{key}: expected a mapping of TrainConfig fields, got {type(config).__name__}")
    plain = {name: to_plain(value) for name, value in plain.items()}
    valid = [f.name for f in dataclasses.fields(TrainConfig)]
    unknown = sorted(set(plain) - set(valid))
    if unknown:
        raise AnogenError(f"{key}: unknown parameter(s) {unknown}; valid parameters: {valid}")
    values = check_params(TrainConfig, dict(plain), key)  # errors name key.<field>
    defaults = {f.name: f.default for f in dataclasses.fields(TrainConfig)}
    make_optimizer(SimpleNamespace(**{**defaults, **values}), f"{key}.optimizer")
    return TrainConfig(**values)
