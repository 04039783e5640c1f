"""Path ids and kinds, as the profile dict spells them (pure): shared by the recommendation and the advice."""

from __future__ import annotations

from typing import Any

PRIVACY_ORDER = ("tor", "vpn", "doh", "direct")
"""More privacy first: Tor, then a VPN or proxy, then DNS-over-HTTPS, then the plain network.
Kinds not listed (third-party plug-ins, the example kind) come after ``direct``."""


def path_kind(path: dict[str, Any]) -> str:
    """The kind of a path: its id's prefix (``tor:obfs4`` -> ``tor``), else its ``kind`` field."""
    pid = str(path.get("id", ""))
    if ":" in pid:
        return pid.split(":", 1)[0]
    if pid in PRIVACY_ORDER:
        return pid
    return str(path.get("kind", pid))
