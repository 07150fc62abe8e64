"""The command line, on click: ``python -m flasklite --app app.wsgi:app run|routes|shell``.

``FlaskGroup`` finds the app (``--app``, ``FLASK_APP``, or ``wsgi.py``/``app.py`` in the current
folder), loads ``.env``/``.flaskenv``, and adds the app's own commands (``app.cli``, blueprint
groups) next to the built-in ones. ``AppGroup`` commands run inside an application context.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import os
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.testing import CliRunner, Result

if TYPE_CHECKING:
    from .app import Flask

CommandFunction = TypeVar("CommandFunction", bound=Callable[..., Any])

#: Module-level names tried, in order, when ``--app`` names a module but no attribute.
APP_NAMES = ("app", "application")
FACTORY_NAMES = ("create_app", "make_app")


class NoAppException(click.UsageError):
    """The app could not be found or built from what the user gave."""


def _call_factory(module_name: str, factory: Callable[..., Any], args: list[Any]) -> Any:
    try:
        return factory(*args)
    except TypeError as wrong_call:
        # A TypeError raised *inside* the factory is the user's bug: let it surface whole.
        if inspect.trace()[-1][0].f_code is not _call_factory.__code__:
            raise
        raise NoAppException(
            f"The factory {factory.__name__!r} in {module_name!r} could not be called with"
            f" {len(args)} argument(s)."
        ) from wrong_call


def _is_app(candidate: Any) -> bool:
    from .app import Flask

    return isinstance(candidate, Flask)


def find_app_in_module(module_name: str, attr: str | None) -> Flask:
    """The app object named by ``attr`` in the module (``"app"``, ``"create_app()"``,
    ``"create_app('dev')"``), or found by the conventional names when ``attr`` is None."""
    module = importlib.import_module(module_name)  # already imported: a dict look-up
    if attr is None:
        for name in APP_NAMES:
            if _is_app(getattr(module, name, None)):
                return getattr(module, name)  # type: ignore[no-any-return]
        apps = [value for value in vars(module).values() if _is_app(value)]
        if len(apps) == 1:
            return apps[0]  # type: ignore[no-any-return]
        if len(apps) > 1:
            raise NoAppException(
                f"{module_name!r} holds several apps; name one: --app {module_name}:NAME"
            )
        for name in FACTORY_NAMES:
            factory = getattr(module, name, None)
            if callable(factory):
                built = _call_factory(module_name, factory, [])
                if _is_app(built):
                    return built  # type: ignore[no-any-return]
        raise NoAppException(
            f"No app found in {module_name!r}: define 'app' or a 'create_app()' factory, or"
            f" name it: --app {module_name}:NAME"
        )
    try:
        expression = ast.parse(attr.strip(), mode="eval").body
    except SyntaxError:
        raise NoAppException(f"{attr!r} is not a name or a call of one") from None
    args: list[Any] = []
    if isinstance(expression, ast.Call) and isinstance(expression.func, ast.Name):
        name = expression.func.id
        try:
            args = [ast.literal_eval(arg) for arg in expression.args]
        except ValueError:
            raise NoAppException(f"The arguments of {attr!r} must be literals") from None
        if expression.keywords:
            raise NoAppException(f"Use positional literal arguments only in {attr!r}")
        called = True
    elif isinstance(expression, ast.Name):
        name, called = expression.id, False
    else:
        raise NoAppException(f"{attr!r} is not a name or a call of one")
    try:
        found = getattr(module, name)
    except AttributeError:
        raise NoAppException(f"{module_name!r} has no attribute {name!r}") from None
    if called or (inspect.isfunction(found) and not _is_app(found)):
        found = _call_factory(module_name, found, args)
    if not _is_app(found):
        raise NoAppException(f"{module_name}:{attr} is not an app (got {type(found).__name__})")
    return found  # type: ignore[no-any-return]


def locate_app(import_name: str, attr: str | None) -> Flask:
    """Import ``import_name`` (with the current folder importable) and find the app in it."""
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        importlib.import_module(import_name)
    except ModuleNotFoundError as missing:
        # Only "this very module is missing" is a usage error; a missing import inside it is not.
        if missing.name not in {import_name, import_name.partition(".")[0]}:
            raise
        raise NoAppException(f"Could not import {import_name!r}.") from None
    return find_app_in_module(import_name, attr)


class ScriptInfo:
    """What a command needs to get the app: an import path or a factory; loaded once."""

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: Callable[..., Flask] | None = None,
        set_debug_flag: bool = True,
    ) -> None:
        # Either an import path ("module:attr") or a factory; the factory wins when both are set.
        self.app_import_path, self.create_app = app_import_path, create_app
        self.set_debug_flag = set_debug_flag  # apply FLASK_DEBUG to the loaded app
        self._loaded: Flask | None = None
        #: Free storage for commands and extensions.
        self.data: dict[str, Any] = dict()

    def load_app(self) -> Flask:
        if self._loaded is not None:
            return self._loaded
        if self.create_app is not None:
            app = self.create_app()
        elif self.app_import_path:
            module_name, _, attr = self.app_import_path.partition(":")
            if module_name.endswith(".py"):
                module_name = module_name[:-3].replace(os.sep, ".").replace("/", ".")
            app = locate_app(module_name, attr or None)
        else:
            app = self._find_default_app()
        if self.set_debug_flag and os.environ.get("FLASK_DEBUG"):
            app.debug = os.environ["FLASK_DEBUG"].lower() not in {"0", "false", "no"}
        self._loaded = app
        return app

    @staticmethod
    def _find_default_app() -> Flask:
        for candidate in ("wsgi", "app"):
            if os.path.exists(candidate + ".py") or os.path.isdir(candidate):
                return locate_app(candidate, None)
        raise NoAppException(
            "No app to load: pass --app module:app (or set FLASK_APP), or add wsgi.py or"
            " app.py to the current folder."
        )


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def with_appcontext(f: CommandFunction) -> CommandFunction:
    """Run the click command inside the app's application context (loading the app first)."""

    @click.pass_context
    def wrapper(ctx: click.Context, /, *args: Any, **kwargs: Any) -> Any:
        from .ctx import has_app_context

        if has_app_context():
            return ctx.invoke(f, *args, **kwargs)
        with ctx.ensure_object(ScriptInfo).load_app().app_context():
            return ctx.invoke(f, *args, **kwargs)

    return functools.update_wrapper(wrapper, f)  # type: ignore[return-value]


