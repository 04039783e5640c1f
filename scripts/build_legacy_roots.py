#!/usr/bin/env python3
"""Build src/pathprobe/data/legacy_roots.tsv: roots Mozilla's list once trusted for TLS and no longer does.

What the file is for
--------------------
Operating systems keep roots for years after Mozilla's root program retires them (Debian 12's
/etc/ssl/certs/ca-certificates.crt has about 50 roots today's certifi lacks: DigiCert Global Root CA,
GlobalSign Root CA, Baltimore CyberTrust Root, Comodo "AAA Certificate Services", Go Daddy / Starfield
Class 2, Entrust, ...). A chain that the device store anchors at one of them and that certifi does not
trust is not interception. pathprobe ships them by SPKI SHA-256 (and certificate SHA-256), each with
why and when it left Mozilla's list and any "distrust after" date (DESIGN.md, "Formerly public roots are
not interceptors").

Where the roots come from
-------------------------
* Historical certifi releases from PyPI. Each release's cacert.pem is a snapshot of Mozilla's list of
  roots trusted for TLS (certifi, and before 1.0 curl's mk-ca-bundle, keep only roots with the
  websites trust bit). Releases are fetched through PyPI's JSON API (https://pypi.org/pypi/certifi/<v>/json;
  the wheel when there is one, otherwise the sdist) and checked against the SHA-256 digest PyPI
  publishes. (`pip download` is not used: for the 2011-2014 sdists it has to run their setup.py.)
* SAMPLE below: two releases a year, from certifi 0.0.1 (Mozilla data of 2011-11-03) to the newest,
  2026.10.19.post1 (the version installed in pathprobe's venv). `--check-dense` downloads every
  certifi release on PyPI (77 when this was built, the newest uploaded 2026-10-22) and compares: the
  dense union holds exactly the same 304 certificates / 295 keys as the sample, so further releases add
  no roots. "left" is only as fine as the sample: up to about six months after the real removal.
* Every PEM bundle a release ships counts: cacert.pem, and in 2015.x-2017.x also old_root.pem and
  weak.pem (cacert.pem plus the 1024-bit roots Mozilla removed in 2014-2015, kept by certifi for
  compatibility) and mkcert.pem (2015.04.28, 2015.9.6). Those 1024-bit roots were trusted for TLS by
  Mozilla until 2014-2015, so they count as retired by age. "left" is the first sampled release whose
  cacert.pem no longer had the root, so a root only left in weak.pem has already "left".
* A root is retired when it is in a sampled release but not in the newest one, matched by certificate
  SHA-256 AND by SPKI SHA-256: a root re-issued with the same key (new expiry) whose key is still in
  the newest certifi is not retired.
* DigiNotar Root CA predates every certifi release (removed from NSS 2011-08-30, Mozilla bug 682927).
  It is added from EXTRA_ROOTS (fingerprints only): the certificate is the one NSS certdata.txt
  trusted for TLS until that commit (nss-dev/nss eb287584dc72, the GitHub mirror of NSS; its history
  includes the 2011 CVS-era commits), and Chromium's net/data/ssl/blocklist/0d136e43...7217.pem.

What was checked
----------------
* Dense sampling: all 77 certifi releases give the same union as SAMPLE (see above).
* NSS history: every certificate with the TLS trust bit (CKT_NSS_TRUSTED_DELEGATOR for
  CKA_TRUST_SERVER_AUTH) in any of the 175 versions of lib/ckfw/builtins/certdata.txt in nss-dev/nss
  (2013-02 to 2026-04, 296 certificates) and in the version before 2011-08-30 is in the certifi union,
  except DigiNotar Root CA, added here.
* No known interception certificate (src/pathprobe/data/interception_roots.tsv, by sha256 or spki) is
  in the set; the script refuses to write the file otherwise.
* Debian 12's ca-certificates 20230311+deb12u1 (/usr/share/ca-certificates/mozilla, 142 roots): the 49
  that certifi 2026.10.19.post1 lacks are all in the set (tests/test_trust.py).

Why each root left: `retired` or `for_cause`
---------------------------------------------
CCADB's "Removed CA Certificate Report" and hg.mozilla.org are not reachable from where this was built.
The reason therefore comes from FOR_CAUSE below, families of roots Mozilla distrusted for cause, matched
by subject (organisation) and, where a CA also had roots retired earlier in the ordinary way, by the
date they left; every other root is `retired` (by age, expiry, at its owner's request, or the websites
trust bit turned off under the root-age policy). A key is for cause when any certificate with that key
is. Sources: Mozilla Security Blog posts and the NSS commits (bug numbers) that set distrust dates or
removed the roots, read in nss-dev/nss's git history.

`distrust_after` comes from DISTRUST_AFTER (CKA_NSS_SERVER_DISTRUST_AFTER values that NSS certdata.txt
carried for these roots, with the bug that set them) and, for CNNIC and WoSign/StartCom, from the
notBefore cut-off Firefox enforced in code (those never were in certdata.txt). Families with no date
here (DigiNotar, E-Tugra, Camerfirma, Certinomis, PSPProcert, Entrust Root CA - G4, VeriSign Class 3
G3) were distrusted outright: the websites trust bit removed or the root deleted, no "distrust after".
Retired roots can have a date too: NSS set one when a CA stopped TLS issuance (Taiwan GRCA, EC-ACC,
EE Certification Centre, Trustis FPS) and for Chunghwa Telecom's ePKI root, whose websites trust ended
under the root-age policy for keys made before 2006 (bug 1974299, distrust after 2025-04-15).

Optional inputs for a maintainer who has them:
* `--ccadb-removed CSV`: CCADB "Removed CA Certificate Report" export. Rows are matched by the column
  whose name has "SHA-256"; text of the comment/reason columns is added to `source`, and a row whose
  text says distrust / for cause / compliance / incident marks the root `for_cause`.
* `--certdata FILE` (repeatable): an NSS certdata.txt. Its CKA_NSS_SERVER_DISTRUST_AFTER values override
  DISTRUST_AFTER; a certificate it marks CKT_NSS_NOT_TRUSTED for TLS becomes `for_cause`.

Not sure / not covered: the reasons for roots that left certifi after the newest NSS history read here
(2026-05: emSign x4, SecureSign Root CA12, Atos TrustedRoot 2011) are not known and are `retired`.
GLOBALTRUST 2020's distrust (bug 1901080) is taken as for cause (compliance), PSPProcert's 2017 removal
likewise.

Run (network: PyPI only):
    .venv/bin/python scripts/build_legacy_roots.py            # writes src/pathprobe/data/legacy_roots.tsv
    .venv/bin/python scripts/build_legacy_roots.py --check-dense   # also compare with every release
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import ssl
import sys
import tarfile
import urllib.parse
import urllib.request
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "pathprobe" / "data" / "legacy_roots.tsv"
INTERCEPTION_TSV = ROOT / "src" / "pathprobe" / "data" / "interception_roots.tsv"
PYPI = "https://pypi.org/pypi"
COLUMNS = ["spki_sha256", "sha256", "subject", "left", "reason", "distrust_after", "source"]

# Two certifi releases a year; the last one is the reference ("today's list").
SAMPLE = [
    "0.0.1", "0.0.8", "1.0.0", "14.05.14", "2015.04.28", "2015.11.20.1", "2016.2.28", "2016.9.26",
    "2017.4.17", "2017.11.5", "2018.4.16", "2018.11.29", "2019.6.16", "2019.11.28", "2020.6.20",
    "2020.12.5", "2021.5.30", "2021.10.8", "2022.6.15", "2022.12.7", "2023.7.22", "2023.11.17",
    "2024.7.4", "2024.12.14", "2025.6.15", "2025.11.12", "2026.4.22", "2026.10.19.post1",
]  # fmt: skip


@dataclass(frozen=True)
class Family:
    """Roots Mozilla distrusted for cause: subject pattern, earliest 'left' date, distrust date, source."""

    name: str
    pattern: str
    left_from: str = ""  # only roots that left on/after this date (the CA's older roots retired normally)
    distrust_after: str = ""  # family-wide notBefore cut-off enforced by Firefox code, if any
    source: str = ""


FOR_CAUSE: list[Family] = [
    Family("DigiNotar", r"O=DigiNotar\b", "", "",
           "Mozilla bug 682927 (NSS removal 2011-08-30, compromise)"),
    Family("CNNIC", r"O=(CNNIC|China Internet Network Information Center)\b", "2015-01-01", "2015-04-01",
           "Mozilla Security Blog 2015-04-02 'Distrusting New CNNIC Certificates'; NSS removal bug 1380941"),
    Family("WoSign/StartCom", r"O=(WoSign CA Limited|StartCom Ltd\.)", "2016-10-01", "2016-10-21",
           "Mozilla Security Blog 2016-10-24 'Distrusting New WoSign and StartCom Certificates'; "
           "NSS bugs 1311995, 1408080"),
    Family("Symantec", r"O=(GeoTrust Inc\.|thawte, Inc\.|VeriSign, Inc\.|Symantec Corporation)", "2018-01-01",
           "", "Mozilla Security Blog 2018-03-12 'Distrust of Symantec TLS Certificates'; "
           "NSS bugs 1618404 (distrust-after), 1618402, 1670769, 1686854 (removal)"),
    Family("PSPProcert", r"CN=PSCProcert\b", "2017-01-01", "",
           "Mozilla 2017 PROCERT decision; NSS removal bug 1408080 (2017-10)"),
    Family("Certinomis", r"O=Certinomis\b", "2019-01-01", "", "NSS removal bug 1552374 (2019-06)"),
    Family("Camerfirma", r"Camerfirma", "2021-01-01", "",
           "Mozilla bug 1692094 (websites trust bit off 2021-02); NSS removal bugs 1778412, 1827224, 1850982"),
    Family("TrustCor", r"O=TrustCor Systems\b", "", "",
           "Mozilla bug 1803453 (distrust-after 2022-11-30); NSS removal bug 1851049"),
    Family("E-Tugra", r"E-Tu[gğ]ra", "2023-01-01", "", "NSS removal bugs 1822936, 1842928 (2023-07)"),
    Family("GLOBALTRUST", r"O=e-commerce monitoring GmbH", "", "",
           "Mozilla bug 1901080 (distrust-after 2024-06-30); NSS removal bug 2020164"),
    Family("Entrust", r"O=(Entrust, Inc\.|Entrust\.net|AffirmTrust)", "2024-07-01", "",
           "Mozilla bug 1922387 (distrust-after 2024-11-30), bug 1919913 (G4 websites trust bit off)"),
]  # fmt: skip

# CKA_NSS_SERVER_DISTRUST_AFTER for retired roots, by certificate SHA-256, from NSS certdata.txt history
# (nss-dev/nss lib/ckfw/builtins/certdata.txt), with the bug that set it.
# fmt: off
DISTRUST_AFTER: dict[str, tuple[str, str]] = {
    "7600295eefe85b9e1fd624db76062aaaae59818a54d2774cd4c0b2c01131e1b3": ("2019-09-19", "1621159"),  # Taiwan GRCA
    "88497f01602f3154246ae28c4d5aef10f1d87ebb76626f4ae0b7f95ba7968799": ("2019-12-28", "1621159"),  # EC-ACC
    "3e84ba4342908516e77573c0992f0979ca084e4685681ff195ccba8a229b8a76": ("2017-09-01", "1621159"),  # EE CC
    "ff856a2d251dcd88d36656f450126798cfabaade40799c722de4d2b5db36a73a": ("2020-01-01", "1618404"),  # GeoTrust Global
    "a0459b9f63b22559f5fa5d4c6db3f9f72ff19342033578f073bf1d1b46cbb912": ("2018-09-30", "1618404"),  # GeoTrust Univ
    "a0234f3bc8527ca5628eec81ad5d69895da5680dc91d1cb8477f33f878b95b0b": ("2020-01-01", "1618404"),  # GeoTrust Univ 2
    "37d51006c512eaab626421f1ec8c92013fc5f82ae98ee533eb4619b8deb4d06c": ("2019-04-30", "1618404"),  # GeoTrust PCA
    "8d722f81a9c113c0791df136a2966db26c950a971db46b4199f4ea54b78bfb9f": ("2019-04-30", "1618404"),  # thawte PRCA
    "9acfab7e43c8d880d06b262a94deeee4b4659989c3d0caf19baf6405e41ab7df": ("2019-04-30", "1618404"),  # VeriSign G5
    "b478b812250df878635c2aa7ec7d155eaa625ee82916e2cd294361886cd1fbd4": ("2019-04-30", "1618404"),  # GeoTrust G3
    "a4310d50af18a6447190372a86afaf8b951ffb431d837f1e5688b45971ed1557": ("2018-09-30", "1618404"),  # thawte G2
    "4b03f45807ad70f21bfc2cae71c9fde4604c064cf5ffb686bae5dbaad7fdd34c": ("2019-04-30", "1618404"),  # thawte G3
    "5edb7ac43b82a06a8761e8d7be4979ebf2611f7dd79bf91c1c6b566a219ed766": ("2020-01-01", "1618404"),  # GeoTrust G2
    "2399561127a57125de8cefea610ddf2fa078b5c8067f4e828290bfb860e84b3c": ("2019-04-30", "1618404"),  # VeriSign Univ
    "69ddd7ea90bb57c93e135dc85ea6fcd5480b603239bdc454fc758b2a26cf7f79": ("2019-01-31", "1618404"),  # VeriSign G4
    "c1b48299aba5208fe9630ace55ca68a03eda5a519c8802a0d3a673be8f8e557d": ("2020-07-01", "1634584"),  # Trustis FPS
    "d40e9c86cd8fe468c1776959f49ea774fa548684b6c406f3909261f4dce2575c": ("2022-11-30", "1803453"),  # TrustCor CA-1
    "0753e940378c1bd5e3836e395daea5cb839e5046f1bd0eae1951cf10fec7c965": ("2022-11-30", "1803453"),  # TrustCor CA-2
    "5a885db19c01d912c5759388938cafbbdf031ab2d48e91ee15589b42971d039c": ("2022-11-30", "1803453"),  # TrustCor ECA-1
    "9a296a5182d1d451a2e37f439b74daafa267523329f90f9a0d2007c334e23c9a": ("2024-06-30", "1901080"),  # GLOBALTRUST
    "6dc47172e01cbcb0bf62580d895fe2b8ac9ad4f873801e0c10b9c837d21eb177": ("2024-11-30", "1922387"),  # Entrust 2048
    "73c176434f1bc6d5adf45b0e76e727287c8de57616c1e6e6141a2b2cbc7d8e4c": ("2024-11-30", "1922387"),  # Entrust Root
    "0376ab1d54c5f9803ce4b2e201a0ee7eef7b57b636e8a93c9b8d4860c96f5fa7": ("2024-11-30", "1922387"),  # AffirmTrust C
    "0a81ec5a929777f145904af38d5d509f66b5e2c58fcdb531058b0e17f3f0b41b": ("2024-11-30", "1922387"),  # AffirmTrust N
    "70a73f7f376b60074248904534b11482d5bf0e698ecc498df52577ebf2e93b9a": ("2024-11-30", "1922387"),  # AffirmTrust P
    "bd71fdf6da97e4cf62d1647add2581b07d79adf8397eb4ecba9c5e8488821423": ("2024-11-30", "1922387"),  # AffirmTrust ECC
    "43df5774b03e7fef5fe40d931a7bedf1bb2e6b42738c4e6d3841103d3aa7f339": ("2024-11-30", "1922387"),  # Entrust G2
    "02ed0eb28c14da45165c566791700d6451d7fb56f0b2ab1d3b8eb070e56edff5": ("2024-11-30", "1922387"),  # Entrust EC1
    "c0a6f4dc63a24bfdcf54ef2a6a082a0a72de35803e2ff5ff527ae5d87206dfd5": ("2025-04-15", "1974299"),  # CHT ePKI
}
# fmt: on


@dataclass(frozen=True)
class ExtraRoot:
    sha256: str
    spki_sha256: str
    subject: str
    left: str
    source: str


# Roots that predate every certifi release (fingerprints computed from the certificate named in source).
EXTRA_ROOTS: list[ExtraRoot] = [
    ExtraRoot(
        "0d136e439f0ab6e97f3a02a540da9f0641aa554e1d66ea51ae2920d51b2f7217",
        "a903af8c07bb91b0d9e3f3a30c6d53339fc5bd47e5d6bdb476598860c068a024",
        "1.2.840.113549.1.9.1=info@diginotar.nl,CN=DigiNotar Root CA,O=DigiNotar,C=NL",
        "2011-08-30",
        "NSS certdata.txt before nss-dev/nss eb287584dc72; Chromium net/data/ssl/blocklist",
    ),
]


@dataclass
class Seen:
    subject: str
    spki: str
    releases: list[str] = field(default_factory=list)  # sampled releases with it in any bundle
    in_cacert: list[str] = field(default_factory=list)  # sampled releases with it in cacert.pem


# --- PyPI -------------------------------------------------------------------------------------------------


def _ssl_context() -> ssl.SSLContext:
    cafile = os.environ.get("SSL_CERT_FILE") or os.environ.get("PIP_CERT")
    return ssl.create_default_context(cafile=cafile if cafile and Path(cafile).is_file() else None)


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120, context=_ssl_context()) as resp:
        data: bytes = resp.read()
        return data


def release_index(index: str) -> tuple[dict[str, str], dict[str, list[dict[str, object]]]]:
    """certifi's releases on PyPI: {version: upload date}, {version: files}."""
    meta = json.loads(_get(f"{index}/certifi/json"))
    files = {v: f for v, f in meta["releases"].items() if f}
    dates = {v: min(str(x["upload_time"])[:10] for x in f) for v, f in files.items()}
    return dates, files


