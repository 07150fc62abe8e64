#!/usr/bin/env bash
# Stand-in base images for machines with no container registry (`docker pull` fails), built from
# Debian packages with debootstrap: local/python:3.11-bookworm, local/nginx:1.22-bookworm and
# local/postgres:15-bookworm (deploy/postgres/, whose entrypoint honours the official image's
# variables).
# Idempotent: images that exist are kept. `make standins` runs it with --env-file .env, which also
# points PYTHON_IMAGE / NGINX_IMAGE / POSTGRES_IMAGE in that file at the stand-ins, so a plain
# `docker compose up --build` (or `make up`) uses them; .ci/provision.sh runs it without.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[standins] %s\n' "$*" >&2; }
die() { printf '[standins] FAILED: %s\n' "$*" >&2; exit 1; }
trap 'die "line $LINENO: $BASH_COMMAND"' ERR

ENV_FILE=""
while [ $# -gt 0 ]; do
    case "$1" in
        --env-file) ENV_FILE="$2"; shift 2 ;;
        *) die "unknown argument $1 (usage: .ci/standins.sh [--env-file .env])" ;;
    esac
done

PYTHON_STANDIN="local/python:3.11-bookworm"
NGINX_STANDIN="local/nginx:1.22-bookworm"
BASE_STANDIN="local/bookworm-base:latest"
POSTGRES_STANDIN="local/postgres:15-bookworm"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "run as root or install sudo"
    SUDO="sudo"
fi
command -v docker >/dev/null || die "no docker CLI; install Docker first (Debian: .ci/provision.sh)"
$SUDO docker info >/dev/null 2>&1 || die "the Docker engine does not answer; start it first"

image_exists() { $SUDO docker image inspect "$1" >/dev/null 2>&1; }

if ! image_exists "$PYTHON_STANDIN" || ! image_exists "$NGINX_STANDIN"; then
    if ! image_exists "$BASE_STANDIN"; then
        command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] \
            || die "debootstrap is needed to build the stand-ins (Debian: apt-get install debootstrap)"
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
        $SUDO docker build --force-rm -q -t "$PYTHON_STANDIN" "$ctx" >/dev/null
    fi
    if ! image_exists "$NGINX_STANDIN"; then
        log "building $NGINX_STANDIN"
        # STOPSIGNAL SIGQUIT as in the official image: nginx finishes in-flight requests.
        printf 'FROM %s\nSTOPSIGNAL SIGQUIT\nEXPOSE 80\nCMD ["nginx", "-g", "daemon off;"]\n' \
            "$BASE_STANDIN" >"$ctx/Dockerfile"
        $SUDO docker build --force-rm -q -t "$NGINX_STANDIN" "$ctx" >/dev/null
    fi
    rm -rf "$ctx"
fi
image_exists "$PYTHON_STANDIN" || die "$PYTHON_STANDIN missing after build"
image_exists "$NGINX_STANDIN" || die "$NGINX_STANDIN missing after build"
if ! image_exists "$POSTGRES_STANDIN"; then
    log "building $POSTGRES_STANDIN"
    $SUDO docker build --force-rm -q --build-arg "BASE_IMAGE=$BASE_STANDIN" \
        -t "$POSTGRES_STANDIN" deploy/postgres >/dev/null
fi
image_exists "$POSTGRES_STANDIN" || die "$POSTGRES_STANDIN missing after build"
log "base images: $PYTHON_STANDIN $NGINX_STANDIN $POSTGRES_STANDIN"

# Point compose at them: replace the variable's line in the env file, or append it.
set_env() {
    local name="$1" value="$2" file="$3"
    if grep -q "^${name}=" "$file"; then
        sed -i "s|^${name}=.*|${name}=${value}|" "$file"
    else
        printf '%s=%s\n' "$name" "$value" >>"$file"
    fi
}
if [ -n "$ENV_FILE" ]; then
    [ -e "$ENV_FILE" ] || cp .env.example "$ENV_FILE"
    set_env PYTHON_IMAGE "$PYTHON_STANDIN" "$ENV_FILE"
    set_env NGINX_IMAGE "$NGINX_STANDIN" "$ENV_FILE"
    set_env POSTGRES_IMAGE "$POSTGRES_STANDIN" "$ENV_FILE"
    log "$ENV_FILE: the *_IMAGE variables point at the stand-ins (docker compose reads it)"
fi
