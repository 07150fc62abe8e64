"""copier's ``database: false``: the edits by themselves (fast), then a real copy without a
database (slow): its compose file has no database, and its lint and fast tests pass."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from devtools.without_database import (
    EditMissed,
    drop_functions,
    drop_items,
    drop_key,
    main,
)
from tests.support.prereqs import require_docker
from tests.template.conftest import REPO, clone_template
from tests.template.test_real_copy import clean_env

COMPOSE = """\
services:
  app:
    secrets: [db_password]
    # why app waits
    depends_on:
      db:
        condition: service_healthy
    read_only: true

  # the database
  db:
    image: postgres

  # the proxy
  nginx:
    image: nginx

secrets:
  db_password:
    file: ./pw
"""


def test_drop_key_takes_the_block_and_its_own_comment_only() -> None:
    text = drop_key("services", "db")(COMPOSE)
    text = drop_key("services", "app", "depends_on")(text)
    # The top-level `secrets:`, not the service's key of the same name further up.
    text = drop_key("secrets")(text)
    assert text == (
        "services:\n  app:\n    secrets: [db_password]\n    read_only: true\n\n"
        "  # the proxy\n  nginx:\n    image: nginx\n"
    )
    assert yaml.safe_load(text)["services"].keys() == {"app", "nginx"}


def test_drop_items_takes_every_matching_sequence_item() -> None:
    text = "mounts:\n  - name: tmp\n    path: /tmp\n  - name: pw\n    path: /pw\n  - name: key\n"
    assert (
        drop_items("- name: pw")(text) == "mounts:\n  - name: tmp\n    path: /tmp\n  - name: key\n"
    )


def test_an_edit_that_finds_nothing_says_so() -> None:
    with pytest.raises(EditMissed, match=r"no key services\.migrate"):
        drop_key("services", "migrate")(COMPOSE)
    with pytest.raises(EditMissed):
        drop_functions("test_gone")("def test_here() -> None:\n    pass\n")


def test_drop_functions_takes_decorators_and_keeps_the_rest() -> None:
    source = "import x\n\n\n@x.mark\ndef test_a() -> None:\n    pass\n\n\ndef test_b() -> None:\n    pass\n"
    assert drop_functions("test_a")(source) == "import x\n\n\ndef test_b() -> None:\n    pass\n"


def test_database_true_leaves_the_render_alone(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "db.py").write_text("ENGINE = None\n")
    assert main(["--database", "True", str(tmp_path)]) == 0
    assert (tmp_path / "app" / "db.py").read_text() == "ENGINE = None\n"


def test_a_module_still_importing_a_deleted_one_stops_the_task(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "db.py").write_text("ENGINE = None\n")
    (tmp_path / "app" / "reports.py").write_text("from app.db import ENGINE\n")
    with pytest.raises(SystemExit, match=r"app/reports\.py: imports app\.db"):
        main(["--database", "false", str(tmp_path)])


# --- A real copy, through `make new-service ... DATABASE=no`'s command --------------------------

NAME = "shop"
GONE = (
    "app/db.py",
    "app/migrate.py",
    "app/migrations",
    "app/items.py",
    "alembic.ini",
    "tests/db",
    "loadtests/db_read.py",
    "deploy/k8s/base/db-statefulset.yaml",
)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Path:
    template = clone_template(tmp_path_factory.mktemp("template"))
    dest = tmp_path_factory.mktemp("services") / NAME
    argv = [sys.executable, "-m", "devtools.new_service", "--name", NAME, "--dest", str(dest)]
    done = subprocess.run(
        [*argv, "--source", str(template), "--no-database"],
        cwd=REPO,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "without-database: warning" not in done.stdout, done.stdout
    return dest


def in_copy(service: Path, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run a tool of this checkout's venv in the copy: its own venv would take minutes."""
    return subprocess.run(
        argv, cwd=service, env=clean_env(), capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.slow
def test_copy_without_database_has_none(service: Path) -> None:
    for rel in GONE:
        assert not (service / rel).exists(), rel
    compose = yaml.safe_load((service / "docker-compose.yml").read_text())
    assert not {"db", "migrate"} & compose["services"].keys()
    assert "db_password" not in compose["secrets"] and "db-data" not in compose["volumes"]
    assert "depends_on" not in compose["services"]["app"]
    assert not any(
        name.startswith("DATABASE_") for name in compose["services"]["app"]["environment"]
    )
    makefile = (service / "Makefile").read_text()
    assert "\nmigrate:" not in makefile and "db-backup" not in makefile
    assert "database: false" in (service / ".copier-answers.yml").read_text()


@pytest.mark.slow
def test_compose_accepts_the_copy_without_database(service: Path) -> None:
    docker = require_docker()
    done = in_copy(service, docker, "compose", "config", "--format", "json")
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)
    assert config["services"].keys() == {"app", "nginx"}
    assert config["name"] == NAME


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_copy_without_database_passes_its_lint_and_fast_tests(service: Path) -> None:
    venv = Path(sys.executable).parent
    where = in_copy(service, str(venv / "python"), "-c", "import app; print(app.__file__)")
    assert Path(where.stdout.strip()).parent == service / "app", where.stderr
    for argv in (["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]):
        lint = in_copy(service, str(venv / argv[0]), *argv[1:])
        assert lint.returncode == 0, (lint.stdout + lint.stderr)[-3000:]
    markers = "not slow and not docker and not nginx and not swarm"
    folders = ["tests/framework", "tests/service", "tests/smoke"]
    pytest_argv = ["-q", "-p", "no:cacheprovider", "-m", markers, *folders]
    fast = in_copy(service, str(venv / "pytest"), *pytest_argv, timeout=600)
    assert fast.returncode == 0, (fast.stdout + fast.stderr)[-3000:]
    assert re.search(r"\d+ passed", fast.stdout), fast.stdout[-2000:]
