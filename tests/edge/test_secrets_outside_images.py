"""TLS material stays out of images and the repository: the build context and git ignore
`secrets/`, and the layer scan of tests/security/test_image.py looks for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.security.test_image import FORBIDDEN_PATHS

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "path", ["srv/secrets/tls.crt", "secrets/local-ca.key", "opt/app/tls.key", "tmp/local-ca.key"]
)
def test_layer_scan_flags_local_tls_material(path: str) -> None:
    assert FORBIDDEN_PATHS.search(path)


@pytest.mark.parametrize("path", ["usr/lib/python3.11/secrets.py", "etc/ssl/certs/ca.pem"])
def test_layer_scan_leaves_ordinary_files_alone(path: str) -> None:
    assert not FORBIDDEN_PATHS.search(path)


def test_secrets_folder_is_outside_the_build_context_and_git() -> None:
    dockerignore = (REPO / ".dockerignore").read_text().splitlines()
    # An allow-list: everything is excluded unless re-included, and secrets/ never is.
    assert dockerignore[[line.strip() for line in dockerignore].index("*")] == "*"
    assert not any(line.strip().startswith("!secrets") for line in dockerignore)
    assert "secrets/" in (REPO / ".gitignore").read_text().splitlines()


def test_compose_and_kubernetes_put_the_key_where_edge_setup_reads_it() -> None:
    import yaml

    script = (REPO / "nginx" / "snippets" / "edge-setup.sh").read_text()
    assert 'cert="${TLS_CERT_PATH:-/run/secrets/tls_cert}"' in script
    assert 'key="${TLS_KEY_PATH:-/run/secrets/tls_key}"' in script
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert set(compose["services"]["nginx"]["secrets"]) == {"tls_cert", "tls_key"}
    assert set(compose["secrets"]) >= {"tls_cert", "tls_key"}
    deployment = yaml.safe_load((REPO / "deploy/k8s/base/nginx-deployment.yaml").read_text())
    spec = deployment["spec"]["template"]["spec"]
    (volume,) = [v for v in spec["volumes"] if v["name"] == "tls"]
    assert {item["path"] for item in volume["secret"]["items"]} == {"tls_cert", "tls_key"}
    (nginx,) = [c for c in spec["containers"] if c["name"] == "nginx"]
    (mount,) = [m for m in nginx["volumeMounts"] if m["name"] == "tls"]
    assert mount["mountPath"] == "/run/secrets" and mount["readOnly"] is True
