"""``app.config``: the settings dict and the ways to fill it (files, objects, the environment).

Only UPPERCASE names are ever loaded, so a settings module or mapping can keep lowercase helpers
and imports without them turning into configuration.
"""

from __future__ import annotations

import importlib
import json
import os
import types
from collections.abc import Callable, Mapping
from typing import IO, Any, Generic, TypeVar, overload

T = TypeVar("T")


class ConfigAttribute(Generic[T]):
    """An app attribute that reads and writes one config key (``app.debug`` ↔ ``DEBUG``)."""

    def __init__(self, key: str) -> None:
        self.key = key

    @overload
    def __get__(self, instance: None, owner: type[Any] | None = None) -> ConfigAttribute[T]: ...

    @overload
    def __get__(self, instance: Any, owner: type[Any] | None = None) -> T: ...

    def __get__(self, instance: Any, owner: type[Any] | None = None) -> T | ConfigAttribute[T]:
        if instance is None:
            return self
        found: T = instance.config[self.key]
        return found

    def __set__(self, instance: Any, value: T) -> None:
        instance.config[self.key] = value


def _read_config_file(path: str, mode: str, silent: bool) -> IO[Any] | None:
    """The open file, or None when it is missing and ``silent``; other errors propagate."""
    try:
        return open(path, mode)  # the caller closes it
    except OSError as failure:
        if silent and isinstance(failure, FileNotFoundError | IsADirectoryError):
            return None
        failure.strerror = f"Unable to load configuration file ({failure.strerror})"
        raise


def _uppercase_items(source: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in source.items() if name.isupper()}


def import_by_name(dotted: str) -> Any:
    """``"pkg.mod"`` → the module; ``"pkg.mod.attr"`` or ``"pkg.mod:attr"`` → the attribute."""
    if ":" in dotted:
        module_name, attr = dotted.split(":", 1)
        return getattr(importlib.import_module(module_name), attr)
    module_name, _, attr = dotted.rpartition(".")
    try:
        return importlib.import_module(dotted)
    except ModuleNotFoundError as not_a_module:
        # Fall back to "module.attr" only when the *whole* name is what is missing; a missing
        # dependency inside the module must surface unchanged.
        if not module_name or not_a_module.name != dotted:
            raise
    return getattr(importlib.import_module(module_name), attr)


class Config(dict[str, Any]):
    """The app's settings, with Flask's ``from_*`` loaders.

    Relative file names are resolved against ``root_path`` (the app's root, or its instance
    folder when the app is built with ``instance_relative_config=True``).
    """

    def __init__(
        self,
        root_path: str | os.PathLike[str],
        defaults: Mapping[str, Any] | None = None,
    ) -> None:
        dict.__init__(self, defaults or ())
        #: Where relative file names are looked up.
        self.root_path = root_path

    def _resolve(self, filename: str | os.PathLike[str]) -> str:
        return os.path.join(self.root_path, filename)

    def from_mapping(self, mapping: Mapping[str, Any] | None = None, **kwargs: Any) -> bool:
        """Copy the UPPERCASE keys of ``mapping`` and of the keyword arguments."""
        merged = dict(mapping or {})
        merged.update(kwargs)
        self.update(_uppercase_items(merged))
        return True

    def from_object(self, obj: object | str) -> None:
        """Copy the UPPERCASE attributes of an object, a class or a module.

        A string is imported first: ``"settings"`` (a module), ``"settings.Production"`` or
        ``"settings:Production"`` (an attribute of one).
        """
        source = import_by_name(obj) if isinstance(obj, str) else obj
        self.update({name: getattr(source, name) for name in dir(source) if name.isupper()})

    def from_pyfile(self, filename: str | os.PathLike[str], silent: bool = False) -> bool:
        """Execute a Python file and keep its UPPERCASE globals. A missing file is an error
        unless ``silent`` (then False is returned)."""
        path = self._resolve(filename)
        namespace = types.ModuleType("config")
        namespace.__file__ = path
        source = _read_config_file(path, "rb", silent)
        if source is None:
            return False
        with source:
            code = compile(source.read(), path, "exec")
        exec(code, namespace.__dict__)
        self.from_object(namespace)
        return True

    def from_file(
        self,
        filename: str | os.PathLike[str],
        load: Callable[[IO[Any]], Mapping[str, Any]],
        silent: bool = False,
        text: bool = True,
    ) -> bool:
        """Read a data file with ``load`` (``json.load``, or ``tomllib.load`` with
        ``text=False``) and keep its UPPERCASE top-level keys."""
        handle = _read_config_file(self._resolve(filename), "r" if text else "rb", silent)
        if handle is None:
            return False
        with handle:
            data = load(handle)
        return self.from_mapping(data)

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """``from_pyfile`` on the path held by an environment variable."""
        path = os.environ.get(variable_name)
        if not path:
            if silent:
                return False
            raise RuntimeError(
                f"The environment variable {variable_name!r} is not set, so no configuration"
                f" file can be loaded from it. Set it to the path of a Python config file,"
                f" e.g. export {variable_name}=/path/to/settings.cfg"
            )
        return self.from_pyfile(path, silent=silent)

    def from_prefixed_env(
        self,
        prefix: str = "FLASK",
        *,
        loads: Callable[[str], Any] = json.loads,
    ) -> bool:
        """Load every ``{prefix}_NAME`` environment variable as ``NAME``.

        Each value goes through ``loads`` (JSON by default: ``"1024"`` becomes an int,
        ``"true"`` a bool) and stays a string when it does not parse. A double underscore
        nests: ``APP_DB__HOST=db`` sets ``config["DB"]["HOST"]``. Variables are applied in
        sorted order so the result never depends on the environment's ordering.
        """
        start = prefix + "_"
        for variable in sorted(name for name in os.environ if name.startswith(start)):
            raw = os.environ[variable]
            try:
                value = loads(raw)
            except Exception:
                value = raw
            *parents, leaf = variable[len(start) :].split("__")
            target: dict[str, Any] = self
            for part in parents:
                target = target.setdefault(part, {})
            target[leaf] = value
        return True

    def get_namespace(
        self,
        namespace: str,
        lowercase: bool = True,
        trim_namespace: bool = True,
    ) -> dict[str, Any]:
        """The keys starting with ``namespace`` (e.g. ``"CACHE_"``) as a new dict, for passing
        to a constructor as keyword arguments."""
        cut = len(namespace) if trim_namespace else 0
        picked = {key[cut:]: value for key, value in self.items() if key.startswith(namespace)}
        return {key.lower(): value for key, value in picked.items()} if lowercase else picked

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {super().__repr__()}>"
