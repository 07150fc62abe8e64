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
