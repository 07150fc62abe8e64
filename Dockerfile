# wsgi-stack app image: gunicorn serving app.wsgi:app as an unprivileged user.
# Build: docker build -t wsgi-stack-app . (the classic builder is enough: no BuildKit features);
# behind a TLS-intercepting proxy run `make build-certs` first (certs/README.md; `make up` does).
# PYTHON_IMAGE picks the base; CI passes a locally built stand-in (local/python:3.11-bookworm).
ARG PYTHON_IMAGE=python:3.12-slim

# --- builder: a virtualenv with the locked runtime, every hash checked ---------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

# Extra CA certificates (certs/*.crt, git-ignored) for builds behind a TLS-intercepting proxy.
# They are trusted by pip in this stage only; the final stage never copies them.
COPY certs/ /tmp/certs/
RUN python3 -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
# pip reads one bundle: the system CAs plus any extra ones, only when extra ones exist.
RUN set -eu; \
    if ls /tmp/certs/*.crt >/dev/null 2>&1; then \
        cat /etc/ssl/certs/ca-certificates.crt /tmp/certs/*.crt >/tmp/ca-bundle.pem; \
        export PIP_CERT=/tmp/ca-bundle.pem; \
    fi; \
    /opt/venv/bin/pip install --no-cache-dir --require-hashes --requirement /tmp/requirements.txt

# --- final: the venv, the code, nothing else ----------------------------------------------------
FROM ${PYTHON_IMAGE}

# A fixed numeric uid/gid, so orchestrators can check runAsNonRoot and volumes can match it.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin app

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    BIND=0.0.0.0:8000 \
    PORT=8000

COPY --from=builder /opt/venv /opt/venv
WORKDIR /srv
# Code and config owned by root and read-only for the app user: a compromised worker cannot
# rewrite them (the compose file also makes the whole root filesystem read-only).
COPY gunicorn.conf.py ./
COPY flasklite/ ./flasklite/
COPY wsgistack/ ./wsgistack/
COPY app/ ./app/
# Byte-compile once at build time: the root filesystem is read-only at run time.
RUN python3 -m compileall -q /srv/flasklite /srv/wsgistack /srv/app /srv/gunicorn.conf.py

USER 10001:10001
EXPOSE 8000

# Readiness through Python's standard library: slim images have no curl (PAIN-POINTS 8).
# http.client ignores HTTP(S)_PROXY, which would otherwise route this check to a proxy.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python3", "-c", "import http.client, os, sys; c = http.client.HTTPConnection('127.0.0.1', int(os.environ.get('PORT', '8000')), timeout=2); c.request('GET', '/readyz'); sys.exit(0 if c.getresponse().status == 200 else 1)"]

# Exec form: gunicorn is PID 1 and receives SIGTERM itself, so it drains in-flight requests
# within graceful_timeout instead of being SIGKILLed behind a shell (PAIN-POINTS 2).
CMD ["gunicorn", "--config", "gunicorn.conf.py", "app.wsgi:app"]
