"""A throw-away certificate authority for the secured local broker, made on the spot.

Nothing here is committed or downloaded: each secured data dir gets its own CA,
a broker certificate for ``127.0.0.1``/``localhost`` and one client certificate
per user, as PEM files the broker (``ssl.keystore.type=PEM``) and librdkafka
(``ssl.*.location``) both read. Every subject is just ``CN=<name>``, so the
broker's principal mapping makes the principal ``User:<name>``.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALID_DAYS = 365
_PRIVATE = 0o600


@dataclass(frozen=True)
class Identity:
    """One party's certificate and private key, as PEM files."""

    name: str
    certificate: Path
    key: Path

    @classmethod
    def at(cls, directory: Path, name: str) -> Identity:
        """Where ``CertificateAuthority.issue`` puts ``name``'s files in ``directory``."""
        return cls(name, directory / f"{name}.pem", directory / f"{name}.key")

    @property
    def bundle(self) -> Path:
        """The key followed by the certificate: a PEM keystore as the Kafka broker reads it."""
        return self.certificate.with_suffix(".keystore.pem")


def _write(path: Path, data: bytes, mode: int = 0o644) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    # PKCS#8, unencrypted: the form the broker's PEM keystore and librdkafka both accept.
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


# A CA signs certificates (and its revocation lists); it never speaks TLS itself.
_CA_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)


def _subject(name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey
) -> x509.CertificateBuilder:
    """A certificate for ``key`` valid from a few minutes ago (clock skew) for ``VALID_DAYS``."""
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
    )


class CertificateAuthority:
    """A CA whose certificate is ``ca.pem`` in ``directory``; it issues ``Identity``s there."""

    def __init__(self, directory: Path, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate):
        self.directory = directory
        self._key = key
        self._cert = cert

    @property
    def certificate(self) -> Path:
        return self.directory / "ca.pem"

    @classmethod
    def create(cls, directory: Path, name: str = "callstream-local-ca") -> CertificateAuthority:
        """A new self-signed CA in ``directory`` (its key stays in memory, never on disk)."""
        directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            _builder(_subject(name), _subject(name), key)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_CA_USAGE, critical=True)
            .sign(key, hashes.SHA256())
        )
        authority = cls(directory, key, cert)
        _write(authority.certificate, cert.public_bytes(serialization.Encoding.PEM))
        return authority

    def issue(self, name: str) -> Identity:
        """A certificate for ``name``, good for both ends of TLS on loopback.

        The broker's own certificate is also its client certificate (towards its
        controller listener), so every certificate allows both uses.
        """
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            _builder(_subject(name), self._cert.subject, key)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
            .sign(self._key, hashes.SHA256())
        )
        identity = Identity.at(self.directory, name)
        cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        _write(identity.certificate, cert_pem)
        _write(identity.key, _key_pem(key), _PRIVATE)
        _write(identity.bundle, _key_pem(key) + cert_pem, _PRIVATE)
        return identity
