"""Secret keys for the stacks this repository starts itself.

``app.wsgi`` refuses to start without a real ``SECRET_KEY`` (``wsgistack/secret_key.py``), and the
stacks run that entry point:

- ``with_dev_secret_key(env)``: for the processes the developer tools start on this machine
  (``make stack``, ``make bench-http``, the contract servers): a random key, one per process, so
  every replica of one stack shares it; nothing is written to disk.
- ``ensure_key_file(path)``: for docker-compose.yml's ``app_secret_key`` secret (a file):
  every make target that needs the venv (``make dev``, ``make test``...), ``make up`` and
  ``make swarm-up`` make ``secrets/app_secret_key`` once, so a bare ``docker compose up`` works
  after them. A random key, never overwritten: sessions survive restarts. Point
  ``APP_SECRET_KEY_PATH`` at a file of your own to use that instead.

A key the caller configured (``APP_SECRET_KEY`` or ``APP_SECRET_KEY_FILE``) is left alone.

    python3 -m devtools.dev_secret [PATH]   # make the key file unless it exists
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import MutableMapping
from pathlib import Path

# The folder `make certs` writes the TLS files to: one git-ignored place for local secrets.
DEFAULT_KEY_PATH = Path(__file__).resolve().parent.parent / "secrets" / "app_secret_key"
_THIS_PROCESS_KEY = secrets.token_urlsafe(32)


def with_dev_secret_key(env: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """``env`` with ``APP_SECRET_KEY`` set when it configures no key of its own."""
    if not env.get("APP_SECRET_KEY") and not env.get("APP_SECRET_KEY_FILE"):
        env["APP_SECRET_KEY"] = _THIS_PROCESS_KEY
    return env


def ensure_key_file(path: Path = DEFAULT_KEY_PATH) -> Path:
    """Write a random key to ``path`` unless the file exists; return the path.

    A folder this creates is the owner's alone (0700); the file itself is 0644 because plain
    compose bind-mounts a secret file as is (it ignores a secret's uid/gid/mode), and the app
    reads it as the image's unprivileged user, who would be refused a 0600 file.
    """
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True)
        os.chmod(path.parent, 0o700)
    try:
        # O_EXCL: a key that exists, or that a parallel run wrote a moment ago, is never replaced.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return path
    with os.fdopen(fd, "w", encoding="utf-8") as key_file:
        key_file.write(secrets.token_urlsafe(32) + "\n")
    os.chmod(path, 0o644)  # the umask may have taken the read bits away
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(ensure_key_file(Path(args[0]) if args else DEFAULT_KEY_PATH))
    return 0


if __name__ == "__main__":
    sys.exit(main())
