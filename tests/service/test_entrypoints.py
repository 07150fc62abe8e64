from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def import_wsgi(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # A fresh interpreter: app.wsgi builds the app at import time, as gunicorn does.
    return subprocess.run(
        [sys.executable, "-c", "import app.wsgi as w; print(type(w.app).__name__)"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_wsgi_module_exposes_the_app() -> None:
    done = import_wsgi({"APP_SECRET_KEY": "an-entry-point-test-key-of-enough-length"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Flask"


def test_wsgi_module_imports_the_idna_codec_before_any_request() -> None:
    # gunicorn imports app.wsgi in its master and forks the workers from it: what the first
    # request would import (the TRUSTED_HOSTS check's idna codec) is imported there, once.
    done = subprocess.run(
        [sys.executable, "-c", "import sys, app.wsgi; print('encodings.idna' in sys.modules)"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "APP_SECRET_KEY": "an-entry-point-test-key-of-enough-length"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"


@pytest.mark.parametrize("value", ["1", "true"])
def test_wsgi_module_refuses_debug_mode(value: str) -> None:
    done = import_wsgi({"APP_DEBUG": value})
    assert done.returncode != 0
    assert "APP_DEBUG is on, but app.wsgi is the production entry point" in done.stderr


def test_python_dash_m_app_documents_its_options() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0
    assert "--port" in done.stdout
    assert "--host" in done.stdout
