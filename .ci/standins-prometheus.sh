#!/usr/bin/env bash
# Stand-ins for the monitoring profile's images (no registry is reachable from CI), built from
# Debian's packages like the other stand-ins: `prometheus` (with promtool, which the tests also
# run on the host) and `prometheus-nginx-exporter`. Their Go binaries are copied from the host's
# packages into images FROM local/bookworm-base:latest. Idempotent; run after .ci/provision.sh
# has built the base image. Compose picks them with
#   PROMETHEUS_IMAGE=local/prometheus:bookworm NGINX_EXPORTER_IMAGE=local/nginx-exporter:bookworm
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[standins-prometheus] %s\n' "$*" >&2; }
die() { printf '[standins-prometheus] FAILED: %s\n' "$*" >&2; exit 1; }

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

BASE_STANDIN="local/bookworm-base:latest"
PROMETHEUS_STANDIN="local/prometheus:bookworm"
EXPORTER_STANDIN="local/nginx-exporter:bookworm"

packages=(prometheus prometheus-nginx-exporter)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    $SUDO apt-get update -q
    # --no-install-recommends; the packages' services are never started here (no systemd).
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

image_exists() { $SUDO docker image inspect "$1" >/dev/null 2>&1; }
image_exists "$BASE_STANDIN" || die "$BASE_STANDIN is missing: run .ci/provision.sh first"

build() {  # build IMAGE BINARY ENTRYPOINT_NAME EXPOSE
    local image="$1" binary="$2" name="$3" port="$4" ctx
    if image_exists "$image"; then
        log "$image present"
        return
    fi
    log "building $image from $binary"
    ctx=$(mktemp -d)
    cp "$binary" "$ctx/$name"
    printf '%s\n' \
        "FROM $BASE_STANDIN" \
        "COPY $name /usr/local/bin/$name" \
        "USER 65534:65534" \
        "EXPOSE $port" \
        "ENTRYPOINT [\"/usr/local/bin/$name\"]" >"$ctx/Dockerfile"
    $SUDO docker build -q -t "$image" "$ctx" >/dev/null
    rm -rf "$ctx"
}

build "$PROMETHEUS_STANDIN" /usr/bin/prometheus prometheus 9090
build "$EXPORTER_STANDIN" /usr/bin/prometheus-nginx-exporter nginx-prometheus-exporter 9113
log "done: $PROMETHEUS_STANDIN $EXPORTER_STANDIN"
