"""Root sets (public, device) and the known interception list, loaded once per check."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.verification import Store

from pathprobe.errors import BadInput


def spki_sha256(cert: x509.Certificate) -> str:
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).hexdigest()


def cert_sha256(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def parse_pem_bundle(data: bytes, source: str) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle; one bad block is an error naming the source."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # odd but real roots (negative serials) in system bundles
            certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise BadInput(f"{source}: not a PEM certificate bundle ({exc})") from None
    return certs


def load_pem_file(path: str | Path, what: str) -> list[x509.Certificate]:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise BadInput(f"{what} {path}: cannot read: {exc.strerror}") from None
    return parse_pem_bundle(data, f"{what} {path}")


@dataclass(frozen=True)
class RootSet:
    """A trust anchor set, usable for offline verification and for lookups by hash."""

    name: str
    certs: tuple[x509.Certificate, ...]
    by_sha256: frozenset[str]
    by_spki: frozenset[str]
    store: Store | None
    source: str

    @staticmethod
    def of(name: str, certs: list[x509.Certificate], source: str) -> RootSet:
        usable = []
        for c in certs:
            try:
                Store([c])
                usable.append(c)
            except (ValueError, TypeError):
                continue
        return RootSet(
            name=name,
            certs=tuple(usable),
            by_sha256=frozenset(cert_sha256(c) for c in usable),
            by_spki=frozenset(spki_sha256(c) for c in usable),
            store=Store(usable) if usable else None,
            source=source,
        )

    def contains(self, sha256: str, spki: str) -> bool:
        return sha256 in self.by_sha256 or (bool(spki) and spki in self.by_spki)


def public_roots(path: str | None) -> RootSet:
    """The Mozilla list (certifi) unless ``--public-roots`` overrides it."""
    if path:
        return RootSet.of("public", load_pem_file(path, "--public-roots"), str(path))
    import certifi

    return RootSet.of("public", load_pem_file(certifi.where(), "certifi bundle"), "certifi (Mozilla)")


@dataclass(frozen=True)
class KnownRoot:
    name: str
    year: str
    country: str
    sha256: str
    spki_sha256: str
    note: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.country}, {self.year})"


@dataclass(frozen=True)
class KnownRoots:
    entries: tuple[KnownRoot, ...]

    def match(self, sha256: str, spki: str) -> KnownRoot | None:
        for e in self.entries:
            if sha256 == e.sha256 or (spki and spki == e.spki_sha256):
                return e
        return None


def _parse_known(text: str, source: str) -> list[KnownRoot]:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines)), delimiter="\t"))
    out = []
    for i, r in enumerate(rows, start=1):
        try:
            sha, spki = r["sha256"].strip().lower(), r["spki_sha256"].strip().lower()
            name = r["name"].strip()
        except (KeyError, AttributeError):
            raise BadInput(f"{source}: row {i}: needs columns name, sha256, spki_sha256") from None
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha + spki):
            raise BadInput(f"{source}: row {i}: sha256/spki_sha256 must be hex SHA-256 values")
        out.append(KnownRoot(name, (r.get("year") or "").strip(), (r.get("country") or "").strip(), sha, spki,
                             (r.get("note") or "").strip()))
    return out


def known_roots(extra: str | None = None) -> KnownRoots:
    """The shipped list (Chromium's block list and others, see data/interception_roots/SOURCES.md)."""
    text = (resources.files("pathprobe") / "data" / "interception_roots.tsv").read_text("utf-8")
    entries = _parse_known(text, "interception_roots.tsv")
    if extra:
        try:
            extra_text = Path(extra).read_text("utf-8")
        except OSError as exc:
            raise BadInput(f"--known-roots {extra}: cannot read: {exc.strerror}") from None
        entries += _parse_known(extra_text, f"--known-roots {extra}")
    return KnownRoots(tuple(entries))


RETIRED = "retired"
"""Left Mozilla's list by age or at its owner's request: still a public root, only an old one."""
FOR_CAUSE = "for_cause"
"""Removed (or distrusted) by Mozilla for cause: no longer to be trusted at all."""
LEGACY_REASONS = (RETIRED, FOR_CAUSE)


@dataclass(frozen=True)
class LegacyRoot:
    """A root that an earlier Mozilla list trusted for TLS and today's does not (``legacy_roots.tsv``)."""

    spki_sha256: str
    sha256: str
    subject: str
    left: str
    """When it left the list (``YYYY-MM-DD``), or empty when not known (roots a person added)."""
    reason: str
    """:data:`RETIRED` or :data:`FOR_CAUSE`."""
    distrust_after: dt.date | None
    """Leaves issued after this day are not trusted even when the root itself was (NSS's distrust-after)."""
    source: str

    @property
    def for_cause(self) -> bool:
        return self.reason == FOR_CAUSE

    def distrusts(self, leaf_not_before: str) -> bool:
        """Whether a chain whose leaf was issued at ``leaf_not_before`` (ISO 8601) must not be trusted."""
        if self.for_cause:
            return True
        if self.distrust_after is None:
            return False
        try:
            issued = dt.datetime.fromisoformat(leaf_not_before).date()
        except ValueError:
            return True  # an issue date that cannot be read cannot be shown to precede the distrust
        return issued > self.distrust_after


@dataclass(frozen=True)
class LegacyRoots:
    """The retired and removed-for-cause roots, looked up by certificate or SPKI hash."""

    entries: tuple[LegacyRoot, ...] = ()
    by_sha256: Mapping[str, LegacyRoot] = field(default_factory=dict)
    by_spki: Mapping[str, LegacyRoot] = field(default_factory=dict)

    @staticmethod
    def of(entries: Iterable[LegacyRoot]) -> LegacyRoots:
        es = tuple(entries)
        return LegacyRoots(es, {e.sha256: e for e in es}, {e.spki_sha256: e for e in es})

    def match(self, sha256: str, spki: str) -> LegacyRoot | None:
        hit = self.by_sha256.get(sha256)
        if hit is None and spki:
            hit = self.by_spki.get(spki)
        return hit


LEGACY_COLUMNS = ("spki_sha256", "sha256", "subject", "left", "reason", "distrust_after", "source")


def _parse_legacy(text: str, source: str) -> list[LegacyRoot]:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    out = []
    for i, r in enumerate(csv.DictReader(io.StringIO("\n".join(lines)), delimiter="\t"), start=1):
        try:
            spki, sha = r["spki_sha256"].strip().lower(), r["sha256"].strip().lower()
            reason, after = r["reason"].strip(), r["distrust_after"].strip()
            entry = LegacyRoot(spki, sha, r["subject"].strip(), r["left"].strip(), reason,
                               dt.date.fromisoformat(after) if after else None, r["source"].strip())
        except (KeyError, AttributeError):
            raise BadInput(f"{source}: row {i}: needs the columns {', '.join(LEGACY_COLUMNS)}") from None
        except ValueError:
            raise BadInput(f"{source}: row {i}: distrust_after must be a date (YYYY-MM-DD)") from None
        if len(sha) != 64 or len(spki) != 64 or any(c not in "0123456789abcdef" for c in sha + spki):
            raise BadInput(f"{source}: row {i}: sha256/spki_sha256 must be hex SHA-256 values")
        if reason not in LEGACY_REASONS:
            raise BadInput(f"{source}: row {i}: reason must be {' or '.join(LEGACY_REASONS)}")
        out.append(entry)
    return out


def legacy_roots(extra_pem: str | None = None) -> LegacyRoots:
    """The shipped retired roots (``data/legacy_roots.tsv``, see data/SOURCES.md), plus
    ``--legacy-public-roots`` PEM roots, which count as retired by age."""
    text = (resources.files("pathprobe") / "data" / "legacy_roots.tsv").read_text("utf-8")
    entries = _parse_legacy(text, "legacy_roots.tsv")
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
