"""What an app adds for building a service from parts: registered blueprints, the instance
folder, the app's commands (``app.cli``) and shell context, and URL build-error handlers."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, ValuesView
from typing import IO, TYPE_CHECKING, Any

from werkzeug.routing import BuildError

from .cli import AppGroup, FlaskCliRunner
from .resources import find_instance_path
from .scaffold import F, setup_step

if TYPE_CHECKING:
    from .blueprints import Blueprint

#: ``handler(error, endpoint, values)`` returns a URL, or None to let the next one try.
BuildErrorHandler = Callable[[BuildError, str, dict[str, Any]], str | None]


class AppAssembly:
    """Mixed into the app object (``AppBase``)."""

    import_name: str
    root_path: str
    _check_setup_finished: Callable[[str], None]

    def init_assembly(self, instance_path: str | None) -> None:
        if instance_path is not None and not os.path.isabs(instance_path):
            raise ValueError(
                f"instance_path must be an absolute path, not {instance_path!r}: relative paths"
                " would depend on the folder the server happens to start in."
            )
        #: Files for this deployment only (instance/config.py, a SQLite file); not created here.
        self.instance_path = instance_path or find_instance_path(self.import_name, self.root_path)
        #: Registered blueprints by (dotted) name, in registration order.
        self.blueprints: dict[str, Blueprint] = {}
        #: Commands of this app, run by ``flasklite --app ...`` (and ``app.test_cli_runner()``).
        self.cli = AppGroup()
        self.url_build_error_handlers: list[BuildErrorHandler] = []
        self.shell_context_processors: list[Callable[[], dict[str, Any]]] = []

    # -- blueprints -----------------------------------------------------------------------------

    @setup_step
    def register_blueprint(self, blueprint: Blueprint, **options: Any) -> None:
        """Apply ``blueprint`` to this app. Options override the blueprint's own: ``url_prefix``,
        ``subdomain``, ``url_defaults``, ``name`` (to register one blueprint twice), and
        ``cli_group``."""
        blueprint.register(self, options)  # type: ignore[arg-type]

    def iter_blueprints(self) -> ValuesView[Blueprint]:
        return self.blueprints.values()

    # -- the instance folder --------------------------------------------------------------------

    def open_instance_resource(
        self,
        resource: str,
        mode: str = "rb",
        encoding: str | None = "utf-8",
    ) -> IO[Any]:
        """Open a file in the instance folder; unlike ``open_resource``, writing is allowed."""
        target = os.path.join(self.instance_path, resource)
        # The caller closes it; binary modes take no encoding.
        return open(target, mode) if "b" in mode else open(target, mode, encoding=encoding)

    # -- commands and the shell -----------------------------------------------------------------

    def test_cli_runner(self, **kwargs: Any) -> FlaskCliRunner:
        """A click test runner whose ``invoke()`` runs this app's commands."""
        return FlaskCliRunner(self, **kwargs)  # type: ignore[arg-type]

    @setup_step
    def shell_context_processor(self, f: F) -> F:
        """``f()`` returns names for the ``shell`` command's namespace."""
        self.shell_context_processors += [f]
        return f

    def make_shell_context(self) -> dict[str, Any]:
        from .globals import g

        names: dict[str, Any] = {"app": self, "g": g}
        for extra in (make() for make in self.shell_context_processors):
            names.update(extra)
        return names

    # -- URLs -----------------------------------------------------------------------------------

    def handle_url_build_error(self, error: BuildError, endpoint: str, values: Any) -> str:
        """Ask each of ``url_build_error_handlers`` for a URL; the first answer wins. With
        none, the build error is raised (the last one a handler raised, if any)."""
        for ask in self.url_build_error_handlers:
            try:
                url = ask(error, endpoint, values)
            except BuildError as raised:
                error = raised
            else:
                if url is not None:
                    return url
        if sys.exc_info()[1] is error:
            raise  # keep the original traceback
        raise error
