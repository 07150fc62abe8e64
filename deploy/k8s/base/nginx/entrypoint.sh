#!/bin/sh
# nginx container entrypoint: render the settings that come from the environment, then exec the
# command so nginx is PID 1 and gets the stop signal itself (PAIN-POINTS 2). Works on the official
# image and on stand-ins without its envsubst templates entrypoint. Design: docs/capacity.md.
#
#   APP_MAX_CONTENT_LENGTH         body limit in bytes, shared with the app (client_max_body_size)
#   NGINX_API_MAX_BODY             body limit of /api/ (default 1 MiB, at most the one above)
#   NGINX_APP_UPSTREAM             host:port of the app (compose: app:8000). Unset: the site keeps
#                                  its own upstream block (Kubernetes) and nothing is watched.
#   NGINX_UPSTREAM_MODE            auto (default) | resolve | list: how the upstream follows replicas
#   NGINX_RESOLVER                 DNS server for `resolve` (Docker's: 127.0.0.11)
#   NGINX_APP_CONNS_PER_REPLICA    requests nginx lets into each replica at once (default 32)
#   NGINX_APP_MAX_CONNS            a fixed total instead (0 = per replica x replicas)
#   NGINX_APP_REPLICAS             replica count when NGINX_APP_UPSTREAM is unset (default 1)
#   NGINX_PER_CLIENT_CONNS         requests one client address may have in progress (default 100)
#   NGINX_UPLOADS_PER_CLIENT       of those, requests with a body (default 16)
#   NGINX_RUN_DIR                  where the rendered files go (/tmp/nginx; the native stack's own)
set -eu

RUN_DIR="${NGINX_RUN_DIR:-/tmp/nginx}"
UPSTREAM_CONF="$RUN_DIR/upstream.conf"
CAPACITY_CONF="$RUN_DIR/app-capacity.conf"

# One JSON line on stderr, in the schema of the app's and gunicorn's lines (docs/observability.md),
# so `docker compose logs` stays machine-readable from the first line.
log_line() { # level message
    message=$(printf '%s' "$2" | sed 's/\\/\\\\/g; s/"/\\"/g')
    printf '{"time":"%s","level":"%s","logger":"nginx.entrypoint","message":"%s","request_id":"-","pid":%s}\n' \
        "$(date -u +%Y-%m-%dT%H:%M:%S+00:00)" "$1" "$message" "$$" >&2
}

whole_number() { # name value
    case "$2" in
        '' | *[!0-9]*)
            log_line ERROR "$1 must be a whole number, got '$2'"
            exit 64
            ;;
    esac
}

limit="${APP_MAX_CONTENT_LENGTH:-10485760}"
per_replica="${NGINX_APP_CONNS_PER_REPLICA:-32}"
max_conns="${NGINX_APP_MAX_CONNS:-0}"
per_client="${NGINX_PER_CLIENT_CONNS:-100}"
uploads_per_client="${NGINX_UPLOADS_PER_CLIENT:-16}"
interval="${NGINX_UPSTREAM_WATCH_INTERVAL:-2}"
whole_number APP_MAX_CONTENT_LENGTH "$limit"
whole_number NGINX_APP_CONNS_PER_REPLICA "$per_replica"
whole_number NGINX_APP_MAX_CONNS "$max_conns"
whole_number NGINX_PER_CLIENT_CONNS "$per_client"
whole_number NGINX_UPLOADS_PER_CLIENT "$uploads_per_client"
whole_number NGINX_UPSTREAM_WATCH_INTERVAL "$interval"

mkdir -p "$RUN_DIR"
# Same number as the app's MAX_CONTENT_LENGTH: nginx answers 413 before the body reaches gunicorn.
printf 'client_max_body_size %s;\n' "$limit" >"$RUN_DIR/body-limit.conf"
# The JSON API's own limit: NGINX_API_MAX_BODY (1 MiB), never above the site's.
api_limit="${NGINX_API_MAX_BODY:-1048576}"
whole_number NGINX_API_MAX_BODY "$api_limit"
[ "$api_limit" -le "$limit" ] || api_limit=$limit
printf 'client_max_body_size %s;\n' "$api_limit" >"$RUN_DIR/api-body-limit.conf"
# TLS, rate limits and trusted proxies (docs/edge.md), on every path below.
EDGE_OUT_DIR="$RUN_DIR/edge" sh "${NGINX_EDGE_SETUP:-$(dirname "$0")/snippets/edge-setup.sh}"

# True when this nginx is 1.27.3 or newer, the first open-source release with `server ... resolve`.
nginx_has_resolve() {
    version=$(nginx -v 2>&1 | sed -n 's|.*nginx/\([0-9][0-9.]*\).*|\1|p')
    echo "$version" | awk -F. '{ exit !(($1 * 1000000 + $2 * 1000 + $3) >= 1027003) }'
}

# The app's addresses, one a line, sorted (one per replica in Docker's DNS).
app_addresses() {
    if command -v getent >/dev/null 2>&1; then
        getent ahostsv4 "$app_host" 2>/dev/null | awk '{ print $1 }' | sort -u
    else # busybox: no getent on some alpine images
        nslookup "$app_host" 2>/dev/null | awk '/^Name:/ { found = 1 } found && /^Address/ { print $NF }' |
            grep -E '^[0-9.]+$' | sort -u
    fi
}

