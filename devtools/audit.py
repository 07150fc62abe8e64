"""`make audit`: pip-audit of the pinned runtime, saying which lookup failed when one does.

    python -m devtools.audit --requirement requirements.txt

pip-audit looks every pinned release up in PyPI's JSON API (``/pypi/<name>/<version>/json``) and,
with ``--strict``, fails when a lookup finds nothing; its own words for that are "Dependency not
found on PyPI", which reads like a typo in requirements.txt. The usual cause is different: the
release came from another index (a mirror or a private one) that PyPI does not know, or PyPI
cannot be reached. This runs pip-audit unchanged, and for each such dependency asks the same URL
and prints what it answered.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence

PYPI_JSON = "https://pypi.org/pypi/{name}/{version}/json"
NOT_FOUND = re.compile(r"Dependency not found on PyPI and could not be audited: (\S+) \(([^)]+)\)")


def probe(url: str, timeout: float = 15.0) -> str:
    """What ``url`` answers, in a few words."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return f"{response.status} (it answers now: retry the audit)"
    except urllib.error.HTTPError as error:
        return f"{error.code} {error.reason}"
    except (urllib.error.URLError, OSError) as error:
        return f"no answer ({getattr(error, 'reason', error)})"


def explain(output: str, ask: Callable[[str], str] = probe) -> list[str]:
    """One paragraph per dependency pip-audit could not look up."""
    lines = []
    for name, version in NOT_FOUND.findall(output):
        url = PYPI_JSON.format(name=name, version=version)
        lines.append(
            f"audit: {name} {version} was not audited: pip-audit looks it up at {url} "
            f"(PyPI's JSON API), which answered {ask(url)}. A 404 means PyPI has no such release: "
            "it came from another index (see `pip config list`), which pip-audit cannot ask; "
            "pin a release PyPI has, or audit where that index's vulnerability data lives."
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.audit", description=__doc__)
    parser.add_argument("--requirement", default="requirements.txt")
    args = parser.parse_args(argv)
    # --strict: a dependency that cannot be looked up fails the audit instead of passing silently.
    command = [sys.executable, "-m", "pip_audit", "--strict", "--no-deps"]
    done = subprocess.run(
        [*command, "--requirement", args.requirement],
        capture_output=True,
        text=True,
        check=False,
    )
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    for paragraph in explain(done.stdout + done.stderr):
        print(paragraph, file=sys.stderr)
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
