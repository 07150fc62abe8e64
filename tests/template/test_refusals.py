"""DEST refusals: never write into something that exists, or into the template itself."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devtools.new_service import check_dest, main


def run(source: Path, dest: str | Path, name: str = "billing") -> int:
    return main(["--name", name, "--dest", str(dest), "--source", str(source)])


def test_existing_non_empty_dest_is_refused_and_left_untouched(
    tmp_path: Path, mini_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "billing"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine\n")
    assert run(mini_template, dest) == 2
    assert "exists and is not empty" in capsys.readouterr().err
    assert [p.name for p in dest.iterdir()] == ["notes.txt"]
    assert (dest / "notes.txt").read_text() == "mine\n"


def test_dest_with_only_a_hidden_file_counts_as_not_empty(
    tmp_path: Path, mini_template: Path
) -> None:
    dest = tmp_path / "billing"
    dest.mkdir()
    (dest / ".git").mkdir()
    assert run(mini_template, dest) == 2


def test_dest_that_is_a_file_is_refused(
    tmp_path: Path, mini_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "billing"
    dest.write_text("x")
    assert run(mini_template, dest) == 2
    assert "is not a directory" in capsys.readouterr().err


@pytest.mark.parametrize("inside", [".", "sub/billing", "app/billing"])
def test_dest_inside_the_source_tree_is_refused(
    mini_template: Path, inside: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(p.relative_to(mini_template) for p in mini_template.rglob("*"))
    assert run(mini_template, mini_template / inside) == 2
    assert "inside the source tree" in capsys.readouterr().err
    assert sorted(p.relative_to(mini_template) for p in mini_template.rglob("*")) == before


def test_relative_dest_resolving_into_the_source_is_refused(
    mini_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(mini_template / "app")
    assert run(mini_template, "../new") == 2
    assert not (mini_template / "new").exists()


def test_dest_symlink_pointing_into_the_source_is_refused(
    tmp_path: Path, mini_template: Path
) -> None:
    link = tmp_path / "link"
    os.symlink(mini_template / "nginx", link)
    assert run(mini_template, link / "billing") == 2
    assert not (mini_template / "nginx" / "billing").exists()


def test_missing_dest_from_make_is_refused(
    mini_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(mini_template, "") == 2
    assert "DEST is required" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["empty", "services/team/billing"])
def test_an_empty_or_new_dest_is_accepted(tmp_path: Path, mini_template: Path, where: str) -> None:
    dest = tmp_path / where
    if where == "empty":
        dest.mkdir()
    # copier fills it, creating missing parents.
    assert check_dest(mini_template, str(dest)) == dest


def rename(root: Path, name: str) -> int:
    return main(["--name", name, "--in-place", str(root)])


def test_name_that_renames_a_setting_onto_an_existing_variable_is_refused(
    tmp_path: Path, mini_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # APP_IMAGE would become BASE_IMAGE, which the tree already uses for something else.
    dockerfile = mini_template / "Dockerfile"
    dockerfile.write_text("ARG BASE_IMAGE=python:3.11\nFROM ${BASE_IMAGE}\n")
    before = (mini_template / "docker-compose.yml").read_text()
    assert rename(mini_template, "base") == 2
    assert "BASE_IMAGE" in capsys.readouterr().err
    # Nothing renamed, no staging directory left beside the tree.
    assert (mini_template / "docker-compose.yml").read_text() == before
    assert [p.name for p in mini_template.parent.iterdir()] == ["template"]


def test_names_inside_kept_regions_do_not_count_as_collisions(
    tmp_path: Path, mini_template: Path
) -> None:
    # A doc that shows what the rename will produce (BASE_IMAGE) inside keep markers is copied
    # as is, so it must not make the name look taken.
    (mini_template / "NOTES.md").write_text(
        "<!-- new-service: keep-start -->\nAPP_IMAGE becomes BASE_IMAGE\n"
        "<!-- new-service: keep-end -->\n"
    )
    assert rename(mini_template, "base") == 0
    assert "APP_IMAGE becomes BASE_IMAGE" in (mini_template / "NOTES.md").read_text()
