"""Files that belong to an app or blueprint: its package's resources, and the app's instance
folder (deployment-specific files kept outside the code: config, a SQLite database, uploads)."""

from __future__ import annotations

import importlib.util
import os
import sys
import sysconfig
from typing import IO, Any

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
