"""Path ids and kinds, as the profile spells them (pure): shared by the recommendation and the advice."""

from __future__ import annotations

PRIVACY_ORDER = ("tor", "vpn", "doh", "direct")
"""More privacy first: Tor, then a VPN or proxy, then DNS-over-HTTPS, then the plain network.
Kinds not listed (third-party plug-ins, the example kind) come after ``direct``."""


def path_kind(path_id: str, kind: str | None = None) -> str:
    """The kind of a path: its id's prefix (``tor:obfs4`` -> ``tor``), else its ``kind`` field (else the id)."""
    if ":" in path_id:
        return path_id.split(":", 1)[0]
    if path_id in PRIVACY_ORDER:
        return path_id
    return path_id if kind is None else kind
