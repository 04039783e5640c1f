"""Root sets (public, device), the known interception list and the formerly public roots: the pure
side (types, parsing of text already read, lookups, audits). Reading files and the OS store is
:mod:`pathprobe.trust`'s job, done before the analysis."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.verification import Store

from pathprobe.errors import BadInput
from pathprobe.i18n import _
from pathprobe.profile import InterceptionRoot


def spki_sha256(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER SubjectPublicKeyInfo, as lower-case hex (what the ``spki_sha256``
    columns and Chromium's block list match; it survives re-issuing with the same key).
    """
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).hexdigest()


def cert_sha256(cert: x509.Certificate) -> str:
    """SHA-256 of the whole DER certificate, as lower-case hex (the certificate's fingerprint)."""
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def parse_pem_bundle(data: bytes, source: str) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle; one bad block is an error naming the source."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # odd but real roots (negative serials) in system bundles
            certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise BadInput(_("{source}: not a PEM certificate bundle ({reason})", source=source, reason=exc)) from None
    return certs


@dataclass(frozen=True)
class RootSet:
    """A trust anchor set, usable for offline verification and for lookups by hash."""

    name: str
    certs: tuple[x509.Certificate, ...]
    hashes: tuple[tuple[str, str], ...]
    """``(certificate SHA-256, SPKI SHA-256)`` of each of :attr:`certs`, in the same order (hashed once)."""
    store: Store | None
    source: str
    by_sha256: Mapping[str, x509.Certificate] = field(default_factory=dict)
    """The certificates by their SHA-256."""
    by_spki: frozenset[str] = frozenset()

    @staticmethod
    def of(name: str, certs: list[x509.Certificate], source: str) -> RootSet:
        """A root set of ``certs``, silently dropping any certificate cryptography's verification ``Store``
        refuses; ``store`` is None when none is left (then nothing validates against it).
        """
        usable = []
        for c in certs:
            try:
                Store([c])
                usable.append(c)
            except (ValueError, TypeError):
                continue
        hashes = tuple((cert_sha256(c), spki_sha256(c)) for c in usable)
        return RootSet(
            name=name,
            certs=tuple(usable),
            hashes=hashes,
            store=Store(usable) if usable else None,
            source=source,
            by_sha256={sha: c for (sha, _), c in zip(hashes, usable, strict=True)},
            by_spki=frozenset(spki for _, spki in hashes),
        )

    def hashed(self) -> Iterator[tuple[x509.Certificate, str, str]]:
        """Each certificate with its certificate and SPKI SHA-256."""
        for c, (sha, spki) in zip(self.certs, self.hashes, strict=True):
            yield c, sha, spki

    def subject_of(self, sha256: str) -> str | None:
        """The RFC 4514 subject of the set's certificate with this SHA-256, or None."""
        cert = self.by_sha256.get(sha256)
        return cert.subject.rfc4514_string() if cert is not None else None

    def contains(self, sha256: str, spki: str) -> bool:
        """Whether a certificate is in the set, by its certificate hash or, when ``spki`` is not empty, by its
        SPKI hash (both lower-case hex).
        """
        return sha256 in self.by_sha256 or (bool(spki) and spki in self.by_spki)


@dataclass(frozen=True)
class KnownRoot:
    """One row of the known interception roots (``interception_roots.tsv``, or a ``--known-roots`` file):
    matched by certificate hash (``sha256``) or SPKI hash, both lower-case hex; ``year``, ``country`` and
    ``note`` may be empty.
    """

    name: str
    year: str
    country: str
    sha256: str
    spki_sha256: str
    note: str

    @property
    def label(self) -> str:
        """How profiles and reports name it (``known_as``): ``name (country, year)``, e.g.
        ``Qaznet Trust Network (KZ, 2019)``.
        """
        return f"{self.name} ({self.country}, {self.year})"


@dataclass(frozen=True)
class KnownRoots:
    """The known interception roots in list order (as :func:`pathprobe.trust.known_roots` reads them: the
    shipped list, then any ``--known-roots`` rows).
    """

    entries: tuple[KnownRoot, ...]

    def match(self, sha256: str, spki: str) -> KnownRoot | None:
        """The first entry with this certificate hash or, when ``spki`` is not empty, this SPKI hash; None
        when none matches.
        """
        for e in self.entries:
            if sha256 == e.sha256 or (spki and spki == e.spki_sha256):
                return e
        return None


