"""Give `docker build` the host's CA bundle: ``make build-certs`` (``make up`` and the tests too).

    python3 -m devtools.host_ca [--root DIR] [--bundle FILE]

Behind a TLS-intercepting proxy, pip inside the image build fails with CERTIFICATE_VERIFY_FAILED
unless the builder stage trusts the proxy's CA; the host already does. The classic builder has no
build secrets, so the way in is the build context: ``certs/*.crt`` (git-ignored), which only the
Dockerfile's builder stage reads (certs/README.md). This copies the host's bundle there as
``certs/host-ca-bundle.crt`` and keeps it current; certificates a user put there are left alone.
Without a host bundle (macOS, Windows) nothing is copied and builds trust the base image's CAs.

Runs before any virtualenv exists, so it uses the standard library only.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLE_NAME = "host-ca-bundle.crt"
# Debian/Ubuntu's bundle; HOST_CA_BUNDLE names another (e.g. /etc/pki/tls/certs/ca-bundle.crt).
DEFAULT_HOST_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def host_bundle() -> Path:
    return Path(os.environ.get("HOST_CA_BUNDLE") or DEFAULT_HOST_BUNDLE)


def provide(root: Path = ROOT, bundle: Path | None = None) -> str:
    """Copy the host bundle into ``root/certs/`` when needed; return what was done, in a line."""
    bundle = bundle or host_bundle()
    certs = root / "certs"
    target = certs / BUNDLE_NAME
    own = sorted(p.name for p in certs.glob("*.crt") if p.name != BUNDLE_NAME)
    if own and not target.exists():
        return f"certs/ already holds {', '.join(own)}; left as it is"
    if not os.access(bundle, os.R_OK) or not bundle.is_file():
        return f"no host CA bundle at {bundle}; builds trust only the base image's CAs"
    if target.exists() and filecmp.cmp(bundle, target, shallow=False):
        return f"certs/{BUNDLE_NAME} is current"
    certs.mkdir(exist_ok=True)
    # Through a temporary name: a build reading the context meanwhile never sees half a file.
    partial = target.with_suffix(".partial")
    shutil.copyfile(bundle, partial)
    partial.replace(target)
    return f"copied {bundle} to certs/{BUNDLE_NAME} (git-ignored, read by the builder stage only)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m devtools.host_ca", description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout (default: this one)")
    parser.add_argument(
        "--bundle", type=Path, help=f"default: $HOST_CA_BUNDLE or {DEFAULT_HOST_BUNDLE}"
    )
    args = parser.parse_args(argv)
    print(f"build-certs: {provide(args.root, args.bundle)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
