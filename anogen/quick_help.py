"""``python -m anogen --help`` without composing anything (Hydra's own help takes seconds).

Hydra's help composes the whole config and lists every config group through its config
repository; most of ``--help``'s time went there. A bare ``--help`` (or ``-h``) prints the usage and
the packaged groups and options from a listing of ``anogen/conf`` instead, and tells how to see
the composed config. ``--help`` with overrides is Hydra's full help for that composition.
"""

from __future__ import annotations

from anogen.paths import CONF_DIR, conf_options

__all__ = ["wants_quick_help", "quick_help"]

_USAGE = """\
anogen: generate labelled anomalies from normal data and measure how well detectors find them.

usage: python -m anogen [group=option ...] [key=value ...] [+experiment=NAME] [-m for a sweep]

  python -m anogen +experiment=quickstart          a VAE, the anomalies it generates, a detector
  python -m anogen +experiment=benchmark           samplers x detectors -> leaderboard
  python -m anogen detectors=[zscore,iforest] sampler=inject seed=3
  python -m anogen -m sampler.ratio=0.01,0.05      a sweep (one run per value)

Config groups (group=option; several at once for detectors, metrics, filters: detectors=[a,b]):
"""

_FOOTER = """
More:
  python -m anogen --cfg job [overrides]       the composed config (every key you can override)
  python -m anogen --help [overrides]          Hydra's full help for that composition
  python -m anogen --hydra-help                Hydra's own options (multirun, launchers, output folders)
Results go to outputs/<date>/<time>/ (hydra.run.dir=...); errors are one line on stderr, exit code 2.
"""


def wants_quick_help(args: list[str]) -> bool:
    """Whether the command line is a bare ``--help``/``-h``."""
    return len(args) == 1 and args[0] in ("--help", "-h")


def quick_help() -> str:
    """The usage text with every packaged config group and its options (a folder listing)."""
    lines = [_USAGE]
    for group in sorted(p.name for p in CONF_DIR.iterdir() if p.is_dir() and p.name != "hydra"):
        options = conf_options(group)
        lines.append(f"  {group}: {', '.join(options)}")
    return "\n".join(lines) + "\n" + _FOOTER
