#!/usr/bin/env bash
# Build the local PostgreSQL stand-in image (no registry here, so no postgres:17-alpine):
# Debian's postgresql-15 on the local base image, with an entrypoint that honours the official
# image's variables (deploy/postgres/). Idempotent; .ci/provision.sh calls it after the other
# stand-ins. Tests and `make up` use it through POSTGRES_IMAGE=local/postgres:15-bookworm.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE_STANDIN=${BASE_STANDIN:-local/bookworm-base:latest}
POSTGRES_STANDIN=${POSTGRES_STANDIN:-local/postgres:15-bookworm}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

log() { printf '[standins-postgres] %s\n' "$*"; }

if $SUDO docker image inspect "$POSTGRES_STANDIN" >/dev/null 2>&1 \
    && [ -z "${REBUILD:-}" ]; then
    log "$POSTGRES_STANDIN exists (REBUILD=1 to build it again)"
    exit 0
fi
$SUDO docker image inspect "$BASE_STANDIN" >/dev/null 2>&1 \
    || { log "$BASE_STANDIN is missing: run .ci/provision.sh first"; exit 1; }
log "building $POSTGRES_STANDIN from $BASE_STANDIN"
$SUDO docker build -q --build-arg "BASE_IMAGE=$BASE_STANDIN" -t "$POSTGRES_STANDIN" \
    "$ROOT/deploy/postgres" >/dev/null
log "done"
