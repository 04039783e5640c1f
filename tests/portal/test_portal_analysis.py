"""The portal analysis (pure): name offered certificates, tie them to intercepted chains by signature."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from pathprobe.analysis.pipeline import analyse
from pathprobe.analysis.portal import analyse_portal, signed_by
from pathprobe.analysis.roots import KnownRoot, KnownRoots, RootSet, cert_sha256, spki_sha256
from pathprobe.analysis.verdicts import Roots
from pathprobe.lab.servers.pki import CA
from pathprobe.lab.servers.portal import qaznet_root_pem
from pathprobe.model import PathMeasurement, PortalMeasurement, TargetMeasurement, TlsEvidence
from pathprobe.net.tls import cert_info
from pathprobe.trust import known_roots

DATA = Path(__file__).parent / "data"
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
QAZNET_LABEL = "Qaznet Trust Network (KZ, 2019)"


def cert(name: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate((DATA / name).read_bytes())


def der(c: x509.Certificate) -> bytes:
    return c.public_bytes(Encoding.DER)


QAZNET = x509.load_pem_x509_certificate(qaznet_root_pem())


def target(name: str, chain: list[x509.Certificate], role: str = "site") -> TargetMeasurement:
    tls = TlsEvidence(
        sni=name,
        version="TLSv1.3",
        cipher="TLS_AES_128_GCM_SHA256",
        alpn=None,
        chain=tuple(cert_info(der(c)) for c in chain),
    )
    return TargetMeasurement(target=name, role=role, observations=(), tls=tls, latency_ms=5.0)  # type: ignore[arg-type]


def direct(*targets: TargetMeasurement) -> PathMeasurement:
    return PathMeasurement(id="direct", kind="direct", targets=targets)


def roots(device_extra: list[x509.Certificate] = (), known: KnownRoots | None = None) -> Roots:  # type: ignore[assignment]
    public = [cert("public-root.pem")]
    return Roots(
        public=RootSet.of("public", public, "test"),
        device=RootSet.of("device", public + list(device_extra), "test"),
        known=known or known_roots(),
    )


def portal(*offers: tuple[bytes, str]) -> PortalMeasurement:
    return PortalMeasurement(
        detected=True,
        host="portal.test",
        offered=tuple({"der": d, "over": o} for d, o in offers),
        failure=None,
    )


FORGED = [cert("forged-leaf.pem"), cert("censor-inter.pem")]  # the root is not presented (as mitmproxy does)
ORIGIN = [cert("origin-leaf.pem")]


def profile(paths: list[PathMeasurement], p: PortalMeasurement | None, r: Roots) -> dict[str, Any]:
    return analyse(paths, p, r, now=NOW).to_dict()


def test_golden_kz_portal() -> None:
    """KZ 2019: the portal offers the real Qaznet root and the censor's root; the device trusts neither."""
    p = portal(
        (der(QAZNET), "http"),
        (der(cert("censor-root.pem")), "http"),
        (der(cert("impostor-root.pem")), "http"),
        (der(cert("censor-root.pem")), "https"),
        (b"\x30\x03garbage", "http"),
    )
    prof = profile(
        [direct(target("site.test", FORGED), target("control.test", ORIGIN, "control"))], p, roots()
    )
    got = {k: prof[k] for k in ("paths", "interception")} | {"network": prof["network"]}
    golden = DATA / "golden-kz-portal.json"
    if os.environ.get("PATHPROBE_REGEN_GOLDEN") == "1":
        golden.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n")
    assert got == json.loads(golden.read_text())
    offered = prof["network"]["portal"]["offered_certificates"]
    assert [o["known_as"] for o in offered] == [QAZNET_LABEL, None, None]
    assert [o["anchors_interception"] for o in offered] == [False, True, False]
    assert [set(o) for o in offered] == [
        {"sha256", "spki_sha256", "subject", "known_as", "in_device_store", "anchors_interception", "over"}
    ] * 3
    assert offered[0]["sha256"] == "00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2"
    assert set(prof["network"]["portal"]) == {"detected", "host", "offered_certificates", "failure"}
    site = prof["paths"][0]["targets"][0]
    assert (site["reachability"], site["tls"]) == ("reachable", "intercepted")
    assert "portal_offered_root" in site["signals"]
    assert prof["interception"][0]["signals"] == ["portal_offered_root"]
    assert prof["network"]["connectivity"] == "portal"


def test_without_the_portal_the_same_chain_is_only_unverified() -> None:
    """The control experiment: no portal, no reason to call the forged chain interception (single path)."""
    prof = profile([direct(target("site.test", FORGED))], None, roots())
    t = prof["paths"][0]["targets"][0]
    assert (t["reachability"], t["tls"], t["failure"]) == ("blocked", "unverified", "ssl_unknown_authority")
    assert prof["network"]["portal"] is None


