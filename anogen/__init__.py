"""anogen: generate realistic labelled anomalies from normal data and measure how well detectors find them.

Library use::

    from anogen import generate, evaluate, benchmark, select, evaluate_detectors
"""

from anogen.api import benchmark, evaluate, evaluate_detectors, generate, select
from anogen.types import AnogenError, Event, Fold, Injected, RunResult

__version__ = "0.1.0"
__all__ = ["AnogenError", "Event", "Fold", "Injected", "RunResult", "benchmark", "evaluate", "evaluate_detectors", "generate",
           "select", "__version__"]
