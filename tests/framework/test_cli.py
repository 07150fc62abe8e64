"""The command line: app discovery, run/routes/shell, AppGroup, .env files, ``-m flasklite``."""

from __future__ import annotations

import code
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from flasklite import Flask, current_app
from flasklite.cli import AppGroup, FlaskGroup, NoAppException, ScriptInfo, with_appcontext

APP_MODULE = """
from flasklite import Flask

def create_app(name="made"):
    app = Flask(name)

    @app.route("/users/<int:id>", methods=["GET", "POST"])
    def user(id):
        return "u"

    @app.get("/")
    def index():
        return "i"

    return app
"""
ENV_NAMES = ("FLASK_APP", "FLASK_DEBUG", "CLI_TEST_A", "CLI_TEST_B", "CLI_TEST_C")


@pytest.fixture(autouse=True)
def restore_environment() -> Iterator[None]:
    """The CLI writes os.environ (.env files, --debug); every test leaves it as it found it."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary project folder as the current directory, with a clean environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        if name.startswith("cliproj_"):
            del sys.modules[name]


def write_module(folder: Path, name: str, source: str) -> str:
    (folder / f"{name}.py").write_text(source)
    return name


@pytest.mark.parametrize(
    ("attr", "expected_name"),
    [(":app", "held"), ("", "held"), (":create_app()", "made"), (":create_app('x')", "x")],
)
def test_app_is_found_by_name_call_or_convention(
    project: Path, attr: str, expected_name: str
) -> None:
    module = write_module(project, "cliproj_a", APP_MODULE + "\napp = create_app('held')\n")
    assert ScriptInfo(f"{module}{attr}").load_app().name == expected_name


def test_factory_is_found_when_module_has_no_app(project: Path) -> None:
    module = write_module(project, "cliproj_b", APP_MODULE)
    assert ScriptInfo(module).load_app().name == "made"
    assert ScriptInfo(f"{module}:create_app").load_app().name == "made"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("cliproj_c:missing", "has no attribute"),
        ("cliproj_c:VALUE", "is not an app"),
        ("cliproj_c:create_app(x)", "must be literals"),
        ("cliproj_c:a.b", "not a name"),
        ("cliproj_absent", "Could not import"),
    ],
)
def test_bad_app_paths_are_usage_errors(project: Path, path: str, message: str) -> None:
    write_module(project, "cliproj_c", APP_MODULE + "\nVALUE = 3\n")
    with pytest.raises(NoAppException, match=message):
        ScriptInfo(path).load_app()


def test_import_errors_inside_the_app_module_surface(project: Path) -> None:
    write_module(project, "cliproj_d", "import cliproj_dependency_that_is_missing\n")
    with pytest.raises(ModuleNotFoundError):
        ScriptInfo("cliproj_d").load_app()


def test_wsgi_py_in_current_folder_is_the_default(project: Path) -> None:
    (project / "wsgi.py").write_text(APP_MODULE + "\napp = create_app('from-wsgi')\n")
    try:
        assert ScriptInfo().load_app().name == "from-wsgi"
    finally:
        sys.modules.pop("wsgi", None)


def test_routes_lists_rules_sorted(project: Path) -> None:
    write_module(project, "cliproj_e", APP_MODULE)
    result = CliRunner().invoke(FlaskGroup(), ["--app", "cliproj_e", "routes", "--sort", "rule"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["Endpoint", "Methods", "Rule"]
    rules = [line.split()[-1] for line in lines[2:]]
    assert rules == sorted(rules) and "/users/<int:id>" in rules
    user_line = next(line for line in lines if "/users/" in line)
    assert "GET, POST" in user_line and "HEAD" not in user_line
    everything = CliRunner().invoke(FlaskGroup(), ["--app", "cliproj_e", "routes", "--all-methods"])
    assert "HEAD" in everything.output


def test_app_group_commands_run_in_an_app_context() -> None:
    app = Flask("grouped")
    group = AppGroup("tools")

    @group.command()
    def where() -> None:
        click.echo(current_app.name)

    @group.command(with_appcontext=False)
    def bare() -> None:
        from flasklite import has_app_context

        click.echo(str(has_app_context()))

    @group.group()
    def nested() -> None:
        pass

    assert isinstance(nested, AppGroup)
    info = ScriptInfo(create_app=lambda: app)
    assert CliRunner().invoke(group, ["where"], obj=info).output == "grouped\n"
    assert CliRunner().invoke(group, ["bare"], obj=info).output == "False\n"


def test_with_appcontext_on_a_plain_click_command() -> None:
    @click.command()
    @with_appcontext
    def show() -> None:
        click.echo(current_app.name)

    info = ScriptInfo(create_app=lambda: Flask("plain"))
    assert CliRunner().invoke(show, obj=info).output == "plain\n"


def test_dotenv_files_load_with_env_winning(project: Path) -> None:
    (project / ".env").write_text("CLI_TEST_A=from-env\nCLI_TEST_B=from-env\n")
    (project / ".flaskenv").write_text("CLI_TEST_A=from-flaskenv\nCLI_TEST_C=from-flaskenv\n")
    os.environ["CLI_TEST_B"] = "from-shell"
    cli = FlaskGroup(create_app=lambda: Flask("envs"))

    @cli.command("show")
    def show() -> None:
        click.echo(",".join(os.environ[n] for n in ("CLI_TEST_A", "CLI_TEST_B", "CLI_TEST_C")))

    result = CliRunner().invoke(cli, ["show"])
    assert result.output == "from-env,from-shell,from-flaskenv\n"


def test_env_file_option_wins_over_dotenv(project: Path) -> None:
    (project / ".env").write_text("CLI_TEST_A=from-env\n")
    (project / "custom.env").write_text("CLI_TEST_A=from-option\n")
    cli = FlaskGroup(create_app=lambda: Flask("envs"))

    @cli.command("show")
    def show() -> None:
        click.echo(os.environ["CLI_TEST_A"])

    assert CliRunner().invoke(cli, ["-e", "custom.env", "show"]).output == "from-option\n"


def test_load_dotenv_false_skips_files(project: Path) -> None:
    (project / ".env").write_text("CLI_TEST_A=from-env\n")
    cli = FlaskGroup(create_app=lambda: Flask("envs"), load_dotenv=False)

    @cli.command("show")
    def show() -> None:
        click.echo(os.environ.get("CLI_TEST_A", "unset"))

    assert CliRunner().invoke(cli, ["show"]).output == "unset\n"


def test_flask_app_from_dotenv_selects_the_app(project: Path) -> None:
    write_module(project, "cliproj_f", APP_MODULE)
    (project / ".flaskenv").write_text("FLASK_APP=cliproj_f:create_app('dotenv')\n")

    result = CliRunner().invoke(FlaskGroup(), ["shell"], input="")
    assert result.exit_code == 0, result.output
    assert "App: dotenv" in result.output


def test_run_passes_options_to_app_run(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(Flask, "run", lambda self, **kw: calls.append({"debug": self.debug, **kw}))
    app = Flask("served")
    cli = FlaskGroup(create_app=lambda: app)
    result = CliRunner().invoke(cli, ["--debug", "run", "--port", "8123", "--no-reload"])
    assert result.exit_code == 0, result.output
    [call] = calls
    assert call["port"] == 8123 and call["host"] == "127.0.0.1"
    assert call["debug"] is True
    assert call["use_reloader"] is False and call["use_debugger"] is True


def test_run_refuses_key_without_cert(project: Path) -> None:
    (project / "k.pem").write_text("")
    result = CliRunner().invoke(
        FlaskGroup(create_app=lambda: Flask("x")), ["run", "--key", "k.pem"]
    )
    assert result.exit_code == 2 and "--key needs --cert" in result.output


def test_shell_namespace_has_app_and_g(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(code, "interact", lambda banner, local: seen.update(local))
    app = Flask("shelled")
    result = CliRunner().invoke(FlaskGroup(create_app=lambda: app), ["shell"])
    assert result.exit_code == 0, result.output
    assert seen["app"] is app and "g" in seen


def test_help_lists_builtin_commands_without_an_app(project: Path) -> None:
    result = CliRunner().invoke(FlaskGroup(), ["--help"])
    assert result.exit_code == 0
    for name in ("run", "routes", "shell"):
        assert name in result.output


def test_python_dash_m_runs_the_cli(project: Path) -> None:
    write_module(project, "cliproj_g", APP_MODULE)
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    env["PYTHONPATH"] = os.pathsep.join([str(project), *sys.path])
    done = subprocess.run(
        [sys.executable, "-m", "flasklite", "--app", "cliproj_g", "routes"],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "/users/<int:id>" in done.stdout


def test_app_cli_commands_through_the_test_runner() -> None:
    app = Flask("with_commands")

    @app.cli.command("hello")
    @click.option("--name", default="world")
    def hello(name: str) -> None:
        click.echo(f"hello {name} from {current_app.name}")

    result = app.test_cli_runner().invoke(args=["hello", "--name", "ann"])
    assert result.exit_code == 0, result.output
    assert result.output == "hello ann from with_commands\n"


def test_app_commands_are_listed_and_run_by_the_group(project: Path) -> None:
    source = APP_MODULE + (
        "\nimport click\napp = create_app('seeded')\n\n"
        "@app.cli.command('seed')\ndef seed():\n    click.echo('seeded ' + app.name)\n"
    )
    module = write_module(project, "cliproj_h", source)
    listing = CliRunner().invoke(FlaskGroup(), ["--app", module, "--help"])
    assert "seed" in listing.output
    result = CliRunner().invoke(FlaskGroup(), ["--app", module, "seed"])
    assert result.exit_code == 0, result.output
    assert result.output == "seeded seeded\n"


def test_shell_context_processors_add_names(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(code, "interact", lambda banner, local: seen.update(local))
    app = Flask("shelled")

    @app.shell_context_processor
    def extra() -> dict[str, int]:
        return {"answer": 42}

    CliRunner().invoke(FlaskGroup(create_app=lambda: app), ["shell"])
    assert seen["answer"] == 42


def test_run_options_from_flask_run_variables(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(Flask, "run", lambda self, **kw: calls.append(kw))
    (project / ".flaskenv").write_text("FLASK_RUN_PORT=8765\n")
    cli = FlaskGroup(create_app=lambda: Flask("env-run"))
    with pytest.raises(SystemExit) as exited:
        cli.main(["run", "--no-reload"], prog_name="flasklite")
    assert exited.value.code == 0
    assert calls[0]["port"] == 8765
