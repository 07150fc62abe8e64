"""Secret keys for the stacks this repository starts itself.

``app.wsgi`` refuses to start without a real ``SECRET_KEY`` (``wsgistack/secret_key.py``), and the
stacks run that entry point:

- ``with_dev_secret_key(env)``: for the processes the developer tools start on this machine
  (``make stack``, ``make bench-http``, the contract servers): a random key, one per process, so
  every replica of one stack shares it; nothing is written to disk.
- ``ensure_key_file(path)``: for docker-compose.yml's ``app_secret_key`` secret (a file):
  ``make up`` and ``make swarm-up`` make ``.secrets/app_secret_key`` once, a random key readable
  only by its owner's containers' user and kept across restarts (sessions survive ``make up``).
  Point ``APP_SECRET_KEY_PATH`` at a file of your own to use that instead.

A key the caller configured (``APP_SECRET_KEY`` or ``APP_SECRET_KEY_FILE``) is left alone.

    python3 -m devtools.dev_secret [PATH]   # make the key file unless it exists
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import MutableMapping
from pathlib import Path

DEFAULT_KEY_PATH = Path(__file__).resolve().parent.parent / ".secrets" / "app_secret_key"
_THIS_PROCESS_KEY = secrets.token_urlsafe(32)


def with_dev_secret_key(env: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """``env`` with ``APP_SECRET_KEY`` set when it configures no key of its own."""
    if not env.get("APP_SECRET_KEY") and not env.get("APP_SECRET_KEY_FILE"):
        env["APP_SECRET_KEY"] = _THIS_PROCESS_KEY
    return env


def ensure_key_file(path: Path = DEFAULT_KEY_PATH) -> Path:
    """Write a random key to ``path`` unless the file exists; return the path.

    The folder is the owner's alone (0700); the file itself is 0644 because compose bind-mounts
    it into the container as is, where the app runs as an unprivileged user.
    """
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32) + "\n", encoding="utf-8")
        os.chmod(path, 0o644)
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(ensure_key_file(Path(args[0]) if args else DEFAULT_KEY_PATH))
    return 0


if __name__ == "__main__":
    sys.exit(main())
