"""nginx in Kubernetes runs the repository's own nginx/ files, with only the upstream changed.

The ConfigMaps are generated from copies (kustomize reads nothing outside its folder); these
tests fail when a copy is stale, when a file lands where nginx.conf does not look for it, or
when the Kubernetes site form drifts from Docker's in anything but the upstream. The last test
runs the local nginx on the Kubernetes form, to show the upstream works without a resolver.
"""

from __future__ import annotations

import http.server
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.k8s.render import (
    K8S,
    ROOT,
    TREES,
    by_kind,
    compose_environment,
    compose_file,
    container_env,
    containers,
    pod_spec,
)
from tests.support.prereqs import require_docker, require_executable

Objects = list[dict[str, Any]]
NGINX = ROOT / "nginx"
K8S_SITE = K8S / "base" / "nginx" / "conf.d" / "default.conf"
DOCKER_SITE = NGINX / "conf.d" / "default.conf"


def nginx_deployment(objects: Objects) -> dict[str, Any]:
    return by_kind(objects, "Deployment")["nginx"]


def nginx_container(objects: Objects) -> dict[str, Any]:
    return containers(nginx_deployment(objects))["nginx"]


def directives(text: str) -> list[str]:
    """The config without comments and blank lines, one directive or brace a line."""
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def mounted_files(objects: Objects) -> dict[str, str]:
    """Absolute path inside the nginx container -> content, for every ConfigMap-backed file."""
    config_maps = by_kind(objects, "ConfigMap")
    volumes = {v["name"]: v for v in pod_spec(nginx_deployment(objects))["volumes"]}
    files: dict[str, str] = {}
    for mount in nginx_container(objects)["volumeMounts"]:
        source = volumes[mount["name"]].get("configMap")
        if not source:
            continue
        data = config_maps[source["name"]]["data"]
        if "subPath" in mount:
            files[mount["mountPath"]] = data[mount["subPath"]]
        else:
            files.update({f"{mount['mountPath']}/{key}": value for key, value in data.items()})
    return files


