#!/bin/sh
# Entrypoint of the PostgreSQL stand-in image, honouring the official image's variables:
#   POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE (required for a new cluster),
#   POSTGRES_USER (default postgres), POSTGRES_DB (default: POSTGRES_USER), PGDATA.
# An empty data folder gets `initdb`; the server then runs as `postgres`, never as root, and
# listens on every address of the container (the compose network decides who reaches it).
set -eu

if [ "${1:-}" != "postgres" ]; then
    exec "$@"
fi

PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA

# Read while still root, as the official image does: the secret file may be root's alone.
if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
    if [ -n "${POSTGRES_PASSWORD:-}" ]; then
        echo "entrypoint: set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE, not both" >&2
        exit 1
    fi
    POSTGRES_PASSWORD=$(cat "$POSTGRES_PASSWORD_FILE")
    export POSTGRES_PASSWORD
    unset POSTGRES_PASSWORD_FILE
fi

if [ "$(id -u)" = "0" ]; then
    # A fresh named volume belongs to root: hand it to postgres, then drop root for good.
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 700 "$PGDATA"
    # setpriv execs (runuser would stay as PID 1 and the server would miss the stop signal).
    exec setpriv --reuid=postgres --regid=postgres --init-groups /bin/sh "$0" "$@"
fi

POSTGRES_USER=${POSTGRES_USER:-postgres}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
        echo "entrypoint: the data folder is empty and no POSTGRES_PASSWORD[_FILE] is set" >&2
        exit 1
    fi
    echo "entrypoint: initialising a new cluster in $PGDATA"
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    rm -f "$pwfile"
    # initdb allows TCP from loopback only; the app connects from other containers.
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    if [ "$POSTGRES_DB" != "postgres" ]; then
        # A private, socket-only server for the set-up: nothing can connect over TCP (and the
        # healthcheck, which asks over TCP, stays unhealthy) until the real start below.
        pg_ctl -D "$PGDATA" -w -o "-c listen_addresses=''" start >/dev/null
        createdb --username="$POSTGRES_USER" "$POSTGRES_DB"
        pg_ctl -D "$PGDATA" -w -m fast stop >/dev/null
    fi
fi

# The password is in the cluster now; the server process need not carry it in its environment.
unset POSTGRES_PASSWORD
exec "$@" -c listen_addresses='*'
