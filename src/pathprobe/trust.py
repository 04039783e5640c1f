"""Loading trust anchors (I/O): the device's own store (OS bundles, Windows and macOS stores), PEM
files given on the command line, certifi, and the lists shipped in the package. The analysis gets
the loaded sets (:mod:`pathprobe.analysis.roots`) and does no I/O itself."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from importlib import resources
from pathlib import Path

from cryptography import x509

from pathprobe.analysis.roots import (
    RETIRED,
    KnownRoots,
    LegacyRoot,
    LegacyRoots,
    RootSet,
    cert_sha256,
    parse_known,
    parse_legacy,
    parse_pem_bundle,
    spki_sha256,
)
from pathprobe.errors import BadInput
from pathprobe.i18n import _

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


def load_pem_file(path: str | Path, what: str) -> list[x509.Certificate]:
    """Every certificate in the PEM file at ``path``; raises :class:`BadInput` (starting with
    ``what`` and the path) when it cannot be read or is not a PEM bundle.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise BadInput(_("{what} {file}: cannot read: {reason}", what=what, file=path, reason=exc.strerror)) from None
    return parse_pem_bundle(data, f"{what} {path}")


def public_roots(path: str | None) -> RootSet:
    """The Mozilla list (certifi) unless ``--public-roots`` overrides it."""
    if path:
        return RootSet.of("public", load_pem_file(path, "--public-roots"), str(path))
    import certifi

    return RootSet.of("public", load_pem_file(certifi.where(), "certifi bundle"), "certifi (Mozilla)")


def known_roots(extra: str | None = None) -> KnownRoots:
    """The shipped list (Chromium's block list and others, see data/interception_roots/SOURCES.md)."""
    text = (resources.files("pathprobe") / "data" / "interception_roots.tsv").read_text("utf-8")
    entries = parse_known(text, "interception_roots.tsv")
    if extra:
        try:
            extra_text = Path(extra).read_text("utf-8")
        except OSError as exc:
            raise BadInput(_("--known-roots {file}: cannot read: {reason}", file=extra, reason=exc.strerror)) from None
        entries += parse_known(extra_text, f"--known-roots {extra}")
    return KnownRoots(tuple(entries))


def legacy_roots(extra_pem: str | None = None) -> LegacyRoots:
    """The shipped retired roots (``data/legacy_roots.tsv``, see data/SOURCES.md), plus
    ``--legacy-public-roots`` PEM roots, which count as retired by age."""
    text = (resources.files("pathprobe") / "data" / "legacy_roots.tsv").read_text("utf-8")
    entries = parse_legacy(text, "legacy_roots.tsv")
    if extra_pem:
        for c in load_pem_file(extra_pem, "--legacy-public-roots"):
            entries.append(LegacyRoot(spki_sha256(c), cert_sha256(c), c.subject.rfc4514_string()[:512], "",
                                      RETIRED, None, f"--legacy-public-roots {extra_pem}"))
    return LegacyRoots.of(entries)


def known_root_certs() -> list[x509.Certificate]:
    """The real certificates of the known interception roots shipped with the package."""
    folder = resources.files("pathprobe") / "data" / "interception_roots"
    out = []
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".pem"):
            out.extend(x509.load_pem_x509_certificates(item.read_bytes()))
    return out
