"""The repository hygiene files a copier expects, and that they agree with the tools' config."""

from __future__ import annotations

import configparser
import sys
import tomllib
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]


def pre_commit_hooks() -> list[dict[str, Any]]:
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    return [hook for repo in config["repos"] for hook in repo["hooks"]]


def test_pre_commit_uses_only_local_hooks_so_it_works_offline() -> None:
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    assert {repo["repo"] for repo in config["repos"]} == {"local"}


def test_every_pre_commit_tool_is_one_the_venv_installs() -> None:
    # The hooks run .venv/bin/<tool>; this venv was made by `make venv`, like the developer's.
    for hook in pre_commit_hooks():
        if hook["language"] != "system":
            continue
        program = hook["entry"].split()[0]
        assert program.startswith(".venv/bin/"), hook["id"]
        assert (Path(sys.prefix) / "bin" / program.removeprefix(".venv/bin/")).exists(), program


def test_pre_commit_lints_like_make_lint() -> None:
    makefile = (REPO / "Makefile").read_text()
    for hook in pre_commit_hooks():
        if hook["language"] == "system":
            tool = hook["entry"].removeprefix(".venv/bin/").split()[0]
            assert f"$(BIN)/{tool}" in makefile, f"{tool} runs in pre-commit but not in make lint"


def test_editorconfig_ruler_matches_ruff_line_length() -> None:
    editorconfig = configparser.ConfigParser()
    editorconfig.read_string("[root]\n" + (REPO / ".editorconfig").read_text())
    ruff = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["ruff"]
    assert editorconfig["*.py"]["max_line_length"] == str(ruff["line-length"])


def test_editorconfig_keeps_tabs_for_make_recipes() -> None:
    editorconfig = configparser.ConfigParser()
    editorconfig.read_string("[root]\n" + (REPO / ".editorconfig").read_text())
    assert editorconfig["{Makefile,*.mk}"]["indent_style"] == "tab"


def test_license_is_mit_with_the_projects_copyright() -> None:
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 The wsgi-stack authors" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text


def test_the_files_a_copier_expects_are_in_the_template() -> None:
    for name in (
        ".gitignore",
        ".dockerignore",
        ".editorconfig",
        ".env.example",
        ".pre-commit-config.yaml",
        "LICENSE",
        "pyproject.toml",
    ):
        assert (REPO / name).is_file(), name
    tools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]
    assert {"ruff", "mypy"} <= tools.keys()
