"""The instance folder, ``instance_relative_config``, ``open_resource`` and
``open_instance_resource``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from flasklite import Flask


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [n for n in sys.modules if n.startswith("instproj_")]:
        del sys.modules[name]


def test_instance_path_is_next_to_an_uninstalled_package(project: Path) -> None:
    package = project / "instproj_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    app = Flask("instproj_pkg")
    assert app.instance_path == str(project / "instance")
    assert app.root_path == str(package)


def test_instance_path_is_next_to_an_uninstalled_module(project: Path) -> None:
    (project / "instproj_mod.py").write_text("")
    app = Flask("instproj_mod")
    assert app.instance_path == str(project / "instance")


def test_instance_path_can_be_given_but_must_be_absolute(tmp_path: Path) -> None:
    assert Flask("x", instance_path=str(tmp_path)).instance_path == str(tmp_path)
    with pytest.raises(ValueError, match="absolute"):
        Flask("x", instance_path="relative/folder")


def test_instance_relative_config_reads_files_from_the_instance(tmp_path: Path) -> None:
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / "settings.py").write_text("GREETING = 'from instance'\n")
    app = Flask("x", instance_path=str(instance), instance_relative_config=True)
    assert app.config.root_path == str(instance)
    assert app.config.from_pyfile("settings.py")
    assert app.config["GREETING"] == "from instance"
    plain = Flask("x", root_path=str(tmp_path), instance_path=str(instance))
    assert plain.config.root_path == str(tmp_path)


def test_open_resource_reads_from_root_path(tmp_path: Path) -> None:
    (tmp_path / "schema.sql").write_text("CREATE TABLE t (x);\n")
    app = Flask("x", root_path=str(tmp_path))
    with app.open_resource("schema.sql") as binary:
        assert binary.read() == b"CREATE TABLE t (x);\n"
    with app.open_resource("schema.sql", "r", encoding="utf-8") as text:
        assert text.read().startswith("CREATE")
    with pytest.raises(ValueError, match="read"):
        app.open_resource("schema.sql", "w")


def test_open_instance_resource_can_write(tmp_path: Path) -> None:
    app = Flask("x", root_path=str(tmp_path), instance_path=str(tmp_path / "inst"))
    (tmp_path / "inst").mkdir()
    with app.open_instance_resource("state.txt", "w") as out:
        out.write("saved")
    with app.open_instance_resource("state.txt") as back:
        assert back.read() == b"saved"


def test_blueprint_open_resource_reads_from_its_root(tmp_path: Path) -> None:
    from flasklite import Blueprint

    (tmp_path / "data.txt").write_text("blueprint data")
    bp = Blueprint("files", __name__, root_path=str(tmp_path))
    with bp.open_resource("data.txt", "r", encoding="utf-8") as handle:
        assert handle.read() == "blueprint data"