def parse_known(text: str, source: str) -> list[KnownRoot]:
    """The rows of a known-roots TSV (a header row naming at least ``name``, ``sha256`` and ``spki_sha256``;
    ``year``, ``country`` and ``note`` optional; blank lines and ``#`` lines skipped), hashes lower-cased.
    Raises :class:`BadInput` naming ``source`` and the data row (counted from 1) for a missing column or a
    hash that is not hex (``sha256``: exactly 64 digits).
    """
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines)), delimiter="\t"))
    out = []
    for i, r in enumerate(rows, start=1):
        try:
            sha, spki = r["sha256"].strip().lower(), r["spki_sha256"].strip().lower()
            name = r["name"].strip()
        except (KeyError, AttributeError):
            raise BadInput(_("{source}: row {row}: needs columns name, sha256, spki_sha256", source=source, row=i)) from None
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha + spki):
            raise BadInput(_("{source}: row {row}: sha256/spki_sha256 must be hex SHA-256 values", source=source,
                             row=i))
        out.append(KnownRoot(name, (r.get("year") or "").strip(), (r.get("country") or "").strip(), sha, spki,
                             (r.get("note") or "").strip()))
    return out


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
        """True when Mozilla removed (or distrusted) the root for cause (``reason`` is :data:`FOR_CAUSE`),
        False when it was merely retired.
        """
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
        """The roots indexed by certificate hash and by SPKI hash (of two entries with one hash, the later one
        is found).
        """
        es = tuple(entries)
        return LegacyRoots(es, {e.sha256: e for e in es}, {e.spki_sha256: e for e in es})

    def match(self, sha256: str, spki: str) -> LegacyRoot | None:
        """The entry with this certificate hash, else (when ``spki`` is not empty) the one with this SPKI
        hash; None when neither is listed.
        """
        hit = self.by_sha256.get(sha256)
        if hit is None and spki:
            hit = self.by_spki.get(spki)
        return hit


LEGACY_COLUMNS = ("spki_sha256", "sha256", "subject", "left", "reason", "distrust_after", "source")


def parse_legacy(text: str, source: str) -> list[LegacyRoot]:
    """The rows of a legacy-roots TSV (a header row with the :data:`LEGACY_COLUMNS`; blank lines and ``#``
    lines skipped), hashes lower-cased and an empty ``distrust_after`` read as None. Raises :class:`BadInput`
    naming ``source`` and the data row (counted from 1) for a missing column, a ``distrust_after`` that is not
    a ``YYYY-MM-DD`` date, a hash that is not 64 hex digits, or a ``reason`` other than :data:`RETIRED` and
    :data:`FOR_CAUSE`.
    """
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    out = []
    for i, r in enumerate(csv.DictReader(io.StringIO("\n".join(lines)), delimiter="\t"), start=1):
        try:
            spki, sha = r["spki_sha256"].strip().lower(), r["sha256"].strip().lower()
            reason, after = r["reason"].strip(), r["distrust_after"].strip()
            entry = LegacyRoot(spki, sha, r["subject"].strip(), r["left"].strip(), reason,
                               dt.date.fromisoformat(after) if after else None, r["source"].strip())
        except (KeyError, AttributeError):
            raise BadInput(_("{source}: row {row}: needs the columns {columns}", source=source, row=i,
                             columns=", ".join(LEGACY_COLUMNS))) from None
        except ValueError:
            raise BadInput(_("{source}: row {row}: distrust_after must be a date (YYYY-MM-DD)", source=source,
                             row=i)) from None
        if len(sha) != 64 or len(spki) != 64 or any(c not in "0123456789abcdef" for c in sha + spki):
            raise BadInput(_("{source}: row {row}: sha256/spki_sha256 must be hex SHA-256 values", source=source,
                             row=i))
        if reason not in LEGACY_REASONS:
            raise BadInput(_("{source}: row {row}: reason must be {first} or {second}", source=source, row=i,
                             first=LEGACY_REASONS[0], second=LEGACY_REASONS[1]))
        out.append(entry)
    return out


def audit_known(device: RootSet, known: KnownRoots) -> tuple[InterceptionRoot, ...]:
    """Device roots that match a known interception certificate (by certificate or SPKI hash)."""
    out = []
    for c, sha, spki in device.hashed():
        hit = known.match(sha, spki)
        if hit:
            out.append(InterceptionRoot(sha256=sha, spki_sha256=spki, subject=c.subject.rfc4514_string(),
                                        known_as=hit.label))
    return tuple(out)


def audit_legacy(device: RootSet, legacy: LegacyRoots, known: KnownRoots) -> tuple[list[dict[str, Any]], int]:
    """Device roots that Mozilla removed for cause (listed: a real risk), and how many are merely retired.

    Known interception roots are left to :func:`audit_known`: they are never counted as formerly public."""
    for_cause: list[dict[str, Any]] = []
    retired = 0
    for c, sha, spki in device.hashed():
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
