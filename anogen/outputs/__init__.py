"""Outputs: atomic files, plots, loggers."""
