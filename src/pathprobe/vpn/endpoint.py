"""Endpoints that are reached directly (OpenVPN, WireGuard, a proxy's own address): name, resolution."""

from __future__ import annotations

from pathprobe.model import HostPort, TargetMeasurement
from pathprobe.net.sitecheck import Recorder, resolve_step
from pathprobe.vocab import Reachability, Role


def label(hp: HostPort, transport: str) -> str:
    """The target name in the profile: ``host:port/udp`` (the port always shown)."""
    host = f"[{hp.host}]" if ":" in hp.host else hp.host
    return f"{host}:{hp.port}/{transport}"


def address(addr: str, port: int) -> str:
    """``addr:port`` for the ``address`` field of an observation (``[addr]:port`` for IPv6)."""
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


async def resolve(hp: HostPort, rec: Recorder, purpose: str) -> tuple[str, ...]:
    """The endpoint's addresses from the system resolver (a literal needs no step)."""
    return await resolve_step(hp.host, rec, purpose)


def outcome(
    rec: Recorder, reach: Reachability, failure: str | None, note: str | None, latency: float | None = None
) -> TargetMeasurement:
    """An endpoint target with what its handshake showed (its observations so far included)."""
    return TargetMeasurement(rec.target, Role.ENDPOINT, tuple(rec.observations), failure=failure,
                             reachability=reach, note=note, latency_ms=latency)
