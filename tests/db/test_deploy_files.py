"""The database in the deployment files: compose's order and secrecy, the swarm stack's job."""

from __future__ import annotations

from typing import Any

import yaml

from devtools.swarm import COMPOSE_FILE, swarm_file


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return loaded


def test_app_starts_only_after_the_migration_succeeded() -> None:
    services = compose()["services"]
    assert services["app"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["migrate"]["command"][-2:] == ["app.migrate", "upgrade"]


def test_database_is_private_and_its_password_a_secret() -> None:
    services = compose()["services"]
    db = services["db"]
    assert "ports" not in db
    assert db["image"] == "${POSTGRES_IMAGE:-postgres:17-alpine}"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert db["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/db_password"
    assert "db-data:/var/lib/postgresql/data" in db["volumes"]
    for name in ("db", "migrate", "app"):
        assert "db_password" in services[name]["secrets"], name
        assert "PASSWORD=" not in str(services[name].get("environment")), name
    assert services["app"]["environment"]["DATABASE_PASSWORD_FILE"] == "/run/secrets/db_password"


NORMALISED: dict[str, Any] = {
    "services": {
        "migrate": {
            "image": "wsgi-stack-app:latest",
            "depends_on": {"db": {"condition": "service_healthy", "required": True}},
            "deploy": {"replicas": 1, "restart_policy": {"condition": "on-failure"}},
        },
        "db": {"image": "postgres:17-alpine", "deploy": {"replicas": 1}},
    },
    "secrets": {"db_password": {"name": "wsgi-stack_db_password", "file": "/src/pw"}},
}


def test_swarm_runs_the_migration_as_a_job() -> None:
    stack = swarm_file(NORMALISED)
    deploy = stack["services"]["migrate"]["deploy"]
    assert deploy["mode"] == "replicated-job"
    assert "replicas" not in deploy  # a job's count is `completions`, not replicas
    # dnsrr: the stack reaches db by its task's address, not a virtual IP that needs IPVS.
    assert stack["services"]["db"]["deploy"] == {"replicas": 1, "endpoint_mode": "dnsrr"}


def test_swarm_secrets_are_named_by_the_stack() -> None:
    # Compose's project-wide name would be shared by every stack deployed from this file.
    assert swarm_file(NORMALISED)["secrets"]["db_password"] == {"file": "/src/pw"}
