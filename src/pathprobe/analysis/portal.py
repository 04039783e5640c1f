"""``network.portal``: name the certificates a portal offers, and tie them to intercepted chains (pure).

For each offered certificate: its SHA-256 and SPKI SHA-256, subject, ``known_as`` (the shipped list of
known interception roots, by certificate or SPKI hash), ``in_device_store`` (by certificate or SPKI),
``anchors_interception`` and ``over``. A certificate *anchors interception* when some chain this check
saw, and that fails validation against the public roots, contains a certificate whose signature
verifies with the offered certificate's public key. Only the signature counts: names prove nothing
(anyone can write "Qaznet Trust Network" into a certificate). Such targets get the signal
``portal_offered_root`` (and ``known_interception_root`` when the offered certificate is a known one),
before their verdicts are computed.

A chain that validates against the public roots is never tied to an offered certificate: a portal that
links a public CA's certificate (it happens on help pages) does not make every site intercepted.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Sequence
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa

from pathprobe.analysis.roots import spki_sha256
from pathprobe.analysis.signals import TargetEvidence
from pathprobe.analysis.verdicts import Roots
from pathprobe.model import PortalMeasurement
from pathprobe.profile import OfferedCertificate, Portal
from pathprobe.vocab import Signal


def signed_by(cert: x509.Certificate, key: Any) -> bool:
    """Whether ``cert``'s signature verifies with the public ``key`` (no name is compared)."""
    sig, tbs = cert.signature, cert.tbs_certificate_bytes
    try:
        if isinstance(key, rsa.RSAPublicKey):
            params = cert.signature_algorithm_parameters
            hash_alg = cert.signature_hash_algorithm
            if not isinstance(params, padding.PKCS1v15 | padding.PSS) or hash_alg is None:
                return False
            key.verify(sig, tbs, params, hash_alg)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            ecdsa = cert.signature_algorithm_parameters
            if not isinstance(ecdsa, ec.ECDSA):
                return False
            key.verify(sig, tbs, ecdsa)
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(sig, tbs)
        elif isinstance(key, dsa.DSAPublicKey):
            hash_alg = cert.signature_hash_algorithm
            if not isinstance(hash_alg, hashes.HashAlgorithm):
                return False
            key.verify(sig, tbs, hash_alg)
        else:
            return False
    except Exception:  # InvalidSignature, or a malformed part cryptography reports in its own way
        return False
    return True


def _load(der: bytes) -> x509.Certificate | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return x509.load_der_x509_certificate(der)
        except Exception:  # never raise on a certificate from the network (DESIGN "Precise rules")
            return None


class _ChainCache:
    """Presented certificates parsed once, and (certificate, key) verifications done once."""

    def __init__(self) -> None:
        self.certs: dict[bytes, x509.Certificate | None] = {}
        self.checked: dict[tuple[bytes, str], bool] = {}

    def signed(self, der: bytes, key: Any, key_id: str) -> bool:
        k = (der, key_id)
        if k not in self.checked:
            if der not in self.certs:
                self.certs[der] = _load(der)
            cert = self.certs[der]
            self.checked[k] = cert is not None and signed_by(cert, key)
        return self.checked[k]


def _intercepted_candidates(items: Sequence[TargetEvidence]) -> list[TargetEvidence]:
    """Targets with a presented chain that the public roots do not accept."""
    return [
        ev
        for ev in items
        if ev.target.tls is not None and ev.target.tls.chain and ev.public is not None and not ev.public.valid
    ]


def analyse_portal(portal: PortalMeasurement, items: list[TargetEvidence], roots: Roots) -> Portal:
    """``network.portal``; adds ``portal_offered_root`` to the targets an offered key signed."""
    cache = _ChainCache()
    candidates = _intercepted_candidates(items)
    offered: list[OfferedCertificate] = []
    seen: set[str] = set()
    for item in portal.offered:
        der = item.get("der")
        cert = _load(der) if isinstance(der, bytes) else None
        if cert is None or not isinstance(der, bytes):
            continue
        sha = hashlib.sha256(der).hexdigest()
        if sha in seen:
            continue
        seen.add(sha)
        try:
            spki = spki_sha256(cert)
            key: Any = cert.public_key()
        except Exception:  # an unsupported or malformed key
            spki, key = "", None
        try:
            subject = cert.subject.rfc4514_string()[:512]
        except Exception:
            subject = "(unparseable)"
        known = roots.known.match(sha, spki)
        anchors = False
        if key is not None and not roots.public.contains(sha, spki):
            for ev in candidates:
                assert ev.target.tls is not None
                if any(cache.signed(c.der, key, sha) for c in ev.target.tls.chain):
                    anchors = True
                    ev.signals.add(Signal.PORTAL_OFFERED_ROOT)
                    if known is not None:
                        ev.signals.add(Signal.KNOWN_INTERCEPTION_ROOT)
                        if ev.known is None:
                            ev.known = known
        offered.append(
            OfferedCertificate(
                sha256=sha,
                spki_sha256=spki,
                subject=subject,
                known_as=known.label if known else None,
                in_device_store=roots.device.contains(sha, spki),
                anchors_interception=anchors,
                over="https" if item.get("over") == "https" else "http",
            )
        )
    return Portal(
        detected=portal.detected,
        host=portal.host,
        offered_certificates=tuple(offered),
        failure=portal.failure,
    )
