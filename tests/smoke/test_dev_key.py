"""`make dev` and `make test` leave the key docker-compose.yml's app_secret_key reads, so the
README's two commands are enough before a bare `docker compose up --build`."""

from __future__ import annotations

import stat
from pathlib import Path

from tests.support.fresh_tree import fresh_tree, make


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_make_test_and_make_dev_write_the_dev_key_once(tmp_path: Path) -> None:
    tree = fresh_tree(tmp_path / "clone")
    key = tree / "secrets" / "app_secret_key"
    assert not key.parent.exists()

    make(tree, "test")
    first = key.read_text()
    assert len(first.strip()) >= 32
    # The folder keeps others out; the file is readable by the container's unprivileged user
    # because plain compose bind-mounts it with the host's mode.
    assert mode(key.parent) == 0o700
    assert mode(key) == 0o644

    make(tree, "dev")
    make(tree, "test")
    assert key.read_text() == first  # never replaced: sessions survive

    key.unlink()
    make(tree, "dev")
    assert key.read_text().strip() not in ("", first.strip())


def test_make_test_and_make_dev_give_image_builds_the_host_ca(tmp_path: Path) -> None:
    # Behind a TLS-intercepting proxy pip inside `docker build` needs the host's CA bundle; the
    # two commands copy it to certs/, so a bare `docker compose up --build` can follow them.
    bundle = tmp_path / "host-bundle.crt"
    bundle.write_text("-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----\n")
    for target in ("test", "dev"):
        tree = fresh_tree(tmp_path / target)
        copied = tree / "certs" / "host-ca-bundle.crt"
        assert not copied.exists()
        make(tree, target, {"HOST_CA_BUNDLE": str(bundle)})
        assert copied.read_text() == bundle.read_text(), target
