"""Optional packages: one clear message, with the install command, when an extra is missing."""

from __future__ import annotations

import importlib

from pathprobe.errors import BadInput
from pathprobe.i18n import Listed, _, get_language


def need_packages(who: str, names: tuple[str, ...], hint: str) -> None:
    """:class:`BadInput` (exit 2) saying that ``who`` needs the missing ones of ``names`` and how to
    install them (``hint``); nothing when all can be imported."""
    missing = []
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise BadInput(_("{who} needs {packages}, which this install lacks; install them with: {hint}", who=who,
                         packages=Listed(tuple(missing)).render(get_language()), hint=hint))
