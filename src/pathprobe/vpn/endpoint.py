"""Endpoints that are reached directly (OpenVPN, WireGuard, a proxy's own address): name, resolution."""

from __future__ import annotations

import asyncio

from pathprobe.net.dns import is_ip, system_resolve
from pathprobe.net.failures import NetFailure, classify
from pathprobe.net.sitecheck import HostPort, Recorder


def label(hp: HostPort, transport: str) -> str:
    """The target name in the profile: ``host:port/udp`` (the port always shown)."""
    host = f"[{hp.host}]" if ":" in hp.host else hp.host
    return f"{host}:{hp.port}/{transport}"


def address(addr: str, port: int) -> str:
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


async def resolve(hp: HostPort, rec: Recorder, purpose: str) -> tuple[str, ...]:
    """The endpoint's addresses from the system resolver (a literal needs no step)."""
    if is_ip(hp.host):
        return (hp.host.strip("[]"),)
    start = rec.now_ms()
    try:
        async with asyncio.timeout(rec.timeout):
            answer = await system_resolve(hp.host, rec.timeout)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        failure = classify(exc)
        rec.add("dns", start, failure, detail={"resolver": "system", "for": purpose})
        raise NetFailure(failure) from exc
    rec.add("dns", start, None, detail={"resolver": answer.source, "for": purpose,
                                        "answers": list(answer.addresses)})
    return answer.addresses
