"""The miniature template: every kind of file the copy must treat differently, once."""

from __future__ import annotations

from pathlib import Path

# Relative path -> content. Every kind of file the copy must treat differently appears once.
MINI_TEMPLATE: dict[str, str | bytes] = {
    "docker-compose.yml": (
        "name: wsgi-stack\n"
        "services:\n"
        "  app:\n"
        "    image: ${APP_IMAGE:-wsgi-stack-app:latest}\n"
        "    environment:\n"
        "      APP_SERVICE_NAME: wsgi-stack\n"
        "      WEB_CONCURRENCY: 2\n"
    ),
    "app/config.py": (
        "from __future__ import annotations\n\n"
        'ENV_PREFIX = "APP"\n'
        'DEFAULTS = {"SERVICE_NAME": "wsgi-stack"}\n'
        'OTHER = ("MY_APP_X", "WEBAPP_Y", "APP_lower", "APPLE_Z")\n'
        "from flasklite import APP_FRAMEWORK_TOKEN\n"
    ),
    "app/templates/base.html": "<title>{{ config.SERVICE_NAME }} - wsgi-stack</title>\n",
    "flasklite/__init__.py": (
        '"""Framework: mentions wsgi-stack and APP_DEBUG=true in its docs, as examples."""\n'
        "APP_FRAMEWORK_TOKEN = 1\n"
        'SETTING = environ.get("APP_READ_BY_FRAMEWORK")\n'
    ),
    "app/static/logo.bin": b"\x89PNG\0wsgi-stack APP_X\0",
    "tests/framework/test_config.py": 'ENVIRON = {"APP_DEBUG": "true"}  # wsgi-stack\n',
    ".env.example": "APP_DEBUG=false\nAPP_LOG_LEVEL=INFO\n",
    ".env": "APP_SECRET=do-not-copy\n",
    ".env.local": "APP_SECRET=do-not-copy\n",
    "certs/README.md": "Put wsgi-stack's TLS files here.\n",
    "certs/server.key": "-----BEGIN PRIVATE KEY-----\n",
    "nginx/conf.d/wsgi-stack.conf": "upstream wsgi-stack { server 127.0.0.1:8000; }\n",
    "deploy/k8s/app.env": "APP_TRUSTED_PROXY_COUNT=1\n",
    "pyproject.toml": '[project]\nname = "wsgi-stack"\n[tool.ruff]\nline-length = 60\n',
    "tests/service/test_page.py": 'EXPECTED = "It works: wsgi-stack is running"\n',
    "LICENSE": "MIT License\n\nCopyright (c) 2026 The wsgi-stack authors\n",
    "run.sh": "#!/bin/sh\nexec env APP_DEBUG=0 true\n",
    "README.md": (
        "# wsgi-stack\n"
        "<!-- new-service: keep-start -->\n"
        "The template wsgi-stack reads APP_DEBUG.\n"
        "<!-- new-service: keep-end -->\n"
        "Set APP_DEBUG.\n"
    ),
    # Output, caches, venvs, secrets and the template's own tooling: never copied.
    ".venv/pyvenv.cfg": "home = /usr\n",
    "myenv/pyvenv.cfg": "home = /usr\n",
    "myenv/lib/site.py": "x = 1\n",
    "app/__pycache__/config.cpython-311.pyc": b"\0\0",
    ".pytest_cache/README.md": "cache\n",
    ".run/stack.pid": "123\n",
    "bench/results/run.json": "{}\n",
    "build/lib/app.py": "x = 1\n",
    "wsgi_stack.egg-info/PKG-INFO": "Name: wsgi-stack\n",
    "devtools/new_service.py": "TEMPLATE = 'wsgi-stack'\n",
    "tests/template/test_new_service.py": "TEMPLATE = 'wsgi-stack'\n",
}

COPIED = {
    "docker-compose.yml",
    "app/config.py",
    "app/templates/base.html",
    "flasklite/__init__.py",
    "app/static/logo.bin",
    "tests/framework/test_config.py",
    ".env.example",
    "certs/README.md",
    "nginx/conf.d/wsgi-stack.conf",
    "deploy/k8s/app.env",
    "pyproject.toml",
    "tests/service/test_page.py",
    "LICENSE",
    "run.sh",
    "README.md",
}


def write_tree(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
