"""anogen: generate realistic labelled anomalies from normal data and measure how well detectors find them.

Library use::

    from anogen import generate, evaluate, benchmark
"""

from anogen.api import benchmark, evaluate, generate
from anogen.types import AnogenError, Event, Fold, Injected, RunResult

__version__ = "0.1.0"
__all__ = ["AnogenError", "Event", "Fold", "Injected", "RunResult", "benchmark", "evaluate", "generate", "__version__"]
