"""copier.yml's questions, asked by copier itself (`copier copy` run directly, not through
`make new-service`): a bad name is refused before anything is written, and so is a name that
only the rename's fuller checks catch; the port answer reaches the copy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.template.conftest import clone_template, git_env

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clone_template(tmp_path_factory.mktemp("template"))


def copier_copy(template: Path, dest: Path, *data: str) -> subprocess.CompletedProcess[str]:
    copier = Path(sys.executable).parent / "copier"
    argv = [str(copier), "copy", "--trust", "--defaults", "--quiet", "--vcs-ref", "HEAD"]
    for answer in data:
        argv += ["--data", answer]
    return subprocess.run(
        [*argv, str(template), str(dest)],
        env=git_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Billing-API", "lowercase letters and digits"),  # copier.yml's validator
        ("pip", "settings prefix PIP_"),  # the rename's check (its task exits 2)
    ],
)
def test_a_refused_name_leaves_no_copy(
    template: Path, tmp_path: Path, name: str, reason: str
) -> None:
    dest = tmp_path / "svc"
    done = copier_copy(template, dest, f"name={name}")
    assert done.returncode != 0
    assert reason in done.stdout + done.stderr
    assert not dest.exists()


def test_the_port_answer_is_the_copys_default(template: Path, tmp_path: Path) -> None:
    dest = tmp_path / "svc"
    done = copier_copy(template, dest, "name=shop", "http_port=9090")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "HTTP_PORT=9090" in (dest / ".env.example").read_text().splitlines()
    assert "${HTTP_PORT:-9090}" in (dest / "docker-compose.yml").read_text()
    assert "http_port: 9090" in (dest / ".copier-answers.yml").read_text()
