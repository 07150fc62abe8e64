"""How copier's render is renamed (``--in-place``), on the miniature template (fast, no venv)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devtools import new_service
from devtools.new_service import KEPT_REGION, main


def files_under(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink()
    }


def create(source: Path, dest: Path, name: str = "billing_api", *options: str) -> str:
    """What copier's first copy does: the files land in ``dest``, then the task renames them."""
    shutil.copytree(source, dest, symlinks=True)
    status = main(["--name", name, "--in-place", str(dest), *options])
    assert status == 0
    return dest.as_posix()


@pytest.fixture
def copy(
    tmp_path: Path, mini_template: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[Path, str]:
    dest = tmp_path / "billing_api"
    create(mini_template, dest)
    return dest, capsys.readouterr().out


def renamed_path(rel: str) -> str:
    return rel.replace("wsgi-stack", "billing-api")


def test_compose_project_image_and_display_name_are_renamed(copy: tuple[Path, str]) -> None:
    dest, _ = copy
    assert (dest / "docker-compose.yml").read_text() == (
        "name: billing-api\n"
        "services:\n"
        "  app:\n"
        "    image: ${BILLING_API_IMAGE:-billing-api-app:latest}\n"
        "    environment:\n"
        "      BILLING_API_SERVICE_NAME: billing-api\n"
        "      WEB_CONCURRENCY: 2\n"
    )
    assert (
        "<title>{{ config.SERVICE_NAME }} - billing-api</title>"
        in (dest / "app/templates/base.html").read_text()
    )
    assert 'name = "billing-api"' in (dest / "pyproject.toml").read_text()
    assert "It works: billing-api is running" in (dest / "tests/service/test_page.py").read_text()


def test_env_prefix_is_renamed_only_where_it_starts_a_setting_name(copy: tuple[Path, str]) -> None:
    dest, _ = copy
    config = (dest / "app/config.py").read_text()
    assert 'ENV_PREFIX = "BILLING_API"' in config
    assert 'OTHER = ("MY_APP_X", "WEBAPP_Y", "APP_lower", "APPLE_Z")' in config
    assert (
        dest / ".env.example"
    ).read_text() == "BILLING_API_DEBUG=false\nBILLING_API_LOG_LEVEL=INFO\n"
    assert (dest / "deploy/k8s/app.env").read_text() == "BILLING_API_TRUSTED_PROXY_COUNT=1\n"
    assert "exec env BILLING_API_DEBUG=0 true" in (dest / "run.sh").read_text()


def test_framework_its_tests_license_and_binary_files_are_copied_byte_for_byte(
    copy: tuple[Path, str], mini_template: Path
) -> None:
    dest, _ = copy
    for rel in (
        "flasklite/__init__.py",
        "tests/framework/test_config.py",
        "LICENSE",
        "app/static/logo.bin",
    ):
        assert (dest / rel).read_bytes() == (mini_template / rel).read_bytes(), rel


def test_names_the_framework_defines_keep_their_spelling_where_service_code_uses_them(
    copy: tuple[Path, str],
) -> None:
    dest, out = copy
    assert "from flasklite import APP_FRAMEWORK_TOKEN" in (dest / "app/config.py").read_text()
    assert "flasklite defines them: APP_FRAMEWORK_TOKEN\n" in out  # told why it was kept
    assert "reads these by the template's spelling and is not renamed: APP_READ_BY_FRAMEWORK" in out


def test_paths_and_symlinks_naming_the_template_are_renamed(copy: tuple[Path, str]) -> None:
    dest, _ = copy
    conf = dest / "nginx/conf.d/billing-api.conf"
    assert conf.read_text() == "upstream billing-api { server 127.0.0.1:8000; }\n"
    assert os.readlink(dest / "nginx/site.conf") == "conf.d/billing-api.conf"
    assert (dest / "nginx/site.conf").read_text() == conf.read_text()


def test_executable_bit_survives_the_copy(copy: tuple[Path, str]) -> None:
    dest, _ = copy
    assert os.access(dest / "run.sh", os.X_OK)
    assert not os.access(dest / "docker-compose.yml", os.X_OK)


def test_text_between_keep_markers_is_not_renamed(copy: tuple[Path, str]) -> None:
    dest, _ = copy
    assert (dest / "README.md").read_text() == (
        "# billing-api\n"
        "<!-- new-service: keep-start -->\n"
        "The template wsgi-stack reads APP_DEBUG.\n"
        "<!-- new-service: keep-end -->\n"
        "Set BILLING_API_DEBUG.\n"
    )


def test_nothing_outside_the_framework_and_license_still_names_the_template(
    copy: tuple[Path, str],
) -> None:
    dest, out = copy
    assert "warning: README.md still mentions" not in out  # kept regions are meant to
    verbatim = {
        "flasklite/__init__.py",
        "tests/framework/test_config.py",
        "LICENSE",
        "app/static/logo.bin",
    }
    # What copier's _exclude keeps out of a render never reaches the rename.
    for rel in {rel for rel in files_under(dest) - verbatim if not new_service.is_excluded(rel)}:
        text = KEPT_REGION.sub("", (dest / rel).read_text())
        assert "wsgi-stack" not in text and "wsgi_stack" not in text, rel


def test_renaming_that_overflows_ruff_line_length_is_reported(
    tmp_path: Path, mini_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The mini template's ruff line length is 60: line 1 fits before renaming and not after;
    # line 2 was too long already, which is not the rename's doing.
    fits = "X = " + repr("APP_DEBUG " * 4)
    too_long = "Y = " + repr("APP_DEBUG " * 7)
    (mini_template / "app" / "long.py").write_text(f"{fits}\n{too_long}\n")
    create(mini_template, tmp_path / "out", name="a_rather_long_name")
    out = capsys.readouterr().out
    assert "warning: app/long.py:1 is now longer than 60" in out
    assert "app/long.py:2" not in out


def test_spellings_the_rename_does_not_know_are_reported(
    tmp_path: Path, mini_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (mini_template / "app" / "templates" / "index.html").write_text("<h1>WSGI Stack</h1>\n")
    create(mini_template, tmp_path / "out")
    out = capsys.readouterr().out
    assert "warning: app/templates/index.html still mentions 'WSGI Stack'" in out


def test_file_deleted_between_listing_and_copying_is_skipped_with_a_warning(
    tmp_path: Path,
    mini_template: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The tree changes while it is renamed: an editor's temporary file can come and go.
    listed = new_service.walked_files(mini_template)
    monkeypatch.setattr(new_service, "walked_files", lambda root: [*listed, "app/.gone.tmp"])
    create(mini_template, tmp_path / "out")
    assert "warning: app/.gone.tmp disappeared while copying; not copied" in capsys.readouterr().out
    assert (tmp_path / "out" / "docker-compose.yml").is_file()


def test_long_line_warning_uses_the_lint_limit_when_it_differs_from_the_format_width(
    tmp_path: Path, mini_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # ruff format wraps at line-length; E501 fires only past pycodestyle's max-line-length.
    pyproject = mini_template / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + "[tool.ruff.lint.pycodestyle]\nmax-line-length = 80\n"
    )
    (mini_template / "app" / "long.py").write_text("X = " + repr("APP_DEBUG " * 6) + "\n")
    create(mini_template, tmp_path / "out", name="a_rather_long_name")
    out = capsys.readouterr().out
    assert "warning: app/long.py:1 is now longer than 80" in out


def test_template_only_lines_are_left_out_of_the_copy(tmp_path: Path, mini_template: Path) -> None:
    (mini_template / "Makefile").write_text(
        "test: ## Run the tests\n\tpytest\n"
        "# new-service: template-only-start\n"
        "new-service: ## Copy this template\n\tpython3 -m devtools.new_service\n"
        "# new-service: template-only-end\n"
        "clean: ## Remove output\n\trm -rf .run\n"
    )
    create(mini_template, tmp_path / "out")
    assert (tmp_path / "out" / "Makefile").read_text() == (
        "test: ## Run the tests\n\tpytest\nclean: ## Remove output\n\trm -rf .run\n"
    )


def test_renamed_python_files_are_formatted_with_the_given_ruff(
    tmp_path: Path, mini_template: Path
) -> None:
    # Fits the mini template's 60 columns until the names grow; ruff then wraps the call.
    source = 'from __future__ import annotations\n\nX = dict(a="APP_DEBUG", b="APP_LOG")\n'
    (mini_template / "app" / "calls.py").write_text(source)
    ruff = Path(sys.prefix) / "bin" / "ruff"
    dest = tmp_path / "out"
    create(mini_template, dest, "a_rather_long_name", "--ruff", str(ruff))
    formatted = (dest / "app" / "calls.py").read_text()
    assert formatted.count("\n") > source.count("\n"), formatted
    check = subprocess.run(
        [str(ruff), "format", "--no-cache", "--check", "app/calls.py"],
        cwd=dest,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert not (dest / ".ruff_cache").exists()


def test_renamed_imports_are_sorted_again(tmp_path: Path, mini_template: Path) -> None:
    # Sorted as APP_SERVICE < COMPOSE_FILE; renamed, SHOP_SERVICE belongs after it.
    source = "from __future__ import annotations\n\nfrom os import APP_SERVICE, COMPOSE_FILE\n"
    (mini_template / "app" / "names.py").write_text(source)
    create(
        mini_template, tmp_path / "out", "shop", "--ruff", str(Path(sys.prefix) / "bin" / "ruff")
    )
    renamed = (tmp_path / "out" / "app" / "names.py").read_text()
    assert "from os import COMPOSE_FILE, SHOP_SERVICE\n" in renamed