def fetch_release(index: str, version: str, files: list[dict[str, object]], cache: Path) -> Path:
    """Download one release (wheel if any, else sdist), checked against PyPI's SHA-256 digest."""
    wheels = [f for f in files if f["packagetype"] == "bdist_wheel"]
    sdists = [f for f in files if str(f["filename"]).endswith((".tar.gz", ".zip"))]
    chosen = (wheels or sdists)[0]
    digest = str(chosen["digests"]["sha256"])  # type: ignore[index]
    path = cache / str(chosen["filename"])
    if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == digest:
        return path
    data = _get(urllib.parse.urljoin(f"{index}/certifi/json", str(chosen["url"])))
    if hashlib.sha256(data).hexdigest() != digest:
        raise SystemExit(f"certifi {version}: download does not match PyPI's sha256 {digest}")
    cache.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def pem_bundles(archive: Path) -> dict[str, bytes]:
    """{bundle file name: content} for every .pem in a certifi wheel or sdist."""
    out: dict[str, bytes] = {}
    if archive.suffix == ".whl" or archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as z:
            for name in z.namelist():
                if name.endswith(".pem"):
                    out[Path(name).name] = z.read(name)
    else:
        with tarfile.open(archive) as t:
            for m in t.getmembers():
                if m.isfile() and m.name.endswith(".pem"):
                    f = t.extractfile(m)
                    if f is not None:
                        out[Path(m.name).name] = f.read()
    if "cacert.pem" not in out:
        raise SystemExit(f"{archive.name}: no cacert.pem")
    return out


