"""A small certificate authority that issues web-PKI-conformant certificates.

Used by the lab (its "public" CA and the censor's interception roots) and by the tests. Certificates
follow what browsers and ``cryptography.x509.verification`` require: SKI/AKI, basic constraints, key
usage, serverAuth EKU, a non-critical SAN for leaves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_DAY = dt.timedelta(days=1)


def _name(cn: str, org: str | None = None, country: str | None = None) -> x509.Name:
    attrs = []
    if country:
        attrs.append(x509.NameAttribute(NameOID.COUNTRY_NAME, country))
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass
class Issued:
    """A certificate with its private key and the chain to present (leaf first, root excluded)."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    chain: list[x509.Certificate] = field(default_factory=list)

    def cert_pem(self) -> bytes:
        """The certificate alone, PEM."""
        return _pem(self.cert)

    def chain_pem(self) -> bytes:
        """The certificate and its chain (leaf first, no root), PEM: what a server presents."""
        return b"".join(_pem(c) for c in [self.cert, *self.chain])

    def key_pem(self) -> bytes:
        """The private key, unencrypted PKCS#8 PEM."""
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


class CA:
    """A root (or intermediate) CA."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    parent: CA | None

    def __init__(
        self,
        cn: str,
        org: str | None = None,
        country: str | None = None,
        *,
        parent: CA | None = None,
        key: ec.EllipticCurvePrivateKey | None = None,
        not_before: dt.datetime | None = None,
        days: int = 3650,
    ) -> None:
        self.key = key or ec.generate_private_key(ec.SECP256R1())
        self.parent = parent
        now = not_before or (dt.datetime.now(dt.UTC) - _DAY)
        subject = _name(cn, org, country)
        issuer_name = parent.cert.subject if parent else subject
        signing_key = parent.key if parent else self.key
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
        )
        if parent:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(parent.key.public_key()), critical=False
            ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        self.cert = builder.sign(signing_key, hashes.SHA256())

    @property
    def chain_to_root(self) -> list[x509.Certificate]:
        """This CA and its parents below the root (what a server presents after its leaf)."""
        out: list[x509.Certificate] = []
        ca: CA | None = self
        while ca is not None and ca.parent is not None:
            out.append(ca.cert)
            ca = ca.parent
        return out

    def cert_pem(self) -> bytes:
        """This CA's certificate, PEM."""
        return _pem(self.cert)

    def key_pem(self) -> bytes:
        """This CA's private key, unencrypted PKCS#8 PEM."""
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def issue(
        self,
        *names: str,
        not_before: dt.datetime | None = None,
        days: int = 90,
        subject_cn: str | None = None,
        key: ec.EllipticCurvePrivateKey | None = None,
    ) -> Issued:
        """A server certificate for ``names`` (DNS names or IP addresses)."""
        import ipaddress

        key = key or ec.generate_private_key(ec.SECP256R1())
        now = not_before or (dt.datetime.now(dt.UTC) - _DAY)
        sans: list[x509.GeneralName] = []
        for n in names:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(n)))
            except ValueError:
                sans.append(x509.DNSName(n))
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(subject_cn or names[0]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )
        return Issued(cert=cert, key=key, chain=self.chain_to_root)


def load_ca(cert_pem: bytes, key_pem: bytes) -> CA:
    """Rebuild a :class:`CA` from saved PEM (the lab caches its CAs between runs)."""
    ca = CA.__new__(CA)
    ca.cert = x509.load_pem_x509_certificate(cert_pem)
    k = serialization.load_pem_private_key(key_pem, None)
    assert isinstance(k, ec.EllipticCurvePrivateKey)
    ca.key = k
    ca.parent = None
    return ca
