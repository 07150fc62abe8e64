#!/usr/bin/env bash
# PostgreSQL for CI and `make stack`, both from Debian's package (no registry reachable here):
#   1. the native package (initdb, pg_ctl for devtools/native_db.py), without a system cluster:
#      every user of it (tests, `make stack`) makes a private one in its own run folder;
#   2. the stand-in image local/postgres:15-bookworm (deploy/postgres/), whose entrypoint
#      honours the official image's variables; compose gets it through POSTGRES_IMAGE.
# Idempotent. .ci/provision.sh runs it last, once the base image exists.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE_STANDIN=${BASE_STANDIN:-local/bookworm-base:latest}
POSTGRES_STANDIN=${POSTGRES_STANDIN:-local/postgres:15-bookworm}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

log() { printf '[standins-postgres] %s\n' "$*" >&2; }

# --- 1. The native package --------------------------------------------------------------------
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    # postgresql-common would create and start a cluster `main` on port 5432: not wanted here.
    $SUDO mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" \
        | $SUDO tee /etc/postgresql-common/createcluster.d/wsgi-stack.conf >/dev/null
    log "installing Debian's postgresql"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends postgresql
fi
log "native PostgreSQL: $(ls -d /usr/lib/postgresql/*/bin | tail -n 1)"

# --- 2. The stand-in image --------------------------------------------------------------------
if $SUDO docker image inspect "$POSTGRES_STANDIN" >/dev/null 2>&1 && [ -z "${REBUILD:-}" ]; then
    log "$POSTGRES_STANDIN exists (REBUILD=1 to build it again)"
    exit 0
fi
$SUDO docker image inspect "$BASE_STANDIN" >/dev/null 2>&1 \
    || { log "$BASE_STANDIN is missing: run .ci/provision.sh first"; exit 1; }
log "building $POSTGRES_STANDIN from $BASE_STANDIN"
$SUDO docker build -q --build-arg "BASE_IMAGE=$BASE_STANDIN" -t "$POSTGRES_STANDIN" \
    "$ROOT/deploy/postgres" >/dev/null
log "built $POSTGRES_STANDIN"