# --- certificates -----------------------------------------------------------------------------------------

PEM_RE = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


def certificates(pem: bytes) -> list[tuple[str, str, str]]:
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
        subject = re.sub(r"[\t\r\n]+", " ", subject)
        out.append((hashlib.sha256(der).hexdigest(), hashlib.sha256(spki).hexdigest(), subject))
    return out


def interception_fingerprints() -> set[str]:
    out: set[str] = set()
    lines = [ln for ln in INTERCEPTION_TSV.read_text().splitlines() if ln and not ln.startswith("#")]
    for row in csv.DictReader(lines, delimiter="\t"):
        out.update(v.lower() for v in (row.get("sha256"), row.get("spki_sha256")) if v)
    return out


# --- optional maintainer inputs ---------------------------------------------------------------------------


def _octal(lines: list[str]) -> bytes:
    return bytes(int(x, 8) for ln in lines for x in ln.strip().split("\\")[1:])


def read_certdata(path: Path) -> tuple[dict[str, str], set[str]]:
    """From an NSS certdata.txt: {cert sha256: server distrust-after date}, {sha256 explicitly distrusted}."""
    objs: list[dict[str, object]] = []
    cur: dict[str, object] | None = None
    lines = iter(path.read_text(encoding="utf-8", errors="replace").splitlines())
    for line in lines:
        if not line.strip():
            if cur:
                objs.append(cur)
            cur = None
            continue
        if line.startswith(("#", "BEGINDATA")):
            continue
        parts = line.split(None, 2)
        if parts[0] == "CKA_CLASS":
            if cur:
                objs.append(cur)
            cur = {}
        if cur is None:
            continue
        if len(parts) >= 2 and parts[1] == "MULTILINE_OCTAL":
            buf = []
            for ln in lines:
                if ln.strip() == "END":
                    break
                buf.append(ln)
            cur[parts[0]] = _octal(buf)
        elif len(parts) == 3:
            cur[parts[0]] = parts[2]
    if cur:
        objs.append(cur)
    by_sha1: dict[bytes, str] = {}
    dates: dict[str, str] = {}
    for o in objs:
        value = o.get("CKA_VALUE")
        if o.get("CKA_CLASS") == "CKO_CERTIFICATE" and isinstance(value, bytes):
            sha256 = hashlib.sha256(value).hexdigest()
            by_sha1[hashlib.sha1(value).digest()] = sha256
            da = o.get("CKA_NSS_SERVER_DISTRUST_AFTER")
            if isinstance(da, bytes) and len(da) >= 6:  # UTCTime YYMMDDhhmmssZ
                s = da.decode()
                dates[sha256] = f"20{s[0:2]}-{s[2:4]}-{s[4:6]}"
    distrusted = set()
    for o in objs:
        h = o.get("CKA_CERT_SHA1_HASH")
        if (
            o.get("CKA_CLASS") == "CKO_NSS_TRUST"
            and isinstance(h, bytes)
            and h in by_sha1
            and o.get("CKA_TRUST_SERVER_AUTH") == "CK_TRUST CKT_NSS_NOT_TRUSTED"
        ):
            distrusted.add(by_sha1[h])
    return dates, distrusted


