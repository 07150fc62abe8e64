"""A local certificate authority and a server certificate signed by it, for TLS without a network.

``make certs`` (``python -m devtools.certs``) writes into ``secrets/`` (git-ignored, outside the
Docker build context)::

    local-ca.crt   the CA certificate: give it to clients (curl --cacert, a browser's trust store)
    local-ca.key   the CA's key, kept to sign a new server certificate later (mode 0600)
    tls.crt        the server certificate for localhost, 127.0.0.1, ::1 and the compose names
    tls.key        its key

``docker-compose.yml`` hands ``tls.crt`` and ``tls.key`` to nginx as compose secrets (see
docs/edge.md). The folder is 0700 and ``tls.key`` is 0644 inside it: a compose secret is a bind
mount that keeps the host file's owner and mode, and nginx runs as its own unprivileged user, so
the key must be readable by "others" there while the folder keeps everyone else on the host out.

Existing files are kept while the server certificate is valid for another 30 days and covers the
names asked for; ``--force`` makes new ones.
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = REPO_ROOT / "secrets"
# Loopback in every spelling, and the names the compose services reach nginx by.
DEFAULT_NAMES = ("localhost", "127.0.0.1", "::1", "nginx")
CA_DAYS = 3650
SERVER_DAYS = 365
RENEW_BEFORE = datetime.timedelta(days=30)


@dataclass(frozen=True)
class LocalCerts:
    """Where the files are."""

    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "local-ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.directory / "local-ca.key"

    @property
    def cert(self) -> Path:
        return self.directory / "tls.crt"

    @property
    def key(self) -> Path:
        return self.directory / "tls.key"


def _new_key() -> ec.EllipticCurvePrivateKey:
    # P-256: every TLS client supports it, and signing is far cheaper than RSA for nginx.
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write(path: Path, data: bytes, mode: int) -> None:
    # Created with the final mode, so the key is never readable by others even for a moment
    # longer than intended; replaced atomically so nginx never reads half a file.
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(partial, mode)  # the umask may have taken bits away
    partial.replace(path)


def _subject_names(names: tuple[str, ...]) -> list[x509.GeneralName]:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return entries


def _make_ca(
    now: datetime.datetime,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = _new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wsgi-stack local CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _make_server_cert(
    names: tuple[str, ...],
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    now: datetime.datetime,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = _new_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName(_subject_names(names)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def _still_good(paths: LocalCerts, names: tuple[str, ...], now: datetime.datetime) -> bool:
    files = (paths.ca_cert, paths.ca_key, paths.cert, paths.key)
    if not all(path.exists() for path in files):
        return False
    cert = x509.load_pem_x509_certificate(paths.cert.read_bytes())
    if cert.not_valid_after_utc - now < RENEW_BEFORE:
        return False
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return set(_subject_names(names)) <= set(san)


def make_local_certs(
    directory: Path = DEFAULT_DIR, names: tuple[str, ...] = DEFAULT_NAMES, *, force: bool = False
) -> tuple[LocalCerts, bool]:
    """Write (or keep) the CA and the server certificate; (paths, whether anything was written).

    The CA is reused when its files exist, so clients that already trust it keep trusting the
    renewed server certificate."""
    if not names:
        raise ValueError("at least one name is needed")
    paths = LocalCerts(directory)
    now = datetime.datetime.now(datetime.UTC)
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    if not force and _still_good(paths, names, now):
        return paths, False
    if not force and paths.ca_cert.exists() and paths.ca_key.exists():
        ca_cert = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
        loaded = serialization.load_pem_private_key(paths.ca_key.read_bytes(), password=None)
        if not isinstance(loaded, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{paths.ca_key} is not an EC key; run with --force")
        ca_key = loaded
    else:
        ca_cert, ca_key = _make_ca(now)
        _write(paths.ca_key, _key_pem(ca_key), 0o600)
        _write(paths.ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    cert, key = _make_server_cert(names, ca_cert, ca_key, now)
    _write(paths.key, _key_pem(key), 0o644)
    _write(paths.cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return paths, True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.certs",
        description="A local CA and a server certificate it signed (no network needed).",
    )
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="output folder")
    parser.add_argument(
        "--name",
        action="append",
        default=[],
        help="another host name or address for the certificate (repeatable)",
    )
    parser.add_argument("--force", action="store_true", help="a new CA and certificate")
    args = parser.parse_args(argv)
    names = tuple(dict.fromkeys([*DEFAULT_NAMES, *args.name]))
    paths, written = make_local_certs(args.dir.resolve(), names, force=args.force)
    verb = "wrote" if written else "kept (still valid)"
    print(f"{verb}: {paths.cert} and {paths.key} for {', '.join(names)}")
    print(f"trust {paths.ca_cert}: curl --cacert {paths.ca_cert} https://localhost:8443/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
