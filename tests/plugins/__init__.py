"""Plug-ins that live outside the package: each proves one recipe of docs/extending.md."""

from tests.plugins.detector import FailingDetector, MedianDistance

__all__ = ["FailingDetector", "MedianDistance"]