CAUSE_WORDS = re.compile(r"distrust|for cause|compliance|incident|misissu|compromis", re.I)


def read_ccadb(path: Path) -> dict[str, tuple[str, bool]]:
    """From CCADB's removed-certificate CSV: {sha256: (note for source, for cause?)}."""
    out: dict[str, tuple[str, bool]] = {}
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        fields = reader.fieldnames or []
        fp_col = next((c for c in fields if "sha-256" in c.lower() or "sha256" in c.lower()), None)
        if fp_col is None:
            raise SystemExit(f"{path}: no SHA-256 fingerprint column")
        text_cols = [c for c in fields if re.search(r"comment|reason|bug|note", c, re.I)]
        for row in reader:
            fp = re.sub(r"[^0-9a-f]", "", (row.get(fp_col) or "").lower())
            if len(fp) != 64:
                continue
            text = "; ".join((row.get(c) or "").strip() for c in text_cols if (row.get(c) or "").strip())
            text = re.sub(r"\s+", " ", text)
            out[fp] = (f"CCADB: {text[:80]}" if text else "CCADB", bool(CAUSE_WORDS.search(text)))
    return out


# --- building ---------------------------------------------------------------------------------------------


def family_for(subject: str, left: str) -> Family | None:
    plain = subject.replace("\\", "")
    for fam in FOR_CAUSE:
        if re.search(fam.pattern, plain) and (not fam.left_from or left >= fam.left_from):
            return fam
    return None


