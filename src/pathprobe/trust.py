"""The device's own trust store, and the audit of it against the known interception roots."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

from cryptography import x509

from pathprobe.analysis.roots import KnownRoots, LegacyRoots, RootSet, cert_sha256, load_pem_file, spki_sha256

LINUX_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Alpine
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL
    "/etc/ssl/ca-bundle.pem",  # openSUSE
    "/etc/ssl/cert.pem",  # Arch, macOS (LibreSSL), BSD
)


def _os_certs() -> tuple[list[x509.Certificate], str]:
    env = os.environ.get("SSL_CERT_FILE")
    candidates = [env] if env else []
    paths = ssl.get_default_verify_paths()
    if paths.cafile:
        candidates.append(paths.cafile)
    candidates += list(LINUX_BUNDLES)
    if sys.platform == "win32":  # pragma: no cover - platform specific
        certs = []
        for store in ("ROOT", "CA"):
            for der, enc, _trust in ssl.enum_certificates(store):  # type: ignore[attr-defined]
                if enc == "x509_asn":
                    try:
                        certs.append(x509.load_der_x509_certificate(der))
                    except ValueError:
                        continue
        return certs, "Windows certificate store"
    if sys.platform == "darwin":  # pragma: no cover - platform specific
        try:
            out = subprocess.run(
                ["security", "find-certificate", "-a", "-p",
                 "/System/Library/Keychains/SystemRootCertificates.keychain", "/Library/Keychains/System.keychain"],
                capture_output=True, timeout=20, check=False,
            ).stdout
            return x509.load_pem_x509_certificates(out), "macOS keychains"
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass
    for c in candidates:
        if c and Path(c).is_file():
            return load_pem_file(c, "device trust store"), c
    return [], "no system trust store found"


def device_roots(path: str | None) -> RootSet:
    """The OS store unless ``--device-roots`` overrides it."""
    if path:
        return RootSet.of("device", load_pem_file(path, "--device-roots"), str(path))
    certs, source = _os_certs()
    return RootSet.of("device", certs, source)


def audit(device: RootSet, known: KnownRoots) -> list[dict[str, Any]]:
    """Device roots that match a known interception certificate (by certificate or SPKI hash)."""
    out = []
    for c in device.certs:
        sha, spki = cert_sha256(c), spki_sha256(c)
        hit = known.match(sha, spki)
        if hit:
            out.append({"sha256": sha, "spki_sha256": spki, "subject": c.subject.rfc4514_string(),
                        "known_as": hit.label})
    return out


def legacy_audit(device: RootSet, legacy: LegacyRoots, known: KnownRoots) -> tuple[list[dict[str, Any]], int]:
    """Device roots that Mozilla removed for cause (listed: a real risk), and how many are merely retired.

    Known interception roots are left to :func:`audit`: they are never counted as formerly public."""
    for_cause: list[dict[str, Any]] = []
    retired = 0
    for c in device.certs:
        sha, spki = cert_sha256(c), spki_sha256(c)
        hit = legacy.match(sha, spki)
        if hit is None or known.match(sha, spki) is not None:
            continue
        if hit.for_cause:
            for_cause.append({"sha256": sha, "spki_sha256": spki, "subject": c.subject.rfc4514_string(),
                              "left": hit.left or None,
                              "distrust_after": hit.distrust_after.isoformat() if hit.distrust_after else None,
                              "source": hit.source})
        else:
            retired += 1
    return for_cause, retired
