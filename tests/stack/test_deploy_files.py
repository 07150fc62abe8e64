"""The deployment files hold the settings that the known traps depend on (PAIN-POINTS.md).

These read the files; the behaviour itself is proven against running stacks in
tests/stack/test_native_stack.py and tests/compose/.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.prereqs import require_executable

REPO_ROOT = Path(__file__).resolve().parents[2]
NGINX_DIR = REPO_ROOT / "nginx"


def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())


def default_of(value: str) -> str:
    """The default of a `${NAME:-default}` compose interpolation."""
    match = re.fullmatch(r"\$\{\w+:-([^}]*)\}", str(value))
    return match.group(1) if match else str(value)


def seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+)(ms|s|m)", duration)
    assert match, duration
    return int(match.group(1)) * {"ms": 0.001, "s": 1, "m": 60}[match.group(2)]


def dockerfile_stages() -> list[list[str]]:
    """Dockerfile instructions (continuations joined), grouped by stage."""
    text = (REPO_ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    stages: list[list[str]] = [[]]
    for line in instructions:
        if line.upper().startswith("FROM "):
            stages.append([])
        stages[-1].append(line)
    return stages


# --- docker-compose.yml --------------------------------------------------------------------
def test_stop_grace_period_exceeds_gunicorns_graceful_timeout() -> None:
    services = compose()["services"]
    app = services["app"]
    grace = seconds(app["stop_grace_period"])
    compose_default = int(default_of(app["environment"]["GUNICORN_GRACEFUL_TIMEOUT"]))
    conf_default = runpy.run_path(str(REPO_ROOT / "gunicorn.conf.py"))["graceful_timeout"]
    assert grace > compose_default
    assert grace > conf_default
    # ... and the env example does not undo it.
    example = (REPO_ROOT / ".env.example").read_text()
    assert int(re.search(r"^GUNICORN_GRACEFUL_TIMEOUT=(\d+)", example, re.M).group(1)) < grace  # type: ignore[union-attr]


def test_app_service_is_hardened_and_scalable() -> None:
    app = compose()["services"]["app"]
    assert "container_name" not in app  # replicas need distinct names
    assert app["read_only"] is True
    assert "/tmp" in app["tmpfs"]
    assert app["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in app["security_opt"]
    assert app["restart"] == "always"  # any exit of gunicorn (PID 1) is restarted
    assert "ports" not in app  # reachable only through nginx
    assert app["environment"]["APP_TRUSTED_PROXY_COUNT"] == "1"
    assert "APP_DEBUG" not in app["environment"]
    deploy = app["deploy"]
    assert default_of(deploy["replicas"]) == "1"
    # Swarm-only, outside `deploy:` (plain Compose would warn); devtools/swarm.py merges them.
    assert "update_config" not in deploy
    swarm_only = compose()["x-swarm-deploy"]["app"]
    assert swarm_only["update_config"]["order"] == "start-first"
    assert swarm_only["update_config"]["failure_action"] == "rollback"
    assert deploy["restart_policy"]["condition"] == "any"
    assert deploy["resources"]["limits"]["cpus"]


def test_web_concurrency_is_never_passed_empty() -> None:
    # gunicorn int()s WEB_CONCURRENCY at import: an empty string would crash it at start.
    value = compose()["services"]["app"]["environment"]["WEB_CONCURRENCY"]
    assert default_of(value) != ""


def test_nginx_waits_for_a_healthy_app_and_both_have_healthchecks_without_curl() -> None:
    services = compose()["services"]
    assert services["nginx"]["depends_on"]["app"]["condition"] == "service_healthy"
    for name in ("app", "nginx"):
        test = services[name]["healthcheck"]["test"]
        assert "curl" not in " ".join(test)
    assert services["app"]["healthcheck"]["test"][:2] == ["CMD", "python3"]


def test_nginx_is_published_on_loopback_by_default_on_8080() -> None:
    nginx = compose()["services"]["nginx"]
    assert nginx["ports"] == [
        "${HTTP_BIND:-127.0.0.1}:${HTTP_PORT:-8080}:8080",
        "${HTTP_BIND:-127.0.0.1}:${HTTPS_PORT:-8443}:8443",
    ]
    assert "container_name" not in nginx


def test_body_limit_is_one_setting_for_nginx_and_app() -> None:
    services = compose()["services"]
    app_value = services["app"]["environment"]["APP_MAX_CONTENT_LENGTH"]
    nginx_value = services["nginx"]["environment"]["APP_MAX_CONTENT_LENGTH"]
    assert app_value == nginx_value == "${APP_MAX_CONTENT_LENGTH:-10485760}"
    assert "client_max_body_size" not in (NGINX_DIR / "nginx.conf").read_text()
    site = (NGINX_DIR / "snippets" / "site.conf").read_text()
    assert "include /tmp/nginx/body-limit.conf;" in site


def test_default_images_are_the_official_ones() -> None:
    services = compose()["services"]
    assert services["nginx"]["image"] == "${NGINX_IMAGE:-nginx:1.27-alpine}"
    assert services["app"]["build"]["args"]["PYTHON_IMAGE"] == "${PYTHON_IMAGE:-python:3.12-slim}"
    assert services["app"]["image"] == "${APP_IMAGE:-wsgi-stack-app:latest}"


def test_load_profile_runs_distributed_locust_against_nginx() -> None:
    services = compose()["services"]
    master, worker = services["locust-master"], services["locust-worker"]
    assert master["profiles"] == worker["profiles"] == ["load"]
    assert "--master" in master["command"] and "http://nginx:8081" in master["command"]
    assert "--worker" in worker["command"] and "locust-master" in worker["command"]
    assert master["ports"] == ["127.0.0.1:${LOCUST_WEB_PORT:-8089}:8089"]


# --- Dockerfile ----------------------------------------------------------------------------
def test_dockerfile_final_stage_runs_gunicorn_exec_form_as_non_root() -> None:
    final = dockerfile_stages()[-1]
    cmd = [line for line in final if line.upper().startswith("CMD ")]
    assert len(cmd) == 1
    argv = json.loads(cmd[0][4:])  # exec form is a JSON array: no shell as PID 1
    assert argv[0] == "gunicorn" and argv[-1] == "app.wsgi:app"
    user = [line.split()[1] for line in final if line.upper().startswith("USER ")]
    assert user and user[-1].split(":")[0] not in {"0", "root"}
    healthcheck = next(line for line in final if line.upper().startswith("HEALTHCHECK "))
    assert "curl" not in healthcheck and "wget" not in healthcheck
    env = " ".join(line for line in final if line.upper().startswith("ENV "))
    assert "PYTHONDONTWRITEBYTECODE=1" in env and "PYTHONUNBUFFERED=1" in env


def test_extra_cas_reach_the_builder_stage_only() -> None:
    stages = dockerfile_stages()
    builder, final = stages[1], stages[-1]
    assert builder[0].upper().startswith("FROM ") and " AS builder" in builder[0]
    assert any(line.startswith("COPY certs/") for line in builder)
    assert not any("certs" in line or "PIP_CERT" in line for line in final)
    assert stages[0] == ["ARG PYTHON_IMAGE=python:3.12-slim"]


def test_certs_folder_content_is_git_ignored_but_its_readme_is_not() -> None:
    ignore = (REPO_ROOT / ".gitignore").read_text().splitlines()
    assert "certs/*" in ignore and "!certs/README.md" in ignore
    assert (REPO_ROOT / "certs" / "README.md").exists()


def test_dockerignore_keeps_secrets_and_clutter_out_of_the_context() -> None:
    lines = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    assert lines[lines.index("*") + 1 :]  # deny by default, then allow-list
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert {"app", "gunicorn.conf.py", "requirements.txt", "certs"} <= allowed
    assert not {".env", ".git", ".venv", "tests"} & allowed


# --- nginx ---------------------------------------------------------------------------------
def test_docker_site_uses_the_upstream_the_entrypoint_renders() -> None:
    site = (NGINX_DIR / "conf.d" / "default.conf").read_text()
    code = "\n".join(line.split("#")[0] for line in site.splitlines())
    # A named upstream (keep-alive to gunicorn), rendered at start by nginx/entrypoint.sh, not a
    # variable resolved per request (a new connection per request: ephemeral ports run out).
    assert "include /tmp/nginx/upstream.conf;" in code
    assert "set $app_upstream http://wsgi_app;" in code
    assert "resolver" not in code
    snippet = (NGINX_DIR / "snippets" / "site.conf").read_text()
    assert "proxy_pass $app_upstream;" in snippet
    compose_nginx = compose()["services"]["nginx"]
    assert compose_nginx["environment"]["NGINX_APP_UPSTREAM"] == "app:8000"


def test_proxy_retries_idempotent_requests_on_the_next_replica() -> None:
    proxy = (NGINX_DIR / "snippets" / "proxy-to-app.conf").read_text()
    assert "proxy_next_upstream error timeout http_502 http_503;" in proxy
    assert "non_idempotent" not in proxy


# A copy of the entrypoint outside nginx/ finds the edge settings script through this.
EDGE_SETUP_ENV = {"NGINX_EDGE_SETUP": str(NGINX_DIR / "snippets" / "edge-setup.sh")}


def test_nginx_entrypoint_renders_the_body_limit_and_execs_the_command(tmp_path: Path) -> None:
    require_executable("sh")
    script = (NGINX_DIR / "entrypoint.sh").read_text()
    # Run it against a scratch directory instead of /tmp/nginx.
    scratch = tmp_path / "nginx"
    local = tmp_path / "entrypoint.sh"
    local.write_text(script.replace("/tmp/nginx", str(scratch)))
    env = {"PATH": os.environ["PATH"], "APP_MAX_CONTENT_LENGTH": "12345", **EDGE_SETUP_ENV}
    # `exec` keeps the pid: the command prints its own pid, the parent knows the script's.
    proc = subprocess.Popen(
        ["sh", str(local), "sh", "-c", "echo $$"], env=env, stdout=subprocess.PIPE, text=True
    )
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert int(out.strip()) == proc.pid
    assert (scratch / "body-limit.conf").read_text() == "client_max_body_size 12345;\n"


def test_nginx_entrypoint_refuses_a_body_limit_that_is_not_a_number(tmp_path: Path) -> None:
    require_executable("sh")
    local = tmp_path / "entrypoint.sh"
    script = (NGINX_DIR / "entrypoint.sh").read_text().replace("/tmp/nginx", str(tmp_path))
    local.write_text(script)
    env = {"PATH": os.environ["PATH"], "APP_MAX_CONTENT_LENGTH": "10m", **EDGE_SETUP_ENV}
    done = subprocess.run(["sh", str(local), "true"], env=env, capture_output=True, text=True)
    assert done.returncode != 0
    assert "APP_MAX_CONTENT_LENGTH" in done.stderr


@pytest.mark.nginx
def test_docker_form_of_the_config_passes_nginx_t_on_the_installed_nginx(tmp_path: Path) -> None:
    """The container config, only relocated, with the files its entrypoint renders for an app
    name that resolves (`localhost` standing in for `app`), is valid nginx."""
    nginx = require_executable("nginx")
    target = tmp_path / "etc-nginx"
    shutil.copytree(NGINX_DIR, target)
    shutil.copy("/etc/nginx/mime.types", target / "mime.types")
    runtime = tmp_path / "run"
    env = {
        "PATH": os.environ["PATH"],
        "NGINX_RUN_DIR": str(runtime),
        "NGINX_APP_UPSTREAM": "localhost:8000",
        "NGINX_UPSTREAM_MODE": "list",
        "NGINX_EDGE_SETUP": str(NGINX_DIR / "snippets" / "edge-setup.sh"),
    }
    entrypoint = NGINX_DIR / "entrypoint.sh"
    rendered = subprocess.run(["sh", str(entrypoint), "true"], env=env, capture_output=True)
    assert rendered.returncode == 0, rendered.stderr
    assert "server 127.0.0.1:8000" in (runtime / "upstream.conf").read_text()
    static = tmp_path / "static"
    static.mkdir()
    for path in target.rglob("*.conf"):
        text = path.read_text().replace("/etc/nginx/", f"{target}/")
        text = text.replace("/tmp/nginx/", f"{runtime}/").replace("/srv/static/", f"{static}/")
        text = re.sub(r"^user nginx;", "", text, flags=re.M)
        path.write_text(text)
    done = subprocess.run(
        [
            nginx,
            "-t",
            "-q",
            "-p",
            f"{tmp_path}/",
            "-c",
            str(target / "nginx.conf"),
            "-e",
            str(tmp_path / "error.log"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr


def test_static_files_are_readable_by_nginxs_unprivileged_user() -> None:
    # nginx (user `nginx` in compose, a bind mount keeps the host's modes) must read every file
    # and enter every folder, or it answers 403 (PAIN-POINTS 9).
    static = REPO_ROOT / "app" / "static"
    if not any(static.rglob("*")):
        pytest.skip("the service has no static files (app/static/): nginx has nothing to read")
    for path in [static, *static.rglob("*")]:
        mode = path.stat().st_mode
        if path.is_dir():
            assert mode & 0o005 == 0o005, f"{path} is not world-readable and enterable"
        else:
            assert mode & 0o004, f"{path} is not world-readable"
