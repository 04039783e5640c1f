"""Probe kinds by name: the built-ins, then third-party kinds from the ``pathprobe.probes`` entry points."""

from __future__ import annotations

import importlib
import importlib.util
import keyword
import sys
from importlib.metadata import entry_points
from typing import cast

from pathprobe.errors import BadInput
from pathprobe.i18n import _
from pathprobe.probes.base import CliOption, Probe

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
_LOADED: dict[str, type[Probe]] = {}


def _load(ref: str) -> type[Probe]:
    if ref not in _LOADED:
        mod, _, name = ref.partition(":")
        cls = getattr(importlib.import_module(mod), name)
        if not isinstance(cls, type):
            raise TypeError(f"{ref} is not a class")
        _LOADED[ref] = cls if issubclass(cls, Probe) else _with_defaults(cls)
    return _LOADED[ref]


def _with_defaults(cls: type) -> type[Probe]:
    """A kind written to the required part of the contract alone (no :class:`Probe` subclass) gets
    every declaration's default by inheriting it: a subclass of both, the kind first in the MRO, so
    whatever it does declare itself wins. Made once per kind (the registry keeps it)."""
    attrs = {"__module__": cls.__module__, "__qualname__": cls.__qualname__, "__doc__": cls.__doc__}
    return cast(type[Probe], type(cls.__name__, (cls, Probe), attrs))


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
    """The probe class of ``kind`` (a built-in, else a third-party entry point); raises
    :class:`~pathprobe.errors.BadInput` when the kind is unknown or cannot be loaded.
    """
    ref = _builtin(kind)  # a built-in kind needs no scan of every installed package's entry points
    if ref is None:
        kinds = available()
        if kind not in kinds:
            raise BadInput(_("unknown probe kind '{kind}'; known kinds: {kinds}", kind=kind, kinds=", ".join(sorted(kinds))))
        ref = kinds[kind]
    try:
        return _load(ref)
    except (ImportError, AttributeError, TypeError) as exc:
        raise BadInput(_("probe kind '{kind}' could not be loaded: {reason}", kind=kind, reason=exc)) from exc


def cli_options(taken: frozenset[str] = frozenset()) -> dict[str, tuple[type[Probe], CliOption]]:
    """Every ``check`` option a kind declares, by name, with its kind (this loads every kind).

    A kind that cannot be loaded, or an option whose name is not usable (``taken`` by ``check`` itself
    or by a kind listed before), is left out with a warning on stderr: it must not break ``check``.
    """
    out: dict[str, tuple[type[Probe], CliOption]] = {}
    for kind, ref in available().items():
        try:
            cls = _load(ref)
        except Exception as exc:  # a broken plug-in the plan may not even use (mitmproxy's safecall)
            print(f"pathprobe: ignoring probe kind '{kind}': it could not be loaded: {exc}", file=sys.stderr)
            continue
        for opt in cls.cli_options:
            usable = opt.name.isidentifier() and not keyword.iskeyword(opt.name) and opt.name == opt.name.lower()
            if opt.name in taken or opt.name in out or not usable:
                print(f"pathprobe: ignoring option '{opt.flag}' of probe kind '{kind}': the name is taken or "
                      "not lower-case letters, digits and '_'", file=sys.stderr)
                continue
            out[opt.name] = (cls, opt)
    return out