def test_same_name_other_key_anchors_nothing() -> None:
    prof = profile(
        [direct(target("site.test", FORGED))], portal((der(cert("impostor-root.pem")), "http")), roots()
    )
    assert prof["network"]["portal"]["offered_certificates"][0]["anchors_interception"] is False
    assert prof["paths"][0]["targets"][0]["signals"] == []


def test_publicly_valid_chain_is_never_tied_to_an_offered_certificate() -> None:
    """A portal linking the public CA's own certificate does not make the real site intercepted."""
    prof = profile(
        [direct(target("control.test", ORIGIN))], portal((der(cert("public-root.pem")), "http")), roots()
    )
    assert prof["network"]["portal"]["offered_certificates"][0]["anchors_interception"] is False
    assert prof["paths"][0]["tls"] == "intact"


def test_device_trusting_the_offered_root() -> None:
    """After installing: the device store has the root; both signals, and in_device_store is true."""
    censor = cert("censor-root.pem")
    prof = profile([direct(target("site.test", FORGED))], portal((der(censor), "http")), roots([censor]))
    o = prof["network"]["portal"]["offered_certificates"][0]
    assert (o["in_device_store"], o["anchors_interception"]) == (True, True)
    assert prof["interception"][0]["signals"] == ["device_trusted_not_public", "portal_offered_root"]
    assert prof["interception"][0]["root_sha256"] == cert_sha256(censor)


def test_in_device_store_matches_by_spki() -> None:
    """The device holds a re-issued root with the same key: same SPKI, different certificate."""
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    first, second = CA("Reissued Root", key=key), CA("Reissued Root", key=key)
    assert cert_sha256(first.cert) != cert_sha256(second.cert) and spki_sha256(first.cert) == spki_sha256(
        second.cert
    )
    out = analyse_portal(portal((der(first.cert), "http")), [], roots([second.cert]))
    assert out.offered_certificates[0].in_device_store is True


def test_offered_known_root_that_signed_the_chain_names_the_finding() -> None:
    """When the offered root is on the known list and its key signed the chain, the finding is named."""
    censor = cert("censor-root.pem")
    known = KnownRoots(
        (KnownRoot("Lab State Root", "2024", "KZ", cert_sha256(censor), spki_sha256(censor), ""),)
    )
    prof = profile([direct(target("site.test", FORGED))], portal((der(censor), "http")), roots(known=known))
    f = prof["interception"][0]
    assert f["known_as"] == "Lab State Root (KZ, 2024)"
    assert f["signals"] == ["known_interception_root", "portal_offered_root"]
    assert prof["network"]["portal"]["offered_certificates"][0]["known_as"] == "Lab State Root (KZ, 2024)"


def test_known_root_matched_by_spki_only() -> None:
    censor = cert("censor-root.pem")
    known = KnownRoots((KnownRoot("By Key", "2020", "ZZ", "0" * 64, spki_sha256(censor), ""),))
    out = analyse_portal(portal((der(censor), "http")), [], roots(known=known))
    assert out.offered_certificates[0].known_as == "By Key (ZZ, 2020)"


@pytest.mark.parametrize("kind", ["ec", "rsa", "ed25519"])
def test_signed_by_checks_the_signature_for_each_key_type(kind: str) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    def make(key: Any, issuer_key: Any) -> x509.Certificate:
        name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "same name")])
        b = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(1)
            .not_valid_before(NOW - dt.timedelta(days=1))
            .not_valid_after(NOW + dt.timedelta(days=1))
        )
        return b.sign(issuer_key, None if kind == "ed25519" else hashes.SHA256())

    gen: Callable[[], Any] = {
        "ec": lambda: ec.generate_private_key(ec.SECP256R1()),
        "rsa": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ed25519": ed25519.Ed25519PrivateKey.generate,
    }[kind]
    signer, other = gen(), gen()
    c = make(other, signer)
    assert signed_by(c, signer.public_key()) is True
    assert signed_by(c, other.public_key()) is False  # same names everywhere: only the key decides
    assert signed_by(c, ec.generate_private_key(ec.SECP384R1()).public_key()) is False


def test_detected_false_and_failure_pass_through() -> None:
    assert analyse_portal(PortalMeasurement(False, None, (), None), [], roots()).to_dict() == {
        "detected": False,
        "host": None,
        "offered_certificates": [],
        "failure": None,
    }
    assert analyse_portal(PortalMeasurement(None, None, (), "generic_timeout_error"), [], roots()).to_dict() == {
        "detected": None,
        "host": None,
        "offered_certificates": [],
        "failure": "generic_timeout_error",
    }
