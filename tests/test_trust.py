"""The shipped formerly-public root list (src/pathprobe/data/legacy_roots.tsv): its form and its coverage.

No network: only the shipped files, the certifi bundle installed here and, when present, the OS store.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import warnings
from functools import cache
from importlib.metadata import version
from pathlib import Path

import certifi
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

DATA = Path(__file__).resolve().parent.parent / "src" / "pathprobe" / "data"
LEGACY = DATA / "legacy_roots.tsv"
COLUMNS = ["spki_sha256", "sha256", "subject", "left", "reason", "distrust_after", "source"]
DEBIAN_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# update-ca-certificates appends the administrator's own CAs from here; they never were Mozilla roots.
LOCAL_CA_DIR = Path("/usr/local/share/ca-certificates")
# Roots of an OS store that certifi lacks and that never were in Mozilla's list: none known for
# Debian 12 (ca-certificates 20230311+deb12u1). Add {spki_sha256: reason} here if one turns up.
NEVER_MOZILLA: dict[str, str] = {}
PEM_RE = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


def _data_lines(path: Path) -> list[str]:
    return [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]


@cache
def rows() -> list[dict[str, str]]:
    lines = _data_lines(LEGACY)
    assert lines[0].split("\t") == COLUMNS
    out = []
    for ln in lines[1:]:
        cells = ln.split("\t")
        assert len(cells) == len(COLUMNS), ln
        out.append(dict(zip(COLUMNS, cells, strict=True)))
    return out


def _fingerprints(pem: bytes) -> list[tuple[str, str, str]]:
    """(sha256, spki_sha256, subject) of each certificate in a PEM bundle."""
    out = []
    for m in PEM_RE.finditer(pem):
        with warnings.catch_warnings():  # old roots: negative serials, over-long attributes
            warnings.simplefilter("ignore")
            cert = x509.load_pem_x509_certificate(m.group(0))
            subject = cert.subject.rfc4514_string()
        der = cert.public_bytes(serialization.Encoding.DER)
        spki = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        out.append((hashlib.sha256(der).hexdigest(), hashlib.sha256(spki).hexdigest(), subject))
    return out


@cache
def certifi_spkis() -> frozenset[str]:
    return frozenset(spki for _, spki, _ in _fingerprints(Path(certifi.where()).read_bytes()))


def _reference_certifi() -> str:
    text = LEGACY.read_text(encoding="utf-8")
    m = re.search(r"Reference: certifi (\S+?)\.?$", text, re.M)
    assert m, "header names the reference certifi release"
    return m.group(1)


def _version_key(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v))


def _interception() -> set[str]:
    lines = _data_lines(DATA / "interception_roots.tsv")
    out: set[str] = set()
    for row in csv.DictReader(lines, delimiter="\t"):
        out.update(v.lower() for v in (row["sha256"], row["spki_sha256"]) if v)
    return out


def _find(subject_part: str) -> list[dict[str, str]]:
    found = [r for r in rows() if subject_part in r["subject"]]
    assert found, f"no row for {subject_part!r}"
    return found


def test_rows_parse() -> None:
    assert len(rows()) > 100
    for r in rows():
        assert re.fullmatch(r"[0-9a-f]{64}", r["spki_sha256"]), r
        assert re.fullmatch(r"[0-9a-f]{64}", r["sha256"]), r
        assert r["subject"] and r["subject"] == r["subject"].strip()
        assert r["reason"] in {"retired", "for_cause"}, r
        dt.date.fromisoformat(r["left"])
        if r["distrust_after"]:
            dt.date.fromisoformat(r["distrust_after"])
        assert r["source"], r
    assert len({r["sha256"] for r in rows()}) == len(rows())
    subjects = [r["subject"] for r in rows()]
    assert subjects == sorted(subjects)
    assert LEGACY.stat().st_size < 100_000  # fingerprints only, no PEM bodies


@pytest.mark.parametrize(
    "subject",
    [
        "CN=DigiCert Global Root CA,OU=www.digicert.com,O=DigiCert Inc,C=US",
        "CN=DigiCert High Assurance EV Root CA,OU=www.digicert.com,O=DigiCert Inc,C=US",
        "CN=DigiCert Assured ID Root CA,OU=www.digicert.com,O=DigiCert Inc,C=US",
        "CN=GlobalSign Root CA,OU=Root CA,O=GlobalSign nv-sa,C=BE",
        "CN=Baltimore CyberTrust Root,OU=CyberTrust,O=Baltimore,C=IE",
        "CN=AAA Certificate Services,O=Comodo CA Limited,L=Salford,ST=Greater Manchester,C=GB",
        "OU=Go Daddy Class 2 Certification Authority,O=The Go Daddy Group\\, Inc.,C=US",
        "OU=Starfield Class 2 Certification Authority,O=Starfield Technologies\\, Inc.,C=US",
    ],
)
def test_widely_used_retired_roots_are_retired(subject: str) -> None:
    found = [r for r in rows() if r["subject"] == subject]
    assert found, subject
    assert all(r["reason"] == "retired" for r in found), found


@pytest.mark.parametrize("subject_part", ["O=TrustCor Systems", "E-Tugra", "CN=DigiNotar Root CA"])
def test_distrusted_roots_are_for_cause(subject_part: str) -> None:
    assert all(r["reason"] == "for_cause" for r in _find(subject_part))


def test_distrust_dates() -> None:
    for r in _find("O=TrustCor Systems"):
        assert r["distrust_after"] == "2022-11-30"
    entrust = [r for r in _find("CN=Entrust Root Certification Authority") if "G4" not in r["subject"]]
    assert entrust and all(r["distrust_after"] == "2024-11-30" for r in entrust)


def test_no_known_interception_root() -> None:
    known = _interception()
    assert known
    leaked = [r["subject"] for r in rows() if r["sha256"] in known or r["spki_sha256"] in known]
    assert not leaked


def test_no_key_is_still_in_certifi() -> None:
    reference, installed = _reference_certifi(), version("certifi")
    if _version_key(installed) < _version_key(reference):
        pytest.skip(f"installed certifi {installed} is older than the list's reference {reference}")
    still = [r["subject"] for r in rows() if r["spki_sha256"] in certifi_spkis()]
    assert not still


def test_os_store_roots_missing_from_certifi_are_covered() -> None:
    """Every root of the OS store that certifi lacks is a formerly public root (the point of the list)."""
    if not DEBIAN_BUNDLE.is_file():
        pytest.skip(f"no {DEBIAN_BUNDLE}")
    local = set()
    if LOCAL_CA_DIR.is_dir():
        for f in LOCAL_CA_DIR.rglob("*.crt"):
            local.update(spki for _, spki, _ in _fingerprints(f.read_bytes()))
    covered = {r["spki_sha256"] for r in rows()} | {r["sha256"] for r in rows()}
    known = _interception()
    missing = [
        subject
        for sha, spki, subject in _fingerprints(DEBIAN_BUNDLE.read_bytes())
        if spki not in certifi_spkis()
        and spki not in local
        and spki not in NEVER_MOZILLA
        and sha not in known
        and spki not in known
        and sha not in covered
        and spki not in covered
    ]
    assert not missing, "OS-store roots neither in certifi nor in legacy_roots.tsv:\n" + "\n".join(missing)
