"""The Kubernetes manifests render, validate against the API schemas, and hold together.

Rendering uses kustomize (kubectl kustomize); validation is offline, against the OpenAPI schemas
shipped in PyPI's kubernetes-validate, in strict mode so a misspelt field fails instead of being
dropped by the API server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from tests.k8s.render import BASE, TREES, all_containers, by_kind, containers, pod_spec

# 1.30 is the oldest release whose schema has the preStop `sleep` action the app uses (beta and on
# by default there, GA in 1.32); the newest is what kubernetes-validate ships.
KUBERNETES_VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]

Objects = list[dict[str, Any]]


def tree_id(tree: Path) -> str:
    return "base" if tree == BASE else tree.name


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_every_rendered_object_validates_against_the_kubernetes_schema(
    rendered: dict[Path, Objects], tree: Path, version: str
) -> None:
    objects = rendered[tree]
    assert objects, f"{tree} rendered nothing"
    errors = []
    for obj in objects:
        name = f"{obj['kind']}/{obj['metadata']['name']}"
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            errors.append(f"{name}: {'.'.join(map(str, error.path))}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            errors.append(f"{name}: {error.message}")
    assert errors == []


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_each_tree_renders_the_whole_service(rendered: dict[Path, Objects], tree: Path) -> None:
    kinds = {(o["kind"], o["metadata"]["name"]) for o in rendered[tree]}
    for expected in [
        ("Deployment", "app"),
        ("Service", "app"),
        ("HorizontalPodAutoscaler", "app"),
        ("PodDisruptionBudget", "app"),
        ("NetworkPolicy", "app"),
        ("Deployment", "nginx"),
        ("Service", "nginx"),
        ("PodDisruptionBudget", "nginx"),
    ]:
        assert expected in kinds


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_every_selector_finds_the_pods_it_is_meant_for(
    rendered: dict[Path, Objects], tree: Path
) -> None:
    objects = rendered[tree]
    deployments = {**by_kind(objects, "Deployment"), **by_kind(objects, "StatefulSet")}

    def pods_matching(selector: dict[str, str]) -> set[str]:
        return {
            name
            for name, d in deployments.items()
            if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        }

    for name, deployment in deployments.items():
        assert pods_matching(deployment["spec"]["selector"]["matchLabels"]) == {name}
    for name, service in by_kind(objects, "Service").items():
        assert pods_matching(service["spec"]["selector"]) == {name}
        port_names = {p["name"] for p in containers(deployments[name])[name]["ports"]}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in port_names, f"Service {name} targets an unnamed port"
    for name, budget in by_kind(objects, "PodDisruptionBudget").items():
        assert pods_matching(budget["spec"]["selector"]["matchLabels"]) == {name}


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_the_autoscaler_owns_the_app_replica_count(
    rendered: dict[Path, Objects], tree: Path
) -> None:
    objects = rendered[tree]
    autoscaler = by_kind(objects, "HorizontalPodAutoscaler")["app"]
    target = autoscaler["spec"]["scaleTargetRef"]
    app = by_kind(objects, "Deployment")[target["name"]]
    # A replicas value in the Deployment would reset the autoscaler's choice on every apply.
    assert "replicas" not in app["spec"]
    # Two at least, so a rollout or a drain never leaves nginx without an upstream.
    assert 2 <= autoscaler["spec"]["minReplicas"] <= autoscaler["spec"]["maxReplicas"]
    # CPU utilisation is measured against requests: without one the autoscaler never acts.
    for container in containers(app).values():
        assert container["resources"]["requests"]["cpu"]


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_every_container_runs_hardened_like_the_compose_services(
    rendered: dict[Path, Objects], tree: Path
) -> None:
    """The `restricted` Pod Security profile, plus a read-only root with memory-backed scratch."""
    workloads = {**by_kind(rendered[tree], "Deployment"), **by_kind(rendered[tree], "StatefulSet")}
    for name, deployment in workloads.items():
        spec = pod_spec(deployment)
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] != 0, name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec["automountServiceAccountToken"] is False, name
        for container in all_containers(deployment):
            context = container["securityContext"]
            where = f"{name}/{container['name']}"
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            assert "add" not in context["capabilities"], where
            assert context.get("runAsUser", 1) != 0, where
            assert container["resources"]["limits"]["memory"], where
        mounts = {m["mountPath"] for c in spec["containers"] for m in c.get("volumeMounts", [])}
        assert "/tmp" in mounts, f"{name}: a read-only root needs a writable /tmp"
        for volume in spec.get("volumes", []):
            # Secrets are mounted as files (the app's SECRET_KEY), never passed as variables.
            assert set(volume) - {"name"} <= {"emptyDir", "configMap", "secret"}, volume


def test_app_pods_get_no_service_links(base_objects: Objects) -> None:
    """A Service named `app` would inject APP_SERVICE_HOST, APP_PORT, ... into every pod, and
    the app loads every APP_* variable into its config."""
    for name, deployment in by_kind(base_objects, "Deployment").items():
        assert pod_spec(deployment)["enableServiceLinks"] is False, name


def test_only_nginx_may_reach_the_app_pods(base_objects: Objects) -> None:
    """gunicorn trusts X-Forwarded-* from any peer (FORWARDED_ALLOW_IPS=*, as in compose), which
    is safe only while nginx is the one peer that can connect."""
    policy = by_kind(base_objects, "NetworkPolicy")["app"]
    deployments = by_kind(base_objects, "Deployment")
    app_labels = deployments["app"]["spec"]["template"]["metadata"]["labels"]
    nginx_labels = deployments["nginx"]["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= app_labels.items()
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    (rule,) = policy["spec"]["ingress"]
    (peer,) = rule["from"]
    assert set(peer) == {"podSelector"}
    assert peer["podSelector"]["matchLabels"].items() <= nginx_labels.items()
    assert not peer["podSelector"]["matchLabels"].items() <= app_labels.items()
    app_port = containers(deployments["app"])["app"]["ports"][0]["containerPort"]
    assert [p["port"] for p in rule["ports"]] == [app_port]
