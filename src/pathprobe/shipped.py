"""Where the plans shipped with pathprobe are, in a repository checkout and in an installed wheel.

The repository keeps them in its top-level ``probes/`` folder (``default.toml``, ``kz-media.toml``):
the folder a newcomer opens. A wheel carries the same files as ``pathprobe/plans/`` (``force-include``
in pyproject.toml's ``[tool.hatch.build.targets.wheel]``). An editable install (``pip install -e .``)
imports from ``src/`` and has no ``pathprobe/plans/``: there the checkout's ``probes/`` is used.
"""

from __future__ import annotations

from pathlib import Path

PACKAGED = Path(__file__).resolve().parent / "plans"
"""The plans inside an installed wheel."""
CHECKOUT = Path(__file__).resolve().parents[2] / "probes"
"""The plans of a repository checkout (``src/pathprobe/`` -> ``probes/``)."""


def plans_dir() -> Path:
    """The folder of the shipped plans: the wheel's ``pathprobe/plans``, else the checkout's ``probes/``."""
    if PACKAGED.is_dir() or not CHECKOUT.is_dir():
        return PACKAGED
    return CHECKOUT
