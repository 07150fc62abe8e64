#!/bin/sh
# The edge settings from the environment: TLS, the rate limit, the trusted proxies, HSTS.
# nginx/entrypoint.sh runs it before nginx starts; devtools/edge.py runs the same script for the
# native stack. It writes two files that snippets/edge-http.conf and snippets/edge.conf include:
#   $EDGE_OUT_DIR/http.conf    http level: rate-limit zone, real_ip, trusted-proxy geo, HSTS
#   $EDGE_OUT_DIR/server.conf  server level: the TLS listener, the HTTP->HTTPS redirect, ACME
# Every setting and its default is in docs/edge.md. A bad value stops the container (exit 64)
# with a message instead of an nginx that starts with something else than was asked for.
set -eu

out="${EDGE_OUT_DIR:-/tmp/nginx/edge}"
tls_mode="${TLS_MODE:-off}"
cert="${TLS_CERT_PATH:-/run/secrets/tls_cert}"
key="${TLS_KEY_PATH:-/run/secrets/tls_key}"
tls_listen="${TLS_LISTEN:-8443}"
redirect_port="${TLS_REDIRECT_PORT:-443}"
stapling="${TLS_STAPLING:-auto}"
hsts_max_age="${HSTS_MAX_AGE:-31536000}"
rate="${API_RATE_LIMIT:-off}"
burst="${API_RATE_BURST:-20}"
retry_after="${API_RETRY_AFTER:-}"
proxies="${TRUSTED_PROXY_CIDRS:-}"
real_ip_from="${REAL_IP_FROM:-x-forwarded-for}"
proxy_protocol_listen="${PROXY_PROTOCOL_LISTEN:-8082}"
proxy_protocol_tls_listen="${PROXY_PROTOCOL_TLS_LISTEN:-8444}"
acme_root="${ACME_WEBROOT:-/srv/acme}"

fail() {
    echo "edge-setup: $*" >&2
    exit 64
}

whole_number() { # name value
    case "$2" in
        '' | *[!0-9]*) fail "$1 must be a whole number, got '$2'" ;;
    esac
}

listen_address() { # name value: a port, or address:port
    case "$2" in
        '' | *[!0-9A-Za-z.:\[\]]*) fail "$1 must be a port or address:port, got '$2'" ;;
    esac
}

whole_number HSTS_MAX_AGE "$hsts_max_age"
whole_number API_RATE_BURST "$burst"
whole_number TLS_REDIRECT_PORT "$redirect_port"
listen_address TLS_LISTEN "$tls_listen"
listen_address PROXY_PROTOCOL_LISTEN "$proxy_protocol_listen"
listen_address PROXY_PROTOCOL_TLS_LISTEN "$proxy_protocol_tls_listen"
# Off by default: load tests and offices behind one NAT address look like one client; the right
# number depends on the API (docs/edge.md). nginx's own rate syntax: per second or per minute.
if [ "$rate" != off ]; then
    echo "$rate" | grep -Eq '^[1-9][0-9]*r/[sm]$' ||
        fail "API_RATE_LIMIT must be off or look like 10r/s or 30r/m, got '$rate'"
fi
# Retry-After by default: the time the limit takes to allow one more request, rounded up.
if [ -z "$retry_after" ]; then
    case "$rate" in
        *r/m) per_minute="${rate%r/m}" && retry_after=$(((60 + per_minute - 1) / per_minute)) ;;
        *) retry_after=1 ;;
    esac
