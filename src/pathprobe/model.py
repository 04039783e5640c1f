"""Measurement data: what probes record, before any verdict.

Data flows one way: plan -> probes (I/O) -> :class:`PathMeasurement` -> pure analysis -> profile.
Everything here is a frozen dataclass and serialises to JSON with :func:`to_json`.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

from pathprobe.vocab import Reachability, Role, Step


@dataclass(frozen=True)
class HostPort:
    """A target's host (a name or an address) and TCP port; ``str()`` gives ``host[:port]`` (443 left out)."""

    host: str
    port: int = 443

    def __str__(self) -> str:
        if self.port == 443:
            return self.host
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class CertInfo:
    """One certificate as presented on the wire."""

    der: bytes
    sha256: str
    """SHA-256 of the DER certificate (hex)."""
    spki_sha256: str
    """SHA-256 of the DER SubjectPublicKeyInfo (hex)."""
    subject: str
    issuer: str
    not_before: str
    not_after: str
    san: tuple[str, ...]
    has_sct: bool
    """Whether the certificate carries embedded SCTs (precertificate SCT list extension)."""

    def to_json(self) -> dict[str, Any]:
        """The JSON form: the fields, and the DER as base64 in ``der_b64``."""
        return {
            "sha256": self.sha256,
            "spki_sha256": self.spki_sha256,
            "subject": self.subject,
            "issuer": self.issuer,
            "not_before": self.not_before,
            "not_after": self.not_after,
            "san": list(self.san),
            "has_sct": self.has_sct,
            "der_b64": base64.b64encode(self.der).decode("ascii"),
        }

    @staticmethod
    def from_json(d: dict[str, Any]) -> CertInfo:
        """Read :meth:`to_json`'s form; ``sha256`` is recomputed from the DER (which is not parsed).
        Raises KeyError when a required field is missing.
        """
        der = base64.b64decode(d["der_b64"])
        return CertInfo(
            der=der,
            sha256=hashlib.sha256(der).hexdigest(),
            spki_sha256=str(d["spki_sha256"]),
            subject=str(d["subject"]),
            issuer=str(d["issuer"]),
            not_before=str(d["not_before"]),
            not_after=str(d["not_after"]),
            san=tuple(d.get("san", [])),
            has_sct=bool(d.get("has_sct", False)),
        )


@dataclass(frozen=True)
class TlsEvidence:
    """What one TLS handshake showed: the whole presented chain, leaf first."""

    sni: str
    version: str
    cipher: str
    alpn: str | None
    chain: tuple[CertInfo, ...]

    def to_json(self) -> dict[str, Any]:
        """The JSON form, the chain leaf first."""
        return {
            "sni": self.sni,
            "version": self.version,
            "cipher": self.cipher,
            "alpn": self.alpn,
            "chain": [c.to_json() for c in self.chain],
        }

    @staticmethod
    def from_json(d: dict[str, Any]) -> TlsEvidence:
        """Read :meth:`to_json`'s form; raises KeyError when a required field is missing."""
        return TlsEvidence(
            sni=str(d["sni"]),
            version=str(d["version"]),
            cipher=str(d.get("cipher", "")),
            alpn=d.get("alpn"),
            chain=tuple(CertInfo.from_json(c) for c in d["chain"]),
        )


@dataclass(frozen=True)
class Observation:
    """One measured step on one path and target."""

    path: str
    target: str
    step: Step
    started_ms: float
    """Milliseconds since the check started."""
    duration_ms: float
    failure: str | None
    address: str | None = None
    """The far end's address (never this device's own)."""
    detail: dict[str, Any] = field(default_factory=dict)
    tls: TlsEvidence | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON form; times rounded to 0.1 ms, ``detail`` and ``tls`` left out when empty."""
        out: dict[str, Any] = {
            "path": self.path,
            "target": self.target,
            "step": self.step,
            "started_ms": round(self.started_ms, 1),
            "duration_ms": round(self.duration_ms, 1),
            "failure": self.failure,
            "address": self.address,
        }
        if self.detail:
            out["detail"] = self.detail
        if self.tls is not None:
            out["tls"] = self.tls.to_json()
        return out

    @staticmethod
    def from_json(d: dict[str, Any]) -> Observation:
        """Read :meth:`to_json`'s form; raises KeyError when ``path``, ``target`` or ``step`` is missing."""
        tls = d.get("tls")
        return Observation(
            path=str(d["path"]),
            target=str(d["target"]),
            step=d["step"],
            started_ms=float(d.get("started_ms", 0.0)),
            duration_ms=float(d.get("duration_ms", 0.0)),
            failure=d.get("failure"),
            address=d.get("address"),
            detail=dict(d.get("detail") or {}),
            tls=TlsEvidence.from_json(tls) if tls else None,
        )


