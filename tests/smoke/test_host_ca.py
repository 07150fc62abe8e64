"""`make build-certs` (devtools.host_ca): the host's CA bundle reaches certs/ without provisioning."""

from __future__ import annotations

from pathlib import Path

from devtools.host_ca import BUNDLE_NAME, provide


def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "clone"
    (root / "certs").mkdir(parents=True)
    (root / "certs" / "README.md").write_text("certificates go here\n")
    return root


def test_host_bundle_is_copied_into_an_empty_certs_folder(tmp_path: Path) -> None:
    root, bundle = checkout(tmp_path), tmp_path / "host.crt"
    bundle.write_text("-----BEGIN CERTIFICATE-----\nhost\n")
    assert "copied" in provide(root, bundle)
    assert (root / "certs" / BUNDLE_NAME).read_text() == bundle.read_text()
    assert "current" in provide(root, bundle)
    bundle.write_text("-----BEGIN CERTIFICATE-----\nrenewed\n")
    provide(root, bundle)
    assert "renewed" in (root / "certs" / BUNDLE_NAME).read_text()
    assert sorted(p.name for p in (root / "certs").iterdir()) == ["README.md", BUNDLE_NAME]


def test_certificates_a_user_put_there_are_left_alone(tmp_path: Path) -> None:
    root, bundle = checkout(tmp_path), tmp_path / "host.crt"
    bundle.write_text("host\n")
    (root / "certs" / "corporate-proxy.crt").write_text("theirs\n")
    assert "left as it is" in provide(root, bundle)
    assert not (root / "certs" / BUNDLE_NAME).exists()


def test_without_a_host_bundle_nothing_is_written(tmp_path: Path) -> None:
    root = checkout(tmp_path)
    assert "no host CA bundle" in provide(root, tmp_path / "missing.crt")
    assert sorted(p.name for p in (root / "certs").iterdir()) == ["README.md"]
