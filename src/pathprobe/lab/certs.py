"""The lab's certificate authorities: one "public" root (what every lab device trusts, like the
Mozilla list) and the censors' interception roots, built with :mod:`pathprobe.lab.servers.pki`.

Keys and certificates are cached between runs under ``$XDG_CACHE_HOME/pathprobe/lab`` (default
``~/.cache/pathprobe/lab``) so reference profiles and workshop devices keep the same roots; a cached
certificate that expires within 30 days is made again. Leaves are issued fresh for every run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from pathprobe.lab.servers.pki import CA, load_ca

PUBLIC_ROOT = {"cn": "pathprobe lab Public Root", "org": "pathprobe lab", "country": None}
RETIRED_ROOT = {"cn": "pathprobe lab Retired Root", "org": "pathprobe lab", "country": None}
"""A root the lab's "earlier Mozilla list" trusted and today's does not (like DigiCert Global Root CA):
devices that still trust it are not intercepted by it."""


@dataclass(frozen=True)
class RootSpec:
    """A CA's subject: what a scenario writes as ``{ cn = ..., org = ..., country = ... }``."""

    cn: str
    org: str | None = None
    country: str | None = None

    def slug(self) -> str:
        """16 hex characters naming this subject in the cache (a hash of CN, O and C)."""
        text = f"{self.cn}\0{self.org or ''}\0{self.country or ''}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def cache_dir() -> Path:
    """Where the lab's CAs are cached: ``$XDG_CACHE_HOME/pathprobe/lab`` (default
    ``~/.cache/pathprobe/lab``).
    """
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pathprobe" / "lab"


def _fresh(cert: x509.Certificate) -> bool:
    return cert.not_valid_after_utc - dt.datetime.now(dt.UTC) > dt.timedelta(days=30)


def _save(ca: CA, stem: Path) -> None:
    stem.parent.mkdir(parents=True, exist_ok=True)
    key = stem.with_suffix(".key")
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(ca.key_pem())
    stem.with_suffix(".pem").write_bytes(ca.cert_pem())


def _load(stem: Path, parent: CA | None) -> CA | None:
    try:
        ca = load_ca(stem.with_suffix(".pem").read_bytes(), stem.with_suffix(".key").read_bytes())
    except (OSError, ValueError, AssertionError):
        return None
    if not _fresh(ca.cert):
        return None
    if parent is not None:
        if ca.cert.issuer != parent.cert.subject:
            return None
        try:
            ca.cert.verify_directly_issued_by(parent.cert)
        except (ValueError, TypeError, InvalidSignature):
            return None
        ca.parent = parent
    return ca


def cached_ca(spec: RootSpec, stem: Path, parent: CA | None = None) -> CA:
    """The CA cached at ``stem`` (.pem/.key), made (and cached) when missing, stale or re-parented."""
    ca = _load(stem, parent)
    if ca is None:
        ca = CA(spec.cn, spec.org, spec.country, parent=parent, days=3650 if parent is None else 1825)
        _save(ca, stem)
    return ca


def public_ca(base: Path | None = None) -> CA:
    """The lab public root, from the cache under ``base`` (default :func:`cache_dir`) or made anew."""
    base = base or cache_dir()
    return cached_ca(RootSpec(**PUBLIC_ROOT), base / "public-root")  # type: ignore[arg-type]


def retired_ca(base: Path | None = None) -> CA:
    """The lab's retired root, from the cache under ``base`` (default :func:`cache_dir`) or made anew."""
    base = base or cache_dir()
    return cached_ca(RootSpec(**RETIRED_ROOT), base / "retired-root")  # type: ignore[arg-type]


@dataclass
class Interceptor:
    """An interception root and the optional intermediate that signs the forged leaves."""

    root: CA
    intermediate: CA | None

    @property
    def signer(self) -> CA:
        """The CA that signs the forged leaves: the intermediate when there is one, else the root."""
        return self.intermediate or self.root

    def mitmproxy_ca_pem(self) -> bytes:
        """mitmproxy's ``mitmproxy-ca.pem``: the signer's key, then the chain it presents after the leaf."""
        chain = [self.signer.cert_pem()]
        if self.intermediate is not None:
            chain.append(self.root.cert_pem())
        return self.signer.key_pem() + b"".join(chain)

    def root_sha256(self) -> str:
        """The hex SHA-256 of the root's DER: what ``lab check`` looks for in a profile's findings."""
        return hashlib.sha256(self.root.cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def interceptor(root: RootSpec, intermediate: RootSpec | None, base: Path | None = None) -> Interceptor:
    """The interception root for ``root`` (and its intermediate, when given), from the cache under
    ``base``/interceptors or made anew; an intermediate is cached per root.
    """
    base = (base or cache_dir()) / "interceptors"
    r = cached_ca(root, base / f"root-{root.slug()}")
    inter = (
        cached_ca(intermediate, base / f"sub-{root.slug()}-{intermediate.slug()}", r)
        if intermediate
        else None
    )
    return Interceptor(r, inter)