def test_configmap_copies_of_nginx_files_are_current() -> None:
    done = subprocess.run(
        [sys.executable, str(K8S / "sync_nginx.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_nginx_sees_the_repository_files_where_compose_mounts_them(base_objects: Objects) -> None:
    """Every file compose mounts from nginx/ is in the pod at the same path, with the same
    content; the Docker-only site form is the one exception."""
    files = mounted_files(base_objects)
    compared = 0
    for volume in compose_file()["services"]["nginx"]["volumes"]:
        source, target = volume.split(":")[:2]
        source_path = (ROOT / source).resolve()
        if not source_path.is_relative_to(NGINX):
            continue
        for path in [source_path] if source_path.is_file() else sorted(source_path.iterdir()):
            inside = target if source_path.is_file() else f"{target}/{path.name}"
            assert inside in files, f"{inside} is not mounted in the nginx pod"
            if path != DOCKER_SITE:
                assert files[inside] == path.read_text(), f"{inside} differs from {path}"
                compared += 1
    assert compared >= 4
    assert files["/etc/nginx/conf.d/default.conf"] == K8S_SITE.read_text()


def test_every_include_and_alias_points_at_a_file_the_pod_has(base_objects: Objects) -> None:
    files = mounted_files(base_objects)
    mount_paths = {m["mountPath"] for m in nginx_container(base_objects)["volumeMounts"]}
    # Provided by the image, or written at start by entrypoint.sh into the /tmp volume.
    rendered = {
        "/tmp/nginx/body-limit.conf",
        "/tmp/nginx/api-body-limit.conf",
        "/tmp/nginx/app-capacity.conf",
        "/tmp/nginx/upstream.conf",
        "/tmp/nginx/edge/http.conf",
        "/tmp/nginx/edge/server.conf",
    }
    from_elsewhere = {"/etc/nginx/mime.types", *rendered}
    for text in files.values():
        for path in re.findall(r"^\s*include\s+([^;]+);", text, re.MULTILINE):
            if path in from_elsewhere:
                assert path not in rendered or "/tmp" in mount_paths
                continue
            pattern = re.escape(path).replace(r"\*", "[^/]*")
            assert any(re.fullmatch(pattern, f) for f in files), f"include {path}: not mounted"
        for path in re.findall(r"^\s*alias\s+([^;]+);", text, re.MULTILINE):
            assert path.rstrip("/") in mount_paths, f"alias {path}: not mounted"


def test_kubernetes_site_differs_from_docker_only_in_the_upstream() -> None:
    docker = directives(DOCKER_SITE.read_text())
    kubernetes = directives(K8S_SITE.read_text())
    # Docker's form: the upstream rendered at start (nginx/entrypoint.sh) and the variable.
    docker_rest = [
        d
        for d in docker
        # (also the in-network listener, there for compose's locust containers)
        if not d.startswith(
            ("include /tmp/nginx/upstream.conf", "set $app_upstream", "listen 8081")
        )
    ]
    # Kubernetes' form: an upstream block and the variable pointing at it.
    upstream_end = kubernetes.index("}")
    assert kubernetes[0].startswith("upstream ")
    kubernetes_rest = [
        d for d in kubernetes[upstream_end + 1 :] if not d.startswith("set $app_upstream")
    ]
    assert kubernetes_rest == docker_rest


def test_kubernetes_site_needs_no_resolver_and_targets_the_app_service(
    base_objects: Objects,
) -> None:
    text = "\n".join(directives(K8S_SITE.read_text()))
    assert "resolver" not in text and "127.0.0.11" not in text
    (name,) = re.findall(r"^upstream\s+(\S+)\s*\{", text, re.MULTILINE)
    (target,) = re.findall(r"^set \$app_upstream\s+http://([^;]+);", text, re.MULTILINE)
    # With no port in the variable's value, nginx uses the upstream block of that name
    # instead of asking a resolver.
    assert target == name
    (server,) = re.findall(r"^server\s+([^\s;{]+)\s*;", text, re.MULTILINE)
    host, port = server.split(":")
    service = by_kind(base_objects, "Service")[host]
    assert int(port) in [p["port"] for p in service["spec"]["ports"]]


def test_nginx_listens_where_the_pod_and_compose_say(base_objects: Objects) -> None:
    # The public listener (`default_server`); Docker's site also has an in-network one (8081).
    listen = {
        int(p)
        for p in re.findall(
            r"listen\s+(\d+) default_server", DOCKER_SITE.read_text() + K8S_SITE.read_text()
        )
    }
    assert len(listen) == 1
    (port,) = nginx_container(base_objects)["ports"]
    assert {port["containerPort"]} == listen
    compose_ports = compose_file()["services"]["nginx"]["ports"]
    # The plain-HTTP port; the other one is HTTPS (8443), open only with TLS_MODE=files.
    assert str(compose_ports[0]).endswith(f":{port['containerPort']}")


def test_nginx_probes_ask_its_own_health_location(base_objects: Objects) -> None:
    site = (NGINX / "snippets" / "site.conf").read_text()
    for probe in ("livenessProbe", "readinessProbe"):
        path = nginx_container(base_objects)[probe]["httpGet"]["path"]
        assert re.search(rf"location\s+=\s+{re.escape(path)}\s", site), path


def test_nginx_starts_like_compose_and_gets_the_apps_body_limit(base_objects: Objects) -> None:
    container = nginx_container(base_objects)
    compose_nginx = compose_file()["services"]["nginx"]
    assert container["command"] == compose_nginx["entrypoint"]
    assert container["args"] == compose_nginx["command"]
    nginx_env = container_env(base_objects, nginx_deployment(base_objects), container)
    app = by_kind(base_objects, "Deployment")["app"]
    app_env = container_env(base_objects, app, containers(app)["app"])
    limit = nginx_env["APP_MAX_CONTENT_LENGTH"]
    assert limit == app_env["APP_MAX_CONTENT_LENGTH"]
    assert limit == compose_environment(compose_nginx)["APP_MAX_CONTENT_LENGTH"]


@pytest.mark.parametrize("tree", TREES, ids=lambda tree: tree.name)
def test_nginx_admits_what_the_most_app_pods_can_take(
    rendered: dict[Path, Objects], tree: Path
) -> None:
    # Behind one Service address the entrypoint would count a single replica: the total must be
    # set, sized for the autoscaler's ceiling and split across the nginx pods.
    objects = rendered[tree]
    nginx = nginx_deployment(objects)
    nginx_env = container_env(objects, nginx, nginx_container(objects))
    entrypoint = (NGINX / "entrypoint.sh").read_text()
    match = re.search(r'per_replica="\$\{NGINX_APP_CONNS_PER_REPLICA:-(\d+)\}"', entrypoint)
    assert match, "the entrypoint's per-replica default moved"
    per_pod = int(nginx_env.get("NGINX_APP_CONNS_PER_REPLICA", match.group(1)))
    most_pods = by_kind(objects, "HorizontalPodAutoscaler")["app"]["spec"]["maxReplicas"]
    nginx_pods = nginx["spec"]["replicas"]
    assert int(nginx_env["NGINX_APP_MAX_CONNS"]) == -(-most_pods * per_pod // nginx_pods)


def test_nginx_stops_gracefully_within_the_grace_period(base_objects: Objects) -> None:
    """Kubernetes sends SIGTERM (fast shutdown) to nginx, so preStop asks for `nginx -s quit`
    itself; the hook's waits must fit in terminationGracePeriodSeconds."""
    command = " ".join(nginx_container(base_objects)["lifecycle"]["preStop"]["exec"]["command"])
    assert "nginx -s quit" in command
    waits = sum(int(s) for s in re.findall(r"sleep (\d+)", command))
    assert pod_spec(nginx_deployment(base_objects))["terminationGracePeriodSeconds"] > waits


def test_static_files_come_from_the_app_image(base_objects: Objects) -> None:
    spec = pod_spec(nginx_deployment(base_objects))
    (init,) = spec["initContainers"]
    app = containers(by_kind(base_objects, "Deployment")["app"])["app"]
    assert init["image"] == app["image"]
    (target,) = [m["mountPath"] for m in init["volumeMounts"]]
    script = init["command"][-1]
    assert '"static"' in script and f'"{target}"' in script
    (served,) = [m for m in nginx_container(base_objects)["volumeMounts"] if m["name"] == "static"]
    assert served["mountPath"] == "/srv/static" and served["readOnly"] is True


# --- the Kubernetes form, run by the local nginx ----------------------------------------------


class Upstream(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"upstream saw {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_local_nginx_proxies_with_the_kubernetes_site_form(
    base_objects: Objects, upstream: int, tmp_path: Path
) -> None:
    """The pod's files, relocated into a temp dir, with `app:8000` pointed at a local server:
    requests reach it through the named upstream, with no resolver configured."""
    nginx = require_executable("nginx")
    from devtools.native_stack import free_port, http_status

    port = free_port()
    mime_types = Path("/etc/nginx/mime.types")
    if not mime_types.is_file():
        pytest.fail("the nginx package's /etc/nginx/mime.types is missing")
    replacements = {
        "/etc/nginx/": f"{tmp_path}/etc/",
        "/tmp/nginx": f"{tmp_path}/run",
        "/srv/static/": f"{tmp_path}/static/",
        "user nginx;": "",
        "server app:8000;": f"server 127.0.0.1:{upstream};",
        "listen 8080 default_server;": f"listen 127.0.0.1:{port} default_server;",
    }
    for path, content in mounted_files(base_objects).items():
        for old, new in replacements.items():
            content = content.replace(old, new)
        target = tmp_path / "etc" / Path(path).relative_to("/etc/nginx")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    shutil.copy(mime_types, tmp_path / "etc" / "mime.types")
    # The pod's own entrypoint renders the body limit and the capacity limits into /tmp/nginx.
    rendered = subprocess.run(
        ["sh", str(tmp_path / "etc" / "entrypoint.sh"), "true"],
        env={
            "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
            "APP_MAX_CONTENT_LENGTH": "1048576",
            "NGINX_EDGE_SETUP": str(tmp_path / "etc" / "snippets" / "edge-setup.sh"),
        },
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert rendered.returncode == 0, rendered.stderr
    argv = [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "etc" / "nginx.conf")]
    checked = subprocess.run([*argv, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr

    process = subprocess.Popen(
        [*argv, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 20
        while http_status(port, "/nginx-health") != 200:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.1)
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/hello?x=1")
        response = connection.getresponse()
        assert response.status == 200
        assert response.read() == b"upstream saw /hello?x=1"
        connection.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.docker
def test_init_container_copies_the_static_files_out_of_the_app_image(
    base_objects: Objects, tmp_path: Path
) -> None:
    """The init container's own command, run in the image compose builds, with the pod's
    restrictions: unprivileged user, read-only root, no capabilities, a root-owned volume."""
    docker = require_docker()
    from devtools.compose_stack import standin_env
    from devtools.swarm import build_images

    (init,) = pod_spec(nginx_deployment(base_objects))["initContainers"]
    build_images({**standin_env()})
    volume = tmp_path / "static"
    volume.mkdir()
    volume.chmod(0o777)  # like an emptyDir: root's, writable by all
    context = init["securityContext"]
    done = subprocess.run(
        [
            docker, "run", "--rm", "--read-only", "--cap-drop", "ALL",
            "--security-opt", "no-new-privileges",
            "--user", f"{context['runAsUser']}:{context['runAsGroup']}",
            "--volume", f"{volume}:{init['volumeMounts'][0]['mountPath']}",
            "--entrypoint", init["command"][0],
            init["image"], *init["command"][1:],
        ],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    static = ROOT / "app" / "static"
    expected = {p.relative_to(static).as_posix() for p in static.rglob("*")}
    assert expected
    assert {p.relative_to(volume).as_posix() for p in volume.rglob("*")} == expected
    for path in volume.rglob("*"):
        # nginx runs as another user (101): it must be able to read every file.
        assert path.stat().st_mode & 0o004, f"{path} is not world-readable"
