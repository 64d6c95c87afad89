"""Certificates for mutual TLS on Temporal's frontend, for a trial of the production shape.

    .venv/bin/python scripts/temporal_certs.py [SECRETS_DIR]     # default ./secrets

writes ``SECRETS_DIR/temporal-tls/``: ``ca.pem`` (the CA both sides trust), ``server.pem``/``.key``
(Temporal, for the name ``temporal``), ``client.pem``/``.key`` (the worker, the admin tool, ``cpj``)
and ``ui.pem``/``.key`` (the Temporal UI); the CA's key goes to ``SECRETS_DIR/temporal-ca/ca.key``,
which nothing mounts: keep it offline. Never overwrites a file. A council's own PKI replaces this
in production: the file names are what docker-compose.yml mounts.
"""

from __future__ import annotations

import ipaddress
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVER_NAMES = ("temporal", "localhost")


@dataclass(frozen=True)
class Issued:
    cert_pem: bytes
    key_pem: bytes


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_ca(name: str = "cp-journeys Temporal CA", days: int = 3650) -> tuple[Issued, ec.EllipticCurvePrivateKey]:
    key = _key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return Issued(cert.public_bytes(serialization.Encoding.PEM), _pem(key)), key


def issue(ca: Issued, ca_key: ec.EllipticCurvePrivateKey, name: str, *, server: bool,
          names: tuple[str, ...] = (), days: int = 825) -> Issued:
    """A leaf certificate signed by ``ca``: for a server (with its DNS names and IPs) or a client."""
    key = _key()
    issuer = x509.load_pem_x509_certificate(ca.cert_pem).subject
    now = datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
               .issuer_name(issuer).public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage(
                   [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH] if server
                   else [ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False))
    if server:
        alternatives: list[x509.GeneralName] = []
        for each in names or (name,):
            try:
                alternatives.append(x509.IPAddress(ipaddress.ip_address(each)))
            except ValueError:
                alternatives.append(x509.DNSName(each))
        builder = builder.add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    return Issued(cert.public_bytes(serialization.Encoding.PEM), _pem(key))


def write(secrets: Path) -> list[Path]:
    tls, ca_dir = secrets / "temporal-tls", secrets / "temporal-ca"
    wanted = [tls / f"{stem}.{kind}" for stem in ("ca", "server", "client", "ui") for kind in ("pem", "key")
              if (stem, kind) != ("ca", "key")] + [ca_dir / "ca.key"]
    existing = [path for path in wanted if path.exists()]
    if existing:
        raise SystemExit(f"not overwriting {', '.join(map(str, existing))}: move them away to issue new ones")
    ca, ca_key = make_ca()
    issued = {
        "server": issue(ca, ca_key, "temporal", server=True, names=(*SERVER_NAMES, "127.0.0.1")),
        "client": issue(ca, ca_key, "cp-journeys", server=False),
        "ui": issue(ca, ca_key, "temporal-ui", server=False),
    }
    tls.mkdir(parents=True, exist_ok=True)
    ca_dir.mkdir(parents=True, exist_ok=True)
    (tls / "ca.pem").write_bytes(ca.cert_pem)
    (ca_dir / "ca.key").write_bytes(ca.key_pem)
    (ca_dir / "ca.key").chmod(0o600)
    for stem, leaf in issued.items():
        (tls / f"{stem}.pem").write_bytes(leaf.cert_pem)
        (tls / f"{stem}.key").write_bytes(leaf.key_pem)
        # Read by the containers' own users (isolation is by mount, read-only).
        (tls / f"{stem}.key").chmod(0o644)
    return wanted


if __name__ == "__main__":
    for path in write(Path(sys.argv[1] if len(sys.argv) > 1 else "secrets")):
        print(path)