fi
whole_number API_RETRY_AFTER "$retry_after"
case "$acme_root" in
    /*) ;;
    *) fail "ACME_WEBROOT must be an absolute path, got '$acme_root'" ;;
esac
case "$acme_root$cert$key" in
    *[\;\{\}\ \$\"\']*) fail "ACME_WEBROOT, TLS_CERT_PATH and TLS_KEY_PATH may not hold spaces, quotes, \$, ; or braces" ;;
esac

# The version decides how HTTP/2 is switched on: `listen ... http2` before 1.25.1 (1.22 knows
# nothing else), the `http2` directive after (the listen flag still works there, with a warning).
http2_directive=no
version="$("${NGINX_BIN:-nginx}" -v 2>&1 | sed -n 's|.*nginx/\([0-9][0-9.]*\).*|\1|p')"
if [ -n "$version" ]; then
    major="${version%%.*}"
    rest="${version#*.}"
    minor="${rest%%.*}"
    patch="${rest#*.}"
    patch="${patch%%.*}"
    if [ "$major" -gt 1 ] || [ "$minor" -gt 25 ] || { [ "$minor" -eq 25 ] && [ "$patch" -ge 1 ]; }; then
        http2_directive=yes
    fi
fi

mkdir -p "$out"
http_conf="$out/http.conf"
server_conf="$out/server.conf"

# --- http level -------------------------------------------------------------------------------
{
    echo "# Rendered by edge-setup.sh from the environment; do not edit."
    if [ "$rate" != off ]; then
        echo "limit_req_zone \$edge_api_client zone=edge_api:10m rate=$rate;"
    fi
    echo "map \$uri \$edge_retry_after { default $retry_after; }"
    echo "map \$edge_forwarded_proto \$edge_hsts { https \"max-age=$hsts_max_age\"; default \"\"; }"
    # Peers whose forwarded headers (or PROXY protocol header) are believed: TRUSTED_PROXY_CIDRS.
    echo "geo \$realip_remote_addr \$edge_from_trusted_proxy {"
    echo "    default 0;"
    for cidr in $(echo "$proxies" | tr ',' ' '); do
        case "$cidr" in
            *[!0-9A-Fa-f.:/]*) fail "TRUSTED_PROXY_CIDRS: '$cidr' is not an address or CIDR" ;;
        esac
        echo "    $cidr 1;"
    done
    echo "}"
    if [ -n "$proxies" ]; then
        for cidr in $(echo "$proxies" | tr ',' ' '); do
            echo "set_real_ip_from $cidr;"
        done
        case "$real_ip_from" in
            x-forwarded-for) echo "real_ip_header X-Forwarded-For;" ;;
            proxy-protocol) echo "real_ip_header proxy_protocol;" ;;
            *) fail "REAL_IP_FROM must be x-forwarded-for or proxy-protocol, got '$real_ip_from'" ;;
        esac
        # Behind a chain of trusted proxies, the client is the last address none of them owns.
        echo "real_ip_recursive on;"
    fi
} >"$http_conf"

# --- server level -----------------------------------------------------------------------------
tls_listen_line() { # address [extra flags]
    if [ "$http2_directive" = yes ]; then
        echo "listen $1 ssl$2;"
    else
        echo "listen $1 ssl http2$2;"
    fi
}

{
    echo "# Rendered by edge-setup.sh from the environment; do not edit."
    if [ "$rate" != off ]; then
        echo "limit_req zone=edge_api burst=$burst nodelay;"
    fi
    # ACME http-01 answers (certbot --webroot -w $acme_root) on every listener, TLS or not, so
    # the first certificate can be had while TLS is still off.
    echo "location ^~ /.well-known/acme-challenge/ {"
    echo "    root $acme_root;"
    echo "    default_type text/plain;"
    echo "    try_files \$uri =404;"
    echo "}"
    if [ -n "$proxies" ] && [ "$real_ip_from" = proxy-protocol ]; then
        echo "listen $proxy_protocol_listen proxy_protocol;"
    fi
    case "$tls_mode" in
        off) ;;
        files)
            [ -r "$cert" ] || fail "TLS_MODE=files but the certificate $cert cannot be read"
            [ -r "$key" ] || fail "TLS_MODE=files but the key $key cannot be read"
            grep -q 'BEGIN CERTIFICATE' "$cert" || fail "$cert holds no PEM certificate (TLS_CERT_FILE)"
            grep -q 'PRIVATE KEY' "$key" || fail "$key holds no PEM private key (TLS_KEY_FILE)"
            tls_listen_line "$tls_listen" ""
            if [ -n "$proxies" ] && [ "$real_ip_from" = proxy-protocol ]; then
                tls_listen_line "$proxy_protocol_tls_listen" " proxy_protocol"
            fi
            if [ "$http2_directive" = yes ]; then
                echo "http2 on;"
            fi
            echo "ssl_certificate $cert;"
            echo "ssl_certificate_key $key;"
            # OCSP stapling needs the issuer's certificate: on by default when the file holds
            # a chain (a certificate without an OCSP URL only makes nginx log a warning).
            case "$stapling" in
                auto)
                    stapling=off
                    if [ "$(grep -c 'BEGIN CERTIFICATE' "$cert")" -ge 2 ]; then
                        stapling=on
                    fi
                    ;;
                on | off) ;;
                *) fail "TLS_STAPLING must be auto, on or off, got '$stapling'" ;;
            esac
            if [ "$stapling" = on ]; then
                echo "ssl_stapling on;"
                echo "ssl_stapling_verify on;"
            fi
            suffix=":$redirect_port"
            if [ "$redirect_port" = 443 ]; then
                suffix=""
            fi
            echo "if (\$edge_https_redirect) {"
            echo "    return 308 https://\$host$suffix\$request_uri;"
            echo "}"
            ;;
        *) fail "TLS_MODE must be off or files, got '$tls_mode'" ;;
    esac
} >"$server_conf"
