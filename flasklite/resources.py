"""Files that belong to an app or blueprint: its static and template folders, resources shipped
with the code, and the app's instance folder (deployment-specific files kept outside the code:
config, a SQLite database, uploads)."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import sysconfig
from collections.abc import Callable, Iterator
from typing import IO, Any

import jinja2
from werkzeug.utils import send_from_directory

from .globals import _cv_ctx
from .helpers import get_root_path

READ_MODES = frozenset(("r", "rt", "rb"))


def _installed_prefixes() -> list[str]:
    paths = sysconfig.get_paths()
    return [os.path.realpath(paths[key]) for key in ("purelib", "platlib") if key in paths]


def find_instance_path(import_name: str, root_path: str) -> str:
    """The default instance folder for an app named ``import_name``.

    Next to the package (or module) when it is used from a source checkout:
    ``project/instance`` for ``project/myapp/__init__.py`` or ``project/myapp.py``. When it is
    installed into site-packages: ``<sys.prefix>/var/<name>-instance``, since the install folder
    is no place for files that change.
    """
    top_level = import_name.partition(".")[0]
    code_path = _code_location(top_level)
    if code_path is None:  # a script run directly, or not importable: next to its root
        return os.path.join(root_path, "instance")
    parent = os.path.dirname(os.path.realpath(code_path))
    for prefix in _installed_prefixes():
        if parent == prefix or parent.startswith(prefix + os.sep):
            return os.path.join(sys.prefix, "var", f"{top_level}-instance")
    return os.path.join(parent, "instance")


def _code_location(top_level: str) -> str | None:
    """The package folder or module file of an importable top-level name."""
    if top_level == "__main__":
        return None
    try:
        spec = importlib.util.find_spec(top_level)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return next(iter(spec.submodule_search_locations), None)
    return spec.origin if spec.origin and os.path.isfile(spec.origin) else None


def open_package_resource(
    root_path: str, resource: str, mode: str = "rb", encoding: str | None = None
) -> IO[Any]:
    """Open a file shipped with the code (relative to ``root_path``), for reading only."""
    if mode not in READ_MODES:
        raise ValueError(f"Resources are read-only: mode must be one of {sorted(READ_MODES)}.")
    path = os.path.join(root_path, resource)
    if mode == "rb":
        return open(path, mode)  # the caller closes it
    return open(path, mode, encoding=encoding)


class PackageFiles:
    """The files next to an app's or a blueprint's code: ``root_path``, the static folder and
    its URL, the template folder, and read-only resources."""

    root_path: str
    template_folder: str | os.PathLike[str] | None

    def init_package_files(
        self,
        import_name: str,
        static_folder: str | os.PathLike[str] | None,
        static_url_path: str | None,
        template_folder: str | os.PathLike[str] | None,
        root_path: str | None,
    ) -> None:
        self.root_path = get_root_path(import_name) if root_path is None else root_path
        self.template_folder = template_folder
        self._static_dir = None if static_folder is None else os.fspath(static_folder)
        self._static_prefix = None if static_url_path is None else static_url_path.rstrip("/")
        self._template_loader: jinja2.FileSystemLoader | None = None

    @property
    def static_folder(self) -> str | None:
        """The absolute static folder (``static_folder`` is relative to ``root_path``)."""
        return None if self._static_dir is None else os.path.join(self.root_path, self._static_dir)

    @property
    def has_static_folder(self) -> bool:
        return self._static_dir is not None

    @property
    def static_url_path(self) -> str | None:
        """Where static files are served; ``""`` serves them at the root of the site."""
        prefix = self._static_prefix
        if prefix is None and self._static_dir is not None:
            prefix = "/" + os.path.basename(self._static_dir.rstrip("/\\"))
        return prefix

    @property
    def jinja_loader(self) -> jinja2.FileSystemLoader | None:
        """A loader for the template folder, or None without one."""
        folder = self.template_folder
        loader = self._template_loader
        if loader is None and folder is not None:
            loader = jinja2.FileSystemLoader(os.path.join(self.root_path, folder))
            self._template_loader = loader
        return loader

    def send_static_file(self, filename: str) -> Any:
        """A file of the static folder, with ETag/Last-Modified and 304 for a conditional
        request; ``..`` and absolute paths get 404 (werkzeug's ``safe_join``). Cache lifetime
        and response class are the current app's, for a blueprint's files too."""
        folder = self.static_folder
        if folder is None:
            raise RuntimeError("'static_folder' must be set to serve static_files.")
        ctx = _cv_ctx.get()
        assert ctx.environ is not None
        app = ctx.app
        return send_from_directory(
            folder,
            filename,
            ctx.environ,
            max_age=app.get_send_file_max_age(filename),
            response_class=app.response_class,
        )

    def open_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = None
    ) -> IO[Any]:
        """Open a file under ``root_path`` for reading (``schema.sql`` shipped with the code)."""
        return open_package_resource(self.root_path, resource, mode, encoding)


class AppTemplateLoader(jinja2.BaseLoader):
    """The app's template folder first, then each blueprint's, in registration order. Asked
    live (not copied at start-up), so blueprints registered after the environment exists
    still count."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def loaders(self) -> Iterator[jinja2.BaseLoader]:
        for owner in (self.app, *self.app.iter_blueprints()):
            loader = owner.jinja_loader
            if loader is not None:
                yield loader

    def get_source(
        self,
        environment: jinja2.Environment,
        template: str,
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        for source in self.loaders():
            with contextlib.suppress(jinja2.TemplateNotFound):
                return source.get_source(environment, template)
        raise jinja2.TemplateNotFound(template)

    def list_templates(self) -> list[str]:
        return sorted({name for loader in self.loaders() for name in loader.list_templates()})