class AppGroup(click.Group):
    """A click group whose commands run in an app context (``with_appcontext=False`` opts
    out) and whose subgroups are ``AppGroup`` too."""

    def command(self, *args: Any, **kwargs: Any) -> Any:
        wrap = kwargs.pop("with_appcontext", True)
        if len(args) == 1 and callable(args[0]):  # used bare: @group.command
            return self.command(with_appcontext=wrap, **kwargs)(args[0])

        def decorator(f: Callable[..., Any]) -> click.Command:
            command: click.Command = click.Group.command(self, *args, **kwargs)(
                with_appcontext(f) if wrap else f
            )
            return command

        return decorator

    def group(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", AppGroup)
        return click.Group.group(self, *args, **kwargs)


def load_dotenv(path: str | os.PathLike[str] | None = None) -> bool:
    """Load ``.env`` then ``.flaskenv`` (searched upward from the current folder), or just
    ``path``. Variables already set win, and ``.env`` wins over ``.flaskenv``: the first file
    to set a name keeps it. Returns whether any file was loaded."""
    import dotenv

    if path is not None:
        if not os.path.isfile(path):
            return False
        dotenv.load_dotenv(path, encoding="utf-8")
        return True
    loaded = False
    for name in (".env", ".flaskenv"):
        found = dotenv.find_dotenv(name, usecwd=True)
        if found:
            dotenv.load_dotenv(found, encoding="utf-8")
            loaded = True
    return loaded


def _set_app_path(ctx: click.Context, _: click.Parameter, value: str | None) -> str | None:
    if value:
        ctx.ensure_object(ScriptInfo).app_import_path = value
    return value


def _set_debug(ctx: click.Context, _: click.Parameter, value: bool | None) -> bool | None:
    # Through the environment, so the reloader's child process sees it too.
    if value is not None and not ctx.resilient_parsing:
        os.environ["FLASK_DEBUG"] = str(int(value))
    return value


def _load_env_file(ctx: click.Context, _: click.Parameter, value: str | None) -> str | None:
    if ctx.resilient_parsing:
        return value
    if value is not None:
        load_dotenv(value)
    if ctx.find_root().meta.get("flasklite.load_dotenv", True):
        load_dotenv()
    return value


class FlaskGroup(AppGroup):
    """The top-level command: built-in ``run``/``routes``/``shell`` plus the app's commands.

    ``create_app`` (a factory) replaces ``--app``; ``load_dotenv=False`` skips the ``.env``
    files. Options are processed eagerly so they apply before the app is loaded.
    """

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: Callable[..., Flask] | None = None,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **extra: Any,
    ) -> None:
        params = list(extra.pop("params", None) or ())
        params += [
            click.Option(["-e", "--env-file"], type=click.Path(exists=True, dir_okay=False),
                         is_eager=True, expose_value=False, callback=_load_env_file,
                         help="Load environment variables from this file (python-dotenv)."),
            click.Option(["-A", "--app"], metavar="IMPORT", is_eager=True, expose_value=False,
                         callback=_set_app_path, envvar="FLASK_APP",
                         help="The app to load: 'module:name', 'module:create_app()' or"
                         " 'module' (finds app or create_app)."),
            click.Option(["--debug/--no-debug"], default=None, is_eager=True,
                         expose_value=False, callback=_set_debug, help="Set debug mode."),
        ]  # fmt: skip
        super().__init__(params=params, **extra)
        self.load_dotenv = load_dotenv
        # What make_context puts in each ScriptInfo.
        self.make_script_info = functools.partial(
            ScriptInfo, create_app=create_app, set_debug_flag=set_debug_flag
        )
        if add_default_commands:
            from .cli_commands import routes_command, run_command, shell_command

            for command in (run_command, shell_command, routes_command):
                self.add_command(command)

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:  # fmt: skip
        extra.setdefault("obj", self.make_script_info())
        ctx = super().make_context(info_name, args, parent=parent, **extra)
        return ctx

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["flasklite.load_dotenv"] = self.load_dotenv
        return super().parse_args(ctx, args)

    def _app_commands(self, ctx: click.Context) -> click.Group | None:
        info = ctx.ensure_object(ScriptInfo)
        try:
            app = info.load_app()
        except NoAppException as not_found:
            # The built-in commands and --help still work; say why the app's own are missing.
            if not ctx.resilient_parsing:
                click.echo(f"Note: no app commands: {not_found.format_message()}", err=True)
            return None
        group: click.Group | None = getattr(app, "cli", None)
        return group

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # Options can come from FLASK_<COMMAND>_<OPTION> variables (FLASK_RUN_PORT=8000), as
        # with the flask command, so .flaskenv can hold them too.
        kwargs.setdefault("auto_envvar_prefix", "FLASK")
        return super().main(*args, **kwargs)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None:
            return found
        group = self._app_commands(ctx)
        if group is None:
            return None
        from .ctx import has_app_context

        # The app's own commands (and their parameter callbacks) run in its context, without
        # each needing @with_appcontext; the context lives as long as the click context.
        if not has_app_context():
            ctx.with_resource(ctx.ensure_object(ScriptInfo).load_app().app_context())
        return group.get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx))
        group = self._app_commands(ctx)
        if group is not None:
            names.update(group.list_commands(ctx))
        return sorted(names)


def make_default_cli(name: str = "flasklite") -> FlaskGroup:
    return FlaskGroup(name=name, help="Run and inspect a flasklite app (like the flask command).")


def main(args: Iterable[str] | None = None) -> None:
    """The console script and ``python -m flasklite``."""
    make_default_cli().main(args=list(args) if args is not None else None)


class FlaskCliRunner(CliRunner):
    """click's ``CliRunner`` bound to an app: ``invoke()`` defaults to ``app.cli`` and hands
    commands this app (no import path needed)."""

    def __init__(self, app: Flask, **kwargs: Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(  # type: ignore[override]
        self, cli: click.Command | None = None, args: Any = None, **kwargs: Any
    ) -> Result:
        if cli is None:
            cli = self.app.cli
        kwargs.setdefault("obj", ScriptInfo(create_app=lambda: self.app))
        return super().invoke(cli, args, **kwargs)
