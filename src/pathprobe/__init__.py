"""pathprobe: which way of reaching the web keeps my HTTPS intact on this network?

The public API, all importable from ``pathprobe`` itself (``tests/test_api.py`` locks the list)::

    from pathlib import Path
    from pathprobe import CheckOptions, run_check

    profile = run_check(CheckOptions(plans=(Path("my.toml"),), timeout=4))
    print(profile.recommendation.path, profile.recommendation.advice)
    Path("profile.json").write_text(profile.to_json(), "utf-8")

- **A check**: :class:`CheckOptions`, :func:`run_check` (plan -> probes -> observations -> analysis ->
  profile); the pure analysis alone: :func:`analyse` over :class:`Roots` (:func:`load_roots` reads them).
- **The profile** it returns, frozen dataclasses (:mod:`pathprobe.profile`): :class:`Profile` and its
  parts, :func:`load_profile` to read a saved one.
- **A probe kind** of one's own (entry-point group ``pathprobe.probes``; copy
  ``pathprobe/probes/example.py``): the contract :class:`Probe`, :class:`RunContext`,
  :class:`ProbeResult`; the plan (:class:`Plan`, :class:`Entry`: a probe's plan table); the
  measurements a probe returns (:class:`PathMeasurement`, :class:`TargetMeasurement`, :class:`Observation`)
  and :class:`HostPort` (a site as plans name it).
- **The vocabulary** (:mod:`pathprobe.vocab`): verdict, signal, failure, role and step words.
- **Errors** (:mod:`pathprobe.errors`): :class:`PathprobeError` and the tree under it, :class:`NetFailure`.

Each name is imported from its module on first use (PEP 562), so ``import pathprobe`` and
``pathprobe --version`` load none of the check's machinery (cryptography, the probes, the analysis).
"""

from __future__ import annotations

import importlib

from pathprobe.version import __version__

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (milliseconds on every start)
if TYPE_CHECKING:
    from typing import Any

    from pathprobe.analysis.pipeline import analyse
    from pathprobe.analysis.verdicts import Roots
    from pathprobe.check import CheckOptions, load_roots, run_check
    from pathprobe.errors import (
        BadInput,
        ConsentRequired,
        Interrupted,
        LabError,
        NetFailure,
        PathprobeError,
        SummaryError,
    )
    from pathprobe.model import HostPort, Observation, PathMeasurement, TargetMeasurement
    from pathprobe.plan import Plan
    from pathprobe.planfields import Entry
    from pathprobe.probes.base import Probe, ProbeResult, RunContext
    from pathprobe.profile import (
        Finding,
        FormerPublicRoot,
        InterceptionRoot,
        Network,
        OfferedCertificate,
        Path,
        Portal,
        Profile,
        Recommendation,
        Target,
        TrustStore,
        load_profile,
    )
    from pathprobe.vocab import Connectivity, Failure, Reachability, Role, Signal, Step, TlsVerdict

_HOMES: dict[str, tuple[str, ...]] = {
    "pathprobe.check": ("CheckOptions", "run_check", "load_roots"),
    "pathprobe.analysis.pipeline": ("analyse",),
    "pathprobe.analysis.verdicts": ("Roots",),
    "pathprobe.profile": (
        "Profile",
        "Network",
        "Portal",
        "OfferedCertificate",
        "Path",
        "Target",
        "FormerPublicRoot",
        "Finding",
        "TrustStore",
        "InterceptionRoot",
        "Recommendation",
        "load_profile",
    ),
    "pathprobe.probes.base": ("Probe", "RunContext", "ProbeResult"),
    "pathprobe.plan": ("Plan",),
    "pathprobe.planfields": ("Entry",),
    "pathprobe.model": ("PathMeasurement", "TargetMeasurement", "Observation", "HostPort"),
    "pathprobe.vocab": ("Reachability", "TlsVerdict", "Connectivity", "Signal", "Failure", "Role", "Step"),
    "pathprobe.errors": (
        "PathprobeError",
        "BadInput",
        "SummaryError",
        "ConsentRequired",
        "LabError",
        "Interrupted",
        "NetFailure",
    ),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "BadInput",
    "CheckOptions",
    "Connectivity",
    "ConsentRequired",
    "Entry",
    "Failure",
    "Finding",
    "FormerPublicRoot",
    "HostPort",
    "InterceptionRoot",
    "Interrupted",
    "LabError",
    "NetFailure",
    "Network",
    "Observation",
    "OfferedCertificate",
    "Path",
    "PathMeasurement",
    "PathprobeError",
    "Plan",
    "Portal",
    "Probe",
    "ProbeResult",
    "Profile",
    "Reachability",
    "Recommendation",
    "Role",
    "Roots",
    "RunContext",
    "Signal",
    "Step",
    "SummaryError",
    "Target",
    "TargetMeasurement",
    "TlsVerdict",
    "TrustStore",
    "__version__",
    "analyse",
    "load_profile",
    "load_roots",
    "run_check",
]


def __getattr__(name: str) -> Any:
    """Import an exported name from its module the first time it is asked for (PEP 562)."""
    home = _HOME_OF.get(name)
    if home is None:
        raise AttributeError(f"module 'pathprobe' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # next time, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
