"""devtools/certs.py (`make certs`): a local CA and a server certificate that verify together,
with the names asked for, private where they must be, and kept until they near expiry."""

from __future__ import annotations

import datetime
import ipaddress
import stat
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from devtools.certs import DEFAULT_NAMES, make_local_certs


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_server_certificate_is_signed_by_the_ca_for_every_default_name(tmp_path: Path) -> None:
    certs, written = make_local_certs(tmp_path / "s")
    assert written
    ca = x509.load_pem_x509_certificate(certs.ca_cert.read_bytes())
    cert = x509.load_pem_x509_certificate(certs.cert.read_bytes())
    cert.verify_directly_issued_by(ca)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(san.get_values_for_type(x509.DNSName)) == {"localhost", "nginx"}
    assert set(san.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }
    assert set(DEFAULT_NAMES) >= {"localhost", "nginx"}
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.not_valid_after_utc - datetime.datetime.now(datetime.UTC) > datetime.timedelta(
        days=300
    )


def test_native_stack_defaults_to_the_files_make_certs_writes() -> None:
    from devtools.certs import DEFAULT_DIR, LocalCerts
    from devtools.edge import DEFAULT_CERT, DEFAULT_KEY

    made = LocalCerts(DEFAULT_DIR)
    assert made.cert == DEFAULT_CERT
    assert made.key == DEFAULT_KEY


def test_keys_match_and_only_the_ca_key_is_private_to_its_owner(tmp_path: Path) -> None:
    certs, _ = make_local_certs(tmp_path / "s")
    assert mode(certs.directory) == 0o700
    assert mode(certs.ca_key) == 0o600
    # Readable by nginx's own user through the compose bind mount; the folder keeps others out.
    assert mode(certs.key) == 0o644
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(certs.key.read_bytes(), password=None)
    cert = x509.load_pem_x509_certificate(certs.cert.read_bytes())
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()  # type: ignore[union-attr]


def test_valid_files_are_kept_and_new_names_reuse_the_ca(tmp_path: Path) -> None:
    first, _ = make_local_certs(tmp_path / "s")
    ca_before = first.ca_cert.read_bytes()
    cert_before = first.cert.read_bytes()
    _, written = make_local_certs(tmp_path / "s")
    assert not written and first.cert.read_bytes() == cert_before
    again, written = make_local_certs(tmp_path / "s", ("localhost", "example.test"))
    assert written and again.cert.read_bytes() != cert_before
    assert again.ca_cert.read_bytes() == ca_before  # clients that trust the CA keep trusting
    _, written = make_local_certs(tmp_path / "s", force=True)
    assert written and first.ca_cert.read_bytes() != ca_before
