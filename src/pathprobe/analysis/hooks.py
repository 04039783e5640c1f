"""Cross-path analyses that later modules add (DNS tampering, portal-offered roots), found by name."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from pathprobe.analysis.signals import CrossPathHook

# module:function, each ``(items) -> None`` adding signals in place; skipped when the module is absent.
CROSS_PATH = ("pathprobe.analysis.dns:dns_tampering_hook",)
PORTAL = "pathprobe.analysis.portal:analyse_portal"


def _resolve(ref: str) -> Any:
    mod, _, fn = ref.partition(":")
    if importlib.util.find_spec(mod) is None:
        return None
    return getattr(importlib.import_module(mod), fn, None)


def cross_path_hooks() -> list[CrossPathHook]:
    return [h for h in (_resolve(r) for r in CROSS_PATH) if h is not None]


def portal_analysis() -> Any:
    return _resolve(PORTAL)