def build(
    sample: list[str],
    dates: dict[str, str],
    bundles: dict[str, dict[str, bytes]],
    certdata: list[Path],
    ccadb: Path | None,
) -> list[dict[str, str]]:
    newest = sample[-1]
    seen: dict[str, Seen] = {}
    for v in sample:
        for name, pem in bundles[v].items():
            for sha, spki, subject in certificates(pem):
                s = seen.setdefault(sha, Seen(subject, spki))
                if v not in s.releases:
                    s.releases.append(v)
                if name == "cacert.pem" and v not in s.in_cacert:
                    s.in_cacert.append(v)
    current = {sha for sha, s in seen.items() if newest in s.in_cacert}
    current_spki = {seen[sha].spki for sha in current}

    rows: list[dict[str, str]] = []
    for sha, s in seen.items():
        if sha in current or s.spki in current_spki:
            continue
        # Never in cacert.pem (only weak.pem / old_root.pem): already out of Mozilla's list there.
        left_release = sample[sample.index(s.in_cacert[-1]) + 1] if s.in_cacert else s.releases[0]
        left = dates[left_release]
        span = s.releases[0] if len(s.releases) == 1 else f"{s.releases[0]}..{s.releases[-1]}"
        rows.append({"spki_sha256": s.spki, "sha256": sha, "subject": s.subject, "left": left,
                     "reason": "retired", "distrust_after": "", "source": f"certifi {span}"})  # fmt: skip
    for extra in EXTRA_ROOTS:
        if extra.sha256 not in seen and extra.spki_sha256 not in current_spki:
            rows.append({"spki_sha256": extra.spki_sha256, "sha256": extra.sha256, "subject": extra.subject,
                         "left": extra.left, "reason": "retired", "distrust_after": "",
                         "source": extra.source})  # fmt: skip

    da_extra: dict[str, str] = {}
    distrusted: set[str] = set()
    for path in certdata:
        d, n = read_certdata(path)
        da_extra.update(d)
        distrusted |= n
    removed = read_ccadb(ccadb) if ccadb else {}

    for row in rows:
        notes: list[str] = []
        fam = family_for(row["subject"], row["left"])
        if fam:
            row["reason"] = "for_cause"
            row["distrust_after"] = fam.distrust_after
            notes.append(fam.source)
        if row["sha256"] in DISTRUST_AFTER:
            date, bug = DISTRUST_AFTER[row["sha256"]]
            row["distrust_after"] = date
            if not fam:
                notes.append(f"NSS bug {bug} (distrust-after)")
        if row["sha256"] in da_extra:
            row["distrust_after"] = da_extra[row["sha256"]]
        if row["sha256"] in distrusted:
            row["reason"] = "for_cause"
            notes.append("NSS explicit distrust")
        if row["sha256"] in removed:
            note, cause = removed[row["sha256"]]
            notes.append(note)
            if cause:
                row["reason"] = "for_cause"
        row["source"] = "; ".join([row["source"], *notes])

    # A key is distrusted for cause when any certificate with it is.
    cause_by_spki = {r["spki_sha256"]: r for r in rows if r["reason"] == "for_cause"}
    for row in rows:
        worst = cause_by_spki.get(row["spki_sha256"])
        if worst is not None and row["reason"] != "for_cause":
            row["reason"] = "for_cause"
            row["distrust_after"] = worst["distrust_after"]
            row["source"] += f"; same key as {worst['sha256'][:16]} (for cause)"
    rows.sort(key=lambda r: (r["subject"], r["left"], r["sha256"]))
    return rows


