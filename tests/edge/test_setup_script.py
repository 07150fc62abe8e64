"""nginx/snippets/edge-setup.sh on its own: what it renders for each nginx version and setting,
and the settings it refuses. No nginx needed: a stand-in prints the version."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from devtools.edge import SETUP_SCRIPT

CERT_PLACEHOLDER = Path(__file__).resolve().parents[2] / "nginx" / "tls" / "not-configured.pem"


def fake_nginx(tmp_path: Path, version: str) -> Path:
    path = tmp_path / "nginx"
    path.write_text(f"#!/bin/sh\necho 'nginx version: nginx/{version}' >&2\n")
    path.chmod(0o755)
    return path


def render(
    tmp_path: Path, version: str = "1.22.1", **env: str
) -> tuple[subprocess.CompletedProcess[str], str, str]:
    out = tmp_path / "edge"
    environ = {
        "PATH": "/usr/bin:/bin",
        "EDGE_OUT_DIR": str(out),
        "NGINX_BIN": str(fake_nginx(tmp_path, version)),
        **env,
    }
    done = subprocess.run(
        ["sh", str(SETUP_SCRIPT)], env=environ, capture_output=True, text=True, timeout=30
    )
    read = lambda name: (out / name).read_text() if (out / name).exists() else ""  # noqa: E731
    return done, read("http.conf"), read("server.conf")


@pytest.fixture
def pem_files(tmp_path: Path) -> dict[str, str]:
    cert = tmp_path / "c.pem"
    key = tmp_path / "k.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n")
    key.write_text("-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n")
    return {"TLS_MODE": "files", "TLS_CERT_PATH": str(cert), "TLS_KEY_PATH": str(key)}


def test_defaults_are_tls_off_no_rate_limit_and_no_trusted_proxy(tmp_path: Path) -> None:
    done, http_conf, server_conf = render(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "ssl" not in server_conf and "return 308" not in server_conf
    assert "limit_req" not in http_conf + server_conf
    assert "set_real_ip_from" not in http_conf
    assert "/.well-known/acme-challenge/" in server_conf


@pytest.mark.parametrize(
    ("version", "listen", "http2_directive"),
    [
        ("1.22.1", "listen 8443 ssl http2;", False),
        ("1.25.0", "listen 8443 ssl http2;", False),
        ("1.25.1", "listen 8443 ssl;", True),
        ("1.27.3", "listen 8443 ssl;", True),
    ],
)
def test_http2_is_switched_on_the_way_each_nginx_version_wants(
    tmp_path: Path, pem_files: dict[str, str], version: str, listen: str, http2_directive: bool
) -> None:
    done, _, server_conf = render(tmp_path, version, **pem_files)
    assert done.returncode == 0, done.stderr
    assert listen in server_conf.splitlines()
    assert ("http2 on;" in server_conf) is http2_directive


def test_redirect_port_is_left_out_for_443(tmp_path: Path, pem_files: dict[str, str]) -> None:
    _, _, on_443 = render(tmp_path, **pem_files)
    assert "return 308 https://$host$request_uri;" in on_443
    _, _, on_8443 = render(tmp_path, TLS_REDIRECT_PORT="8443", **pem_files)
    assert "return 308 https://$host:8443$request_uri;" in on_8443


def test_ocsp_stapling_is_on_by_default_only_for_a_chain(
    tmp_path: Path, pem_files: dict[str, str]
) -> None:
    _, _, leaf_only = render(tmp_path, **pem_files)
    assert "ssl_stapling" not in leaf_only
    cert = Path(pem_files["TLS_CERT_PATH"])
    cert.write_text(cert.read_text() * 2)
    _, _, chain = render(tmp_path, **pem_files)
    assert "ssl_stapling on;" in chain and "ssl_stapling_verify on;" in chain
    _, _, refused = render(tmp_path, TLS_STAPLING="off", **pem_files)
    assert "ssl_stapling" not in refused
    done, _, _ = render(tmp_path, TLS_STAPLING="yes", **pem_files)
    assert done.returncode == 64 and "TLS_STAPLING must be auto, on or off" in done.stderr


def test_trusted_proxies_and_rate_limit_are_rendered(tmp_path: Path) -> None:
    done, http_conf, server_conf = render(
        tmp_path,
        TRUSTED_PROXY_CIDRS="10.0.0.0/8, 2001:db8::/32",
        API_RATE_LIMIT="30r/m",
        API_RATE_BURST="7",
    )
    assert done.returncode == 0, done.stderr
    for line in ("set_real_ip_from 10.0.0.0/8;", "set_real_ip_from 2001:db8::/32;"):
        assert line in http_conf
    assert "real_ip_header X-Forwarded-For;" in http_conf
    assert "rate=30r/m;" in http_conf and "default 2;" in http_conf  # Retry-After: 60 / 30
    assert "limit_req zone=edge_api burst=7 nodelay;" in server_conf


def test_proxy_protocol_gets_its_own_listeners(tmp_path: Path, pem_files: dict[str, str]) -> None:
    done, http_conf, server_conf = render(
        tmp_path, TRUSTED_PROXY_CIDRS="10.0.0.0/8", REAL_IP_FROM="proxy-protocol", **pem_files
    )
    assert done.returncode == 0, done.stderr
    assert "real_ip_header proxy_protocol;" in http_conf
    assert "listen 8082 proxy_protocol;" in server_conf
    assert "listen 8444 ssl http2 proxy_protocol;" in server_conf


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TLS_MODE": "on"}, "TLS_MODE must be off or files"),
        ({"API_RATE_LIMIT": "fast"}, "API_RATE_LIMIT must be off or look like"),
        ({"API_RATE_BURST": "-1"}, "API_RATE_BURST must be a whole number"),
        ({"TRUSTED_PROXY_CIDRS": "10.0.0.0/8;allow all"}, "is not an address or CIDR"),
        ({"TRUSTED_PROXY_CIDRS": "10.0.0.0/8", "REAL_IP_FROM": "x-real-ip"}, "REAL_IP_FROM"),
        ({"HSTS_MAX_AGE": "1y"}, "HSTS_MAX_AGE must be a whole number"),
        ({"ACME_WEBROOT": "relative"}, "ACME_WEBROOT must be an absolute path"),
        ({"TLS_MODE": "files", "TLS_CERT_PATH": "/nonexistent"}, "cannot be read"),
        (
            {
                "TLS_MODE": "files",
                "TLS_CERT_PATH": str(CERT_PLACEHOLDER),
                "TLS_KEY_PATH": str(CERT_PLACEHOLDER),
            },
            "holds no PEM certificate (TLS_CERT_FILE)",
        ),
    ],
)
def test_bad_settings_stop_the_start_with_a_message(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    done, _, _ = render(tmp_path, **env)
    assert done.returncode == 64, (done.returncode, done.stderr)
    assert message in done.stderr
