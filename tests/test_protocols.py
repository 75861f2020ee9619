"""The component protocols of detectors and the trainer (issue 22): keyword-only detector
constructors, abstract methods that fail at construction, anogen's own name for the parameter check
(run by ``fit`` and at build time), and a trainer that asks the model how to trace its step."""

from __future__ import annotations

import ast
import contextlib
import inspect
from pathlib import Path

import numpy as np
import pytest

import anogen.detectors as det
from anogen.config import build
from anogen.detectors.base import BaseDetector
from anogen.detectors.estimator import LOF, KNNDistance, PCAReconstruction
from anogen.params import Ratio
from anogen.types import AnogenError

PKG = Path(det.__file__).resolve().parents[1]


def _detector_classes() -> list[type]:
    """Every detector or estimator class that anogen.detectors defines (the neural ones included)."""
    from anogen.detectors import reconstruction

    classes = {obj for module in (det, reconstruction) for obj in vars(module).values()
               if inspect.isclass(obj) and obj.__module__.startswith("anogen.detectors")
               and (issubclass(obj, BaseDetector) or obj in (KNNDistance, LOF, PCAReconstruction))}
    return sorted(classes, key=lambda c: c.__name__)


def test_the_detector_list_is_complete():
    names = {c.__name__ for c in _detector_classes()}
    assert names >= {"BaseDetector", "Estimator", "ZScore", "RandomScore", "LSTMAEDetector", "VAEDetector",
                     "KNNDistance", "LOF", "PCAReconstruction"}


@pytest.mark.parametrize("cls", [c for c in _detector_classes() if "__init__" in vars(c)], ids=lambda c: c.__name__)
def test_detector_constructors_are_keyword_only(cls):
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    positional = [p.name for p in params if p.kind is not p.KEYWORD_ONLY]
    assert positional == [], f"{cls.__name__}.__init__ takes {positional} by position"


def test_a_positional_argument_is_refused():
    with pytest.raises(TypeError):
        det.ZScore("rolling")
    with pytest.raises(TypeError):
        KNNDistance(3)
    assert det.ZScore(mode="rolling").mode == "rolling"


# --------------------------------------------------------------------------- abstract methods


class _Complete(BaseDetector):
    def __init__(self, *, name: str = "complete", contamination: Ratio = 0.1) -> None:
        self.name = name
        self.contamination = contamination

    def _fit(self, X, segments):
        self.mean_ = X.mean(axis=0)

    def _decision_function(self, X):
        return np.abs(X - self.mean_).max(axis=1)


def test_a_detector_missing_a_method_fails_at_construction():
    class NoScore(BaseDetector):
        def __init__(self, *, name: str = "no_score", contamination: Ratio = 0.1) -> None:
            self.name, self.contamination = name, contamination

        def _fit(self, X, segments):
            pass

    class NoFit(BaseDetector):
        def __init__(self, *, name: str = "no_fit", contamination: Ratio = 0.1) -> None:
            self.name, self.contamination = name, contamination

        def _decision_function(self, X):
            return np.zeros(len(X))

    with pytest.raises(TypeError, match="_decision_function"):
        NoScore()
    with pytest.raises(TypeError, match="_fit"):
        NoFit()
    with pytest.raises(TypeError):
        BaseDetector()
    x = np.random.default_rng(0).standard_normal((50, 2))
    assert _Complete().fit(x).decision_function(x).shape == (50,)


def test_a_reconstruction_detector_missing_its_model_fails_at_construction():
    from anogen.detectors.reconstruction import _ReconstructionDetector

    class NoModel(_ReconstructionDetector):
        def __init__(self, *, name: str = "no_model", contamination: Ratio = 0.1) -> None:
            self.name, self.contamination = name, contamination

    with pytest.raises(TypeError, match="_build_model"):
        NoModel()


# --------------------------------------------------------------------------- the parameter check


class Ruled(_Complete):
    """A detector outside the package with a rule between parameters (``low <= high``)."""

    def __init__(self, *, low: float = 0.0, high: float = 1.0, name: str = "ruled", contamination: Ratio = 0.1):
        self.low, self.high = low, high
        self.name, self.contamination = name, contamination

    def _check_rules(self, key: str) -> None:
        if self.low > self.high:
            raise AnogenError(f"{key}.low: must be <= high={self.high}, got {self.low}")


def test_the_parameter_check_has_anogens_name_not_sklearns():
    assert callable(BaseDetector.check_params)
    assert "_parameter_constraints" not in vars(BaseDetector) and "_validate_params" not in vars(BaseDetector)
    with pytest.raises(AnogenError, match=r"^detectors\.ruled\.low: must be <= high=1\.0, got 2\.0$"):
        Ruled(low=2.0).check_params()
    with pytest.raises(AnogenError, match=r"^detectors\.ruled\.contamination: must be > 0 and <= 0\.5, got 0\.9$"):
        Ruled(contamination=0.9).fit(np.zeros((10, 1)))


def test_build_runs_the_check_of_a_detector_from_outside_the_package():
    target = f"{Ruled.__module__}.Ruled"
    assert isinstance(build({"_target_": target, "low": 0.5}, "detectors.ruled"), Ruled)
    with pytest.raises(AnogenError, match=r"^detectors\.ruled\.low: must be <= high=1\.0, got 2\.0$") as info:
        build({"_target_": target, "low": 2.0}, "detectors.ruled")  # a rule: only the built object knows it
    assert "\n" not in str(info.value)
    with pytest.raises(AnogenError, match=r"^detectors\.zscore_rolling\.min_periods: must be <= window=5, got 9$"):
        det.build_detector("zscore_rolling", window=5, min_periods=9)


# --------------------------------------------------------------------------- the trainer and the model


def _anogen_imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("anogen."):
            out |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("anogen.")}
    return out


def test_the_trainer_imports_nothing_model_specific():
    """The trainer reaches the models only through their shared protocol (``anogen.models.losses``,
    the ``MODELS`` registry of the checkpoints); no module of a particular model, no unroll switch."""
    reached = {name for path in sorted((PKG / "train").glob("*.py")) for name in _anogen_imports(path)
               if name.startswith("anogen.models")}
    assert reached, "the check sees nothing"
    specific = sorted(n for n in reached if not n.startswith(("anogen.models.losses.", "anogen.models.MODELS")))
    assert specific == []


def test_the_training_step_is_traced_in_the_models_step_context():
    import jax
    import jax.numpy as jnp
    from flax import nnx

    from anogen.models import MLPVAE
    from anogen.train import TrainConfig
    from anogen.train.optim import optimizer_spec, shared_optimizer
    from anogen.train.step import Hyper, TrainState, model_step_context, train_step

    seen: list[int] = []

    class Asking(MLPVAE):
        def step_context(self, batch_size: int):
            seen.append(batch_size)
            return contextlib.nullcontext()

    assert isinstance(model_step_context(object(), 8), contextlib.nullcontext)  # a model that does not ask
    model = Asking(3, latent_dim=2, hidden=6, rngs=nnx.Rngs(0))
    state = TrainState.create(model, shared_optimizer(optimizer_spec(TrainConfig())))
    x = jnp.asarray(np.random.default_rng(0).standard_normal((12, 3)), jnp.float32)
    jax.make_jaxpr(train_step)(state, (x, jnp.ones(12)), jax.random.key(0), Hyper.of(1e-3, 0.0, 1.0, 1.0))
    assert seen == [12]
