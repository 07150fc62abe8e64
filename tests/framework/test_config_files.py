"""``Config`` loaders for files, environment variables and importable objects."""

from __future__ import annotations

import json
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from flasklite.config import Config


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(tmp_path, {"DEBUG": False})


def test_from_pyfile_keeps_uppercase_globals_relative_to_root(
    config: Config, tmp_path: Path
) -> None:
    (tmp_path / "settings.cfg").write_text("import os\nSECRET_KEY = 'dev'\nlower = 1\nN = 2 * 3\n")
    assert config.from_pyfile("settings.cfg") is True
    assert config["SECRET_KEY"] == "dev" and config["N"] == 6
    assert "lower" not in config and "os" not in config


def test_from_pyfile_missing_file(config: Config) -> None:
    assert config.from_pyfile("absent.cfg", silent=True) is False
    with pytest.raises(FileNotFoundError, match="Unable to load configuration file"):
        config.from_pyfile("absent.cfg")


def test_from_pyfile_syntax_error_is_not_silenced(config: Config, tmp_path: Path) -> None:
    (tmp_path / "broken.cfg").write_text("X = (\n")
    with pytest.raises(SyntaxError):
        config.from_pyfile("broken.cfg", silent=True)


def test_from_file_with_json_and_toml(config: Config, tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text(json.dumps({"PORT": 8000, "lower": 1}))
    (tmp_path / "c.toml").write_text('NAME = "svc"\n[DB]\nHOST = "db"\n')
    assert config.from_file("c.json", load=json.load)
    assert config.from_file("c.toml", load=tomllib.load, text=False)
    assert config["PORT"] == 8000 and "lower" not in config
    assert config["NAME"] == "svc" and config["DB"] == {"HOST": "db"}
    assert config.from_file("none.json", load=json.load, silent=True) is False
    with pytest.raises(FileNotFoundError):
        config.from_file("none.json", load=json.load)


def test_from_envvar(config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SVC_SETTINGS", raising=False)
    assert config.from_envvar("SVC_SETTINGS", silent=True) is False
    with pytest.raises(RuntimeError, match="SVC_SETTINGS"):
        config.from_envvar("SVC_SETTINGS")
    path = tmp_path / "prod.cfg"
    path.write_text("LEVEL = 'prod'\n")
    monkeypatch.setenv("SVC_SETTINGS", str(path))  # absolute: root_path is not applied
    assert config.from_envvar("SVC_SETTINGS") is True and config["LEVEL"] == "prod"


@pytest.fixture
def settings_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    package = tmp_path / "cfgpkg_for_tests"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(
        "TOP = 'module'\nclass Production:\n    TOP = 'class'\n    EXTRA = 1\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "cfgpkg_for_tests.settings"
    for name in [n for n in sys.modules if n.startswith("cfgpkg_for_tests")]:
        del sys.modules[name]


def test_from_object_by_import_name(config: Config, settings_module: str) -> None:
    config.from_object(settings_module)
    assert config["TOP"] == "module" and "EXTRA" not in config
    config.from_object(f"{settings_module}.Production")
    assert config["TOP"] == "class" and config["EXTRA"] == 1
    config["TOP"] = "reset"
    config.from_object(f"{settings_module}:Production")
    assert config["TOP"] == "class"


def test_from_object_missing_names(config: Config, settings_module: str) -> None:
    with pytest.raises(AttributeError):
        config.from_object(f"{settings_module}.Missing")
    with pytest.raises(ModuleNotFoundError):
        config.from_object("no_such_module_for_config_tests.Thing")
