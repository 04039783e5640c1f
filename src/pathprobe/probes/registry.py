"""Probe kinds by name: the built-ins, then third-party kinds from the ``pathprobe.probes`` entry points."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from importlib.metadata import entry_points

from pathprobe.errors import BadInput
from pathprobe.probes.base import Probe

# kind -> "module:Class"; imported lazily so a check loads only what its plan uses.
BUILTIN: dict[str, str] = {
    "direct": "pathprobe.probes.direct:DirectProbe",
    "example": "pathprobe.probes.example:ExampleProbe",
}
# Kinds added by later modules register here the same way.
OPTIONAL_BUILTIN: dict[str, str] = {
    "doh": "pathprobe.probes.doh:DohProbe",
    "tor": "pathprobe.probes.tor:TorProbe",
    "vpn": "pathprobe.probes.vpn:VpnProbe",
    "portal": "pathprobe.probes.portal:PortalProbe",
}


def _load(ref: str) -> type[Probe]:
    mod, _, cls = ref.partition(":")
    loaded: type[Probe] = getattr(importlib.import_module(mod), cls)
    return loaded


def available() -> dict[str, str]:
    """Every kind name known, mapped to where it comes from."""
    out = dict(BUILTIN)
    for kind, ref in OPTIONAL_BUILTIN.items():
        if importlib.util.find_spec(ref.partition(":")[0]) is not None:
            out[kind] = ref
    for ep in entry_points(group="pathprobe.probes"):
        if ep.name in out:
            print(f"pathprobe: ignoring third-party probe kind '{ep.name}': the name is taken", file=sys.stderr)
            continue
        out[ep.name] = ep.value
    return out


def _builtin(kind: str) -> str | None:
    if kind in BUILTIN:
        return BUILTIN[kind]
    ref = OPTIONAL_BUILTIN.get(kind)
    if ref is not None and importlib.util.find_spec(ref.partition(":")[0]) is not None:
        return ref
    return None


def get(kind: str) -> type[Probe]:
    ref = _builtin(kind)  # a built-in kind needs no scan of every installed package's entry points
    if ref is None:
        kinds = available()
        if kind not in kinds:
            raise BadInput(f"unknown probe kind '{kind}'; known kinds: {', '.join(sorted(kinds))}")
        ref = kinds[kind]
    try:
        return _load(ref)
    except (ImportError, AttributeError) as exc:
        raise BadInput(f"probe kind '{kind}' could not be loaded: {exc}") from exc
