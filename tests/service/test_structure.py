"""How the service is put together: blueprints, the instance config file, its command."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from flasklite import Flask, url_for


def test_api_and_pages_are_blueprints(app: Flask) -> None:
    # The service's own; wsgistack.install adds the machinery's (health, probes).
    assert set(app.blueprints) - {"machinery_health", "machinery_probes"} == {"api", "pages"}
    with app.test_request_context("/"):
        assert url_for("api.get_item", item_id=2) == "/api/items/2"
        assert url_for("pages.index") == "/"


def test_created_item_location_is_built_from_the_endpoint(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/api/items",
        json={"name": "Bolt", "quantity": 1},
        base_url="http://localhost/prefix",
    )
    assert response.status_code == 201
    assert response.headers["Location"].endswith("/prefix/api/items/4")


def test_instance_config_file_is_read_and_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config.py").write_text("SERVICE_NAME = 'from-file'\nLOG_LEVEL = 'WARNING'\n")
    monkeypatch.setenv("APP_LOG_LEVEL", "ERROR")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["SERVICE_NAME"] == "from-file"
    assert app.config["LOG_LEVEL"] == "ERROR"
    assert app.instance_path == str(tmp_path)


def test_instance_config_is_validated_like_the_environment(tmp_path: Path) -> None:
    (tmp_path / "config.py").write_text("DEBUG = 'maybe'\n")
    with pytest.raises(ValueError, match="not a boolean"):
        create_app(instance_path=str(tmp_path))


def test_show_config_command(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["show-config"])
    assert result.exit_code == 0, result.output
    assert f"# instance folder: {app.instance_path}" in result.output
    assert "APP_INSTANCE_NAME='test-replica'" in result.output


def test_default_instance_folder_is_next_to_the_package() -> None:
    app = create_app({"TESTING": True})
    assert Path(app.instance_path) == Path(app.root_path).parent / "instance"


def test_python_dash_m_app_runs_the_cli_run_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import wsgistack.devserver as entry

    seen: list[list[str]] = []
    monkeypatch.setattr(entry, "flasklite_main", seen.append)
    monkeypatch.setattr(entry, "port_problem", lambda host, port: None)
    entry.main(["--port", "8123", "--no-reload"])
    assert seen == [
        ["--app", "app:create_app", "run", "--host", "127.0.0.1", "--port", "8123", "--no-reload"]
    ]