def check_rows(rows: list[dict[str, str]]) -> None:
    known = interception_fingerprints()
    bad = [r["subject"] for r in rows if r["sha256"] in known or r["spki_sha256"] in known]
    assert not bad, f"known interception roots in the legacy set: {bad}"
    for r in rows:
        assert re.fullmatch(r"[0-9a-f]{64}", r["sha256"]) and re.fullmatch(r"[0-9a-f]{64}", r["spki_sha256"])
        assert r["reason"] in {"retired", "for_cause"}
        dt.date.fromisoformat(r["left"])
        if r["distrust_after"]:
            dt.date.fromisoformat(r["distrust_after"])


def write(rows: list[dict[str, str]], sample: list[str], out: Path, argv: list[str]) -> None:
    n_cause = sum(r["reason"] == "for_cause" for r in rows)
    header = [
        "# Roots that Mozilla's list (certifi) once trusted for TLS and today's does not: 'formerly public'.",
        "# A chain anchored at a `retired` root is not interception; `for_cause` roots were distrusted by",
        "# Mozilla (tls: unverified). distrust_after: certificates issued after it are not trusted either.",
        "# spki_sha256 / sha256: SHA-256 of the DER SubjectPublicKeyInfo / certificate. left: first sampled",
        "# certifi release (PyPI upload date) whose cacert.pem no longer had it, or the NSS removal date.",
        f"# {len(rows)} roots: {len(rows) - n_cause} retired, {n_cause} for_cause. Reference: certifi {sample[-1]}.",
        f"# certifi releases sampled: {' '.join(sample)}",
        "# Built by scripts/build_legacy_roots.py (sources and checks in its docstring and SOURCES.md):",
        f"#   python scripts/build_legacy_roots.py {' '.join(argv)}".rstrip(),
    ]
    buf = io.StringIO()
    buf.write("\n".join(header) + "\n")
    buf.write("\t".join(COLUMNS) + "\n")
    for r in rows:
        buf.write("\t".join(r[c].replace("\t", " ") for c in COLUMNS) + "\n")
    out.write_text(buf.getvalue(), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "pathprobe" / "certifi-releases")
    ap.add_argument("--index", default=PYPI, help="PyPI JSON API base (default %(default)s)")
    ap.add_argument("--releases", help="comma-separated certifi versions to sample (last = reference)")
    ap.add_argument("--check-dense", action="store_true", help="also compare with every certifi release")
    ap.add_argument("--ccadb-removed", type=Path, help="CCADB Removed CA Certificate Report (CSV)")
    ap.add_argument(
        "--certdata", type=Path, action="append", default=[], help="NSS certdata.txt (repeatable)"
    )
    args = ap.parse_args(argv)

    sample = args.releases.split(",") if args.releases else list(SAMPLE)
    dates, files = release_index(args.index)
    missing = [v for v in sample if v not in files]
    if missing:
        raise SystemExit(f"not on PyPI: {missing}")
    latest = max(files, key=lambda v: dates[v])
    if dates[latest] > dates[sample[-1]]:
        print(f"note: PyPI has certifi {latest}, newer than the reference {sample[-1]}", file=sys.stderr)

    def load(versions: list[str]) -> dict[str, dict[str, bytes]]:
        return {v: pem_bundles(fetch_release(args.index, v, files[v], args.cache)) for v in versions}

    bundles = load(sample)
    rows = build(sample, dates, bundles, args.certdata, args.ccadb_removed)
    check_rows(rows)

    if args.check_dense:
        every = sorted(files, key=lambda v: (dates[v], v))
        every = [v for v in every if dates[v] <= dates[sample[-1]]]
        if every[-1] != sample[-1]:
            every = [v for v in every if v != sample[-1]] + [sample[-1]]
        dense = build(every, dates, {**bundles, **load([v for v in every if v not in bundles])}, [], None)
        a, b = {r["sha256"] for r in rows}, {r["sha256"] for r in dense}
        print(f"dense check: {len(every)} releases -> {len(b)} roots; sample {len(sample)} -> {len(a)}")
        if a != b:
            for r in dense:
                if r["sha256"] not in a:
                    print(f"  only in the dense sampling: {r['subject']}", file=sys.stderr)
            return 1

    write(rows, sample, args.out, argv)
    n_cause = sum(r["reason"] == "for_cause" for r in rows)
    print(f"{args.out}: {len(rows)} roots ({len(rows) - n_cause} retired, {n_cause} for_cause)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
