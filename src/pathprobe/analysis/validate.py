"""Offline validation of one presented chain against one root set, under the web-PKI policy."""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, VerificationError

from pathprobe.analysis.roots import RootSet, cert_sha256, spki_sha256
from pathprobe.model import TlsEvidence
from pathprobe.vocab import Failure

MAX_INTERMEDIATES = 16
"""Presented certificates beyond this are not offered to path building (a hostile 50-cert chain)."""


@dataclass(frozen=True)
class Validation:
    """The result of validating one chain against one root set: ``valid``, or the ``failure`` word (an
    ``ssl_*`` :class:`~pathprobe.vocab.Failure`) saying why not; ``path_sha256`` is the built path's
    certificate hashes, leaf first and root last (empty unless valid).
    """

    valid: bool
    failure: str | None
    anchor_sha256: str | None = None
    """The root of the built path (only when valid)."""
    path_sha256: tuple[str, ...] = ()
    anchor_spki_sha256: str | None = None
    """The SPKI hash of that root (only when valid)."""


def _subject(host: str) -> x509.DNSName | x509.IPAddress:
    try:
        return x509.IPAddress(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return x509.DNSName(host)


def classify_verification(msg: str) -> str:
    """The failure word for a cryptography ``VerificationError`` message: ``ssl_invalid_hostname`` (no name
    matches the host), ``ssl_unknown_authority`` (no path to one of the roots), else
    ``ssl_invalid_certificate``.
    """
    m = msg.lower()
    if "no matching subjectaltname" in m:
        return Failure.SSL_INVALID_HOSTNAME
    if "candidates exhausted" in m or "no valid path" in m or "unknown issuer" in m:
        return Failure.SSL_UNKNOWN_AUTHORITY
    return Failure.SSL_INVALID_CERTIFICATE


@functools.lru_cache(maxsize=4096)
def _parsed(der: bytes) -> x509.Certificate:
    """Load one presented certificate and read every part path building relies on, so a malformed one
    (bad encodings, duplicate extensions) is found here, as a browser's parser would find it. Cached:
    each chain is validated against two stores, and CDNs present the same intermediates many times."""
    cert = x509.load_der_x509_certificate(der)
    cert.subject.rfc4514_string()
    cert.issuer.rfc4514_string()
    _ = cert.extensions
    cert.public_key()
    return cert


def validate(evidence: TlsEvidence, host: str, roots: RootSet, now: dt.datetime | None = None) -> Validation:
    """Build and check a path from the leaf to ``roots`` for ``host`` (cryptography's policy)."""
    if not evidence.chain:
        return Validation(False, Failure.SSL_INVALID_CERTIFICATE)
    if roots.store is None:
        return Validation(False, Failure.SSL_UNKNOWN_AUTHORITY)
    builder = PolicyBuilder().store(roots.store)
    if now is not None:
        builder = builder.time(now)
    # Certificates from the network may be malformed in ways cryptography reports with its own
    # exception classes (DuplicateExtension, UnsupportedGeneralNameType, ...), not ValueError: any
    # failure to parse or check them is an invalid certificate, never an error out of the analysis.
    try:
        leaf = _parsed(evidence.chain[0].der)
        inters = [_parsed(c.der) for c in evidence.chain[1 : 1 + MAX_INTERMEDIATES]]
        verifier = builder.build_server_verifier(_subject(host))
        built = verifier.verify(leaf, inters)
        path = tuple(cert_sha256(c) for c in built)
        anchor_spki = spki_sha256(built[-1])
    except VerificationError as exc:
        return Validation(False, classify_verification(str(exc)))
    except Exception:
        return Validation(False, Failure.SSL_INVALID_CERTIFICATE)
    return Validation(True, None, anchor_sha256=path[-1], path_sha256=path, anchor_spki_sha256=anchor_spki)
