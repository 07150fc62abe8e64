#!/bin/sh
# nginx container entrypoint: render the settings that come from the environment, then exec the
# command so nginx is PID 1 and gets the stop signal itself (PAIN-POINTS 2). Works on the official
# image and on stand-ins without its envsubst templates entrypoint.
set -eu

limit="${APP_MAX_CONTENT_LENGTH:-10485760}"
case "$limit" in
    '' | *[!0-9]*)
        echo "entrypoint: APP_MAX_CONTENT_LENGTH must be a whole number of bytes, got '$limit'" >&2
        exit 64
        ;;
esac

mkdir -p /tmp/nginx
# Same number as the app's MAX_CONTENT_LENGTH: nginx answers 413 before the body reaches gunicorn.
printf 'client_max_body_size %s;\n' "$limit" >/tmp/nginx/body-limit.conf
EDGE_OUT_DIR=/tmp/nginx/edge sh /etc/nginx/snippets/edge-setup.sh

exec "$@"
