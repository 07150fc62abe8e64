"""Version safety: the framework suite also passes on the newest werkzeug and Jinja2 on the index.

The main venv holds the pinned versions (requirements.txt). This test makes a second venv in a
temporary folder, installs the newest werkzeug, Jinja2 and markupsafe there, lets it see the main
venv's other packages (pytest, Flask, gevent, ...) underneath, and runs ``tests/framework`` with
it. An upgrade that breaks the framework fails here, in CI, before it reaches production.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.support.prereqs import missing

ROOT = Path(__file__).resolve().parents[2]
UPGRADED = ("werkzeug", "jinja2", "markupsafe")


def _run(argv: list[str], timeout: float, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)  # type: ignore[call-overload,no-any-return]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_framework_suite_passes_on_the_newest_werkzeug_and_jinja2(tmp_path: Path) -> None:
    venv = tmp_path / "newest"
    _run([sys.executable, "-m", "venv", str(venv)], 120).check_returncode()
    python = str(venv / "bin" / "python")
    new_site = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], 60)
    # The main venv's packages come after the new venv's own, so only the upgraded ones differ.
    main_site = sysconfig.get_paths()["purelib"]
    Path(new_site.stdout.strip(), "main-venv.pth").write_text(main_site + "\n", encoding="utf-8")
    # --ignore-installed: install into the new venv, never touch the main venv's copies.
    pip = [python, "-m", "pip", "install", "--quiet", "--upgrade", "--ignore-installed"]
    installed = _run([*pip, *UPGRADED], 600)
    if installed.returncode != 0:
        missing(
            "the package index (pip could not install the newest werkzeug/Jinja2:"
            f" {installed.stderr.strip()[-300:]})",
            "run it where pip can reach the index",
        )
    probe = f"import importlib.metadata as m; print(*(m.version(d) for d in {UPGRADED!r}))"
    versions = _run([python, "-c", probe], 60).stdout.split()
    environ = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    suite = _run(
        [
            python,
            "-m",
            "pytest",
            "tests/framework",
            "-q",
            "-x",
            "-m",
            "not slow",
            "-p",
            "no:cacheprovider",
        ],
        840,
        cwd=ROOT,
        env=environ,
    )
    tested = dict(zip(UPGRADED, versions, strict=False))
    assert suite.returncode == 0, f"tests/framework failed with {tested}:\n{suite.stdout[-4000:]}"
    assert " passed" in suite.stdout, suite.stdout[-2000:]
    located = _run([python, "-c", "import werkzeug; print(werkzeug.__file__)"], 60).stdout
    assert located.startswith(str(venv)), "the suite ran against the main venv's werkzeug"