@dataclass(frozen=True)
class TargetMeasurement:
    """All a probe measured for one target on one path.

    HTTPS targets carry ``tls`` (the chain) and leave ``reachability`` to the analysis.
    Targets that are not HTTPS (a VPN endpoint, a Tor authority's ORPort) carry the
    ``reachability`` their handshake showed, and their ``tls`` verdict is ``unverified``.
    """

    target: str
    role: Role
    observations: tuple[Observation, ...]
    tls: TlsEvidence | None = None
    failure: str | None = None
    """The first failing step's normalised failure string."""
    reachability: Reachability | None = None
    """Set only for non-HTTPS targets (handshakes)."""
    note: str | None = None
    """A plain explanation (e.g. why silence is ``unknown``)."""
    latency_ms: float | None = None
    extra_signals: tuple[str, ...] = ()
    """Signals measured by the probe itself (e.g. ``dns_tampering``)."""


@dataclass(frozen=True)
class PathMeasurement:
    """What one probe instance measured for one path."""

    id: str
    kind: str
    targets: tuple[TargetMeasurement, ...]
    untested_reason: str | None = None
    """Set when the path could not be tested at all (reachability ``unknown``)."""
    blocked_reason: str | None = None
    """Set when the probe decided from its own evidence that the path is blocked."""
    observations: tuple[Observation, ...] = ()
    """Path-level steps (bootstrap, resolver handshakes)."""
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Serialise the raw measurement (for golden files and debugging)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "untested_reason": self.untested_reason,
            "blocked_reason": self.blocked_reason,
            "observations": [o.to_json() for o in self.observations],
            "detail": self.detail,
            "targets": [
                {
                    "target": t.target,
                    "role": t.role,
                    "observations": [o.to_json() for o in t.observations],
                    "tls": t.tls.to_json() if t.tls else None,
                    "failure": t.failure,
                    "reachability": t.reachability,
                    "note": t.note,
                    "latency_ms": t.latency_ms,
                    "extra_signals": list(t.extra_signals),
                }
                for t in self.targets
            ],
        }

    @staticmethod
    def from_json(d: dict[str, Any]) -> PathMeasurement:
        """Read :meth:`to_json`'s form (a golden file's measurement); raises KeyError when a
        required field is missing. Values are not validated.
        """
        return PathMeasurement(
            id=d["id"],
            kind=d["kind"],
            untested_reason=d.get("untested_reason"),
            blocked_reason=d.get("blocked_reason"),
            observations=tuple(Observation.from_json(o) for o in d.get("observations", [])),
            detail=dict(d.get("detail") or {}),
            targets=tuple(
                TargetMeasurement(
                    target=t["target"],
                    role=t["role"],
                    observations=tuple(Observation.from_json(o) for o in t.get("observations", [])),
                    tls=TlsEvidence.from_json(t["tls"]) if t.get("tls") else None,
                    failure=t.get("failure"),
                    reachability=t.get("reachability"),
                    note=t.get("note"),
                    latency_ms=t.get("latency_ms"),
                    extra_signals=tuple(t.get("extra_signals", [])),
                )
                for t in d["targets"]
            ),
        )

    def all_observations(self) -> list[Observation]:
        """The path's own observations, then each target's, in target order."""
        out = list(self.observations)
        for t in self.targets:
            out.extend(t.observations)
        return out


@dataclass(frozen=True)
class PortalMeasurement:
    """What the portal probe found; fills ``network.portal``."""

    detected: bool | None
    host: str | None
    offered: tuple[dict[str, Any], ...]
    """Offered certificates: ``{"der": bytes, "over": "http"|"https"}`` before analysis."""
    failure: str | None
    observations: tuple[Observation, ...] = ()
