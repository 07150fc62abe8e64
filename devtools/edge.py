"""The edge settings (TLS, rate limit, trusted proxies) for the native stack.

The container renders them with ``nginx/snippets/edge-setup.sh`` from its environment; the native
stack runs the very same script, with the container-only parts replaced: listeners on loopback
ports, the certificate read straight from the host files ``TLS_CERT_FILE``/``TLS_KEY_FILE``
(``make certs``' output by default), and an ACME folder in the run directory. Settings come from
the same variables as in compose (``TLS_MODE``, ``API_RATE_LIMIT``, ``TRUSTED_PROXY_CIDRS``, ...;
docs/edge.md); ``STACK_TLS_PORT`` (default 8443) and ``STACK_PROXY_PROTOCOL_PORT`` (8082) are the
native listeners.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SETUP_SCRIPT = REPO_ROOT / "nginx" / "snippets" / "edge-setup.sh"
HOST = "127.0.0.1"
# Where `make certs` (devtools/certs.py) writes; spelled out here so that the native stack does
# not need the cryptography package.
DEFAULT_CERT = REPO_ROOT / "secrets" / "tls.crt"
DEFAULT_KEY = REPO_ROOT / "secrets" / "tls.key"


class EdgeSetupError(RuntimeError):
    """edge-setup.sh refused the settings; the message is its own."""


def native_edge_environ(tmp_dir: Path, env: Mapping[str, str]) -> dict[str, str]:
    """The environment edge-setup.sh gets on the native stack."""
    tls_port = env.get("STACK_TLS_PORT", "8443")
    proxy_protocol_port = env.get("STACK_PROXY_PROTOCOL_PORT", "8082")
    rendered = dict(env)
    rendered.update(
        {
            "EDGE_OUT_DIR": str(tmp_dir / "edge"),
            "TLS_LISTEN": f"{HOST}:{tls_port}",
            "TLS_REDIRECT_PORT": env.get("TLS_REDIRECT_PORT", tls_port),
            "TLS_CERT_PATH": env.get("TLS_CERT_FILE", str(DEFAULT_CERT)),
            "TLS_KEY_PATH": env.get("TLS_KEY_FILE", str(DEFAULT_KEY)),
            "PROXY_PROTOCOL_LISTEN": f"{HOST}:{proxy_protocol_port}",
            "ACME_WEBROOT": str(tmp_dir / "acme"),
        }
    )
    return rendered


def render_native_edge(tmp_dir: Path, env: Mapping[str, str], nginx: str = "nginx") -> None:
    """Write ``tmp_dir/edge/{http,server}.conf`` for the native stack (``tmp_dir`` stands for the
    container's /tmp/nginx)."""
    (tmp_dir / "acme").mkdir(parents=True, exist_ok=True)
    environ = native_edge_environ(tmp_dir, env)
    environ["NGINX_BIN"] = nginx
    done = subprocess.run(
        ["sh", str(SETUP_SCRIPT)], env=environ, capture_output=True, text=True, timeout=30
    )
    if done.returncode != 0:
        raise EdgeSetupError(done.stderr.strip() or f"edge-setup.sh exited {done.returncode}")
