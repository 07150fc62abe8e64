#!/usr/bin/env bash
# Native PostgreSQL for CI and `make stack`, from Debian's package (initdb, pg_ctl for
# devtools/native_db.py), without a system cluster: every user of it (tests, `make stack`) makes
# a private one in its own run folder. The stand-in image is built by .ci/standins.sh.
# Idempotent.
set -euo pipefail

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

log() { printf '[native-postgres] %s\n' "$*" >&2; }

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
