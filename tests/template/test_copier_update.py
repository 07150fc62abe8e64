"""`copier update` in a service brings a later template change in, renamed for the service, and
keeps the service's own committed edits.

The template is a clone of this checkout's last commit; the "later change" is a commit made in
that clone, so the checkout itself is never touched. No venv is built (copier runs from ours).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from devtools.new_service import ANSWERS_FILE
from tests.template.conftest import clone_template, copy_with_copier, git_env, run_git

NAME = "billing_api"
# A template change that uses the template's names, as most of its files do.
TEMPLATE_CHANGE = "# Added later by wsgi-stack: APP_LATER_SETTING=1 tunes a later feature.\n"
RENAMED_CHANGE = (
    "# Added later by billing-api: BILLING_API_LATER_SETTING=1 tunes a later feature.\n"
)
LOCAL_VIEW = '\n\n# The service\'s own edit, kept across updates.\nLOCAL_MARK = "orders"\n'


@pytest.fixture(scope="module")
def updated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    template = clone_template(tmp_path_factory.mktemp("template"))
    service = tmp_path_factory.mktemp("services") / NAME
    copy_with_copier(template, service, NAME, git_env())

    views = service / "app" / "views.py"
    views.write_text(views.read_text() + LOCAL_VIEW)
    run_git(service, "commit", "--quiet", "-am", "Our own view")

    conf = template / "gunicorn.conf.py"
    conf.write_text(conf.read_text() + TEMPLATE_CHANGE)
    run_git(template, "commit", "--quiet", "-am", "A later template change")

    copier = Path(sys.executable).parent / "copier"
    done = subprocess.run(
        [str(copier), "update", "--trust", "--defaults", "--quiet"],
        cwd=service,
        env=git_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    # copier names the version as `git describe --tags --always` does (a tag when there is one).
    return service, run_git(template, "describe", "--tags", "--always").strip()


@pytest.mark.slow
def test_the_template_change_arrives_renamed(updated: tuple[Path, str]) -> None:
    service, _ = updated
    assert (service / "gunicorn.conf.py").read_text().endswith(RENAMED_CHANGE)


@pytest.mark.slow
def test_the_services_own_edit_survives(updated: tuple[Path, str]) -> None:
    service, _ = updated
    assert (service / "app" / "views.py").read_text().endswith(LOCAL_VIEW)


@pytest.mark.slow
def test_only_the_change_and_the_answers_differ_and_nothing_conflicts(
    updated: tuple[Path, str],
) -> None:
    service, new_commit = updated
    changed = {line[3:] for line in run_git(service, "status", "--porcelain").splitlines() if line}
    assert changed == {"gunicorn.conf.py", ANSWERS_FILE}
    assert f"_commit: {new_commit}" in (service / ANSWERS_FILE).read_text()