# Requests let through to the app at once (those without a body; see nginx.conf): past this nginx
# answers 503 + Retry-After at once instead of queueing without bound in gunicorn; and what one
# client address may have in progress (docs/capacity.md).
render_capacity() { # replica count
    total=$max_conns
    [ "$total" -gt 0 ] || total=$((per_replica * $1))
    {
        echo "# Rendered by entrypoint.sh for $1 replica(s): see docs/capacity.md."
        echo "limit_conn wsgi_app_inflight $total;"
        echo "limit_conn wsgi_per_client $per_client;"
        echo "limit_conn wsgi_uploads_per_client $uploads_per_client;"
    } >"$CAPACITY_CONF.new"
    mv "$CAPACITY_CONF.new" "$CAPACITY_CONF"
}

# Idle connections to gunicorn that each nginx worker keeps for reuse: without them every request
# opens a new connection and at ~1,000 requests/s the closed ones (TIME_WAIT) use up the ephemeral
# ports ("Cannot assign requested address"). gunicorn's keepalive (75 s) outlasts 60 s, so nginx,
# not gunicorn, closes an idle one.
upstream_tail() {
    echo "    keepalive 32;"
    echo "    keepalive_timeout 60s;"
    echo "}"
}

render_resolve_upstream() {
    {
        echo "# Rendered by entrypoint.sh (nginx >= 1.27.3): nginx re-resolves the name itself."
        echo "resolver ${NGINX_RESOLVER:-127.0.0.11} valid=5s ipv6=off;"
        echo "resolver_timeout 2s;"
        echo "upstream wsgi_app {"
        echo "    zone wsgi_app 64k;"
        echo "    server $app_host:$app_port resolve max_fails=1 fail_timeout=2s;"
        upstream_tail
    } >"$UPSTREAM_CONF.new"
    mv "$UPSTREAM_CONF.new" "$UPSTREAM_CONF"
}

render_list_upstream() { # addresses, one a line
    {
        echo "# Rendered by entrypoint.sh (nginx < 1.27.3): the replicas' addresses, re-rendered"
        echo "# and reloaded by its watcher when they change."
        echo "upstream wsgi_app {"
        if [ -n "$1" ]; then
            echo "$1" | while read -r address; do
                echo "    server $address:$app_port max_fails=1 fail_timeout=2s;"
            done
        else
            # Nothing resolves yet: nginx answers its 502 page until the watcher sees a replica.
            echo "    server 127.0.0.1:$app_port down;"
        fi
        upstream_tail
    } >"$UPSTREAM_CONF.new"
    mv "$UPSTREAM_CONF.new" "$UPSTREAM_CONF"
}

count_lines() { [ -n "$1" ] && echo "$1" | wc -l | tr -d ' ' || echo 1; }

# Re-resolve every $interval seconds; on a change, re-render and reload (a graceful reload: old
# workers finish their requests). No answer (every replica stopped) renders the `down` upstream:
# nginx answers its 502 page at once instead of waiting on addresses that are gone.
watch_replicas() { # mode last-addresses
    mode=$1
    last=$2
    while sleep "$interval"; do
        now=$(app_addresses || true)
        [ "$now" != "$last" ] || continue
        [ -n "$now" ] || [ "$mode" = list ] || continue
        [ "$mode" = list ] && render_list_upstream "$now"
        render_capacity "$(count_lines "$now")"
        log_line INFO "app replicas now: $(echo "$now" | tr '\n' ' ')- reloading nginx"
        # nginx -s prints a notice of its own on success: kept out of the JSON log stream.
        reloaded=$(nginx -s reload 2>&1) || log_line ERROR "nginx -s reload failed: $reloaded"
        last=$now
    done
}

app_upstream="${NGINX_APP_UPSTREAM:-}"
if [ -z "$app_upstream" ]; then
    replicas="${NGINX_APP_REPLICAS:-1}"
    whole_number NGINX_APP_REPLICAS "$replicas"
    render_capacity "$replicas"
    exec "$@"
fi

app_host=${app_upstream%:*}
app_port=${app_upstream##*:}
whole_number "NGINX_APP_UPSTREAM's port" "$app_port"
mode="${NGINX_UPSTREAM_MODE:-auto}"
if [ "$mode" = auto ]; then
    if nginx_has_resolve; then mode=resolve; else mode=list; fi
fi
addresses=$(app_addresses || true)
case "$mode" in
    resolve) render_resolve_upstream ;;
    list) render_list_upstream "$addresses" ;;
    *)
        log_line ERROR "NGINX_UPSTREAM_MODE must be auto, resolve or list, got '$mode'"
        exit 64
        ;;
esac
render_capacity "$(count_lines "$addresses")"
log_line INFO "upstream mode $mode, app replicas: $(echo "$addresses" | tr '\n' ' ')"


# Only for arguments that start nginx: `docker compose run nginx nginx -t` needs no watcher.
if [ "${1:-}" = nginx ] && [ "$interval" -gt 0 ]; then
    # In the background; nginx (exec'd below as PID 1) becomes its parent and reaps it.
    watch_replicas "$mode" "$addresses" &
fi
exec "$@"
