"""``app.config``: a dict with Flask's loading helpers (``from_mapping``, ``from_prefixed_env``)."""

from __future__ import annotations

import json
import os
import types
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")


class ConfigAttribute(Generic[T]):
    """Forward an attribute of the app to one config key (``app.debug`` → ``config["DEBUG"]``)."""

    def __init__(self, name: str) -> None:
        self.__name__ = name

    @overload
    def __get__(self, obj: None, owner: type[Any] | None = None) -> ConfigAttribute[T]: ...

    @overload
    def __get__(self, obj: Any, owner: type[Any] | None = None) -> T: ...

    def __get__(self, obj: Any, owner: type[Any] | None = None) -> T | ConfigAttribute[T]:
        if obj is None:
            return self
        value: T = obj.config[self.__name__]
        return value

    def __set__(self, obj: Any, value: T) -> None:
        obj.config[self.__name__] = value


class Config(dict[str, Any]):
    """The app's settings. Only UPPERCASE keys are loaded by the ``from_*`` helpers, like Flask, so
    a module or mapping can hold lowercase helpers without them leaking into the config."""

    def __init__(
        self, root_path: str | os.PathLike[str], defaults: Mapping[str, Any] | None = None
    ):
        super().__init__(defaults or {})
        self.root_path = root_path

    def from_mapping(self, mapping: Mapping[str, Any] | None = None, **kwargs: Any) -> bool:
        """Update from a mapping and/or keyword arguments, ignoring non-uppercase keys."""
        mappings: dict[str, Any] = {}
        if mapping is not None:
            mappings.update(mapping)
        mappings.update(kwargs)
        for key, value in mappings.items():
            if key.isupper():
                self[key] = value
        return True

    def from_object(self, obj: object | str) -> None:
        """Load the UPPERCASE attributes of an object (or of an importable ``"pkg.module:obj"``)."""
        if isinstance(obj, str):
            obj = _import_string(obj)
        for key in dir(obj):
            if key.isupper():
                self[key] = getattr(obj, key)

    def from_prefixed_env(
        self, prefix: str = "FLASK", *, loads: Callable[[str], Any] = json.loads
    ) -> bool:
        """Load ``{prefix}_*`` environment variables, dropping the prefix.

        Values are passed through ``loads`` (JSON by default) so ``APP_MAX_CONTENT_LENGTH=1024``
        becomes the int ``1024`` and ``APP_DEBUG=true`` the bool ``True``; a value that is not
        valid JSON stays a string. ``APP_A__B=1`` sets ``config["A"]["B"]`` (nested dicts), as in
        Flask. Keys are applied in sorted order so the result does not depend on ``os.environ``
        ordering.
        """
        prefix = f"{prefix}_"
        for key in sorted(os.environ):
            if not key.startswith(prefix):
                continue
            raw = os.environ[key]
            value: Any
            try:
                value = loads(raw)
            except Exception:
                value = raw
            key = key[len(prefix) :]
            if "__" not in key:
                self[key] = value
                continue
            current: dict[str, Any] = self
            *parts, tail = key.split("__")
            for part in parts:
                if part not in current:
                    current[part] = {}
                current = current[part]
            current[tail] = value
        return True

    def get_namespace(
        self, namespace: str, lowercase: bool = True, trim_namespace: bool = True
    ) -> dict[str, Any]:
        """Return the keys that start with ``namespace`` (e.g. ``"CACHE_"``) as a new dict."""
        rv: dict[str, Any] = {}
        for key, value in self.items():
            if not key.startswith(namespace):
                continue
            name = key[len(namespace) :] if trim_namespace else key
            rv[name.lower() if lowercase else name] = value
        return rv

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"


def _import_string(path: str) -> Any:
    module_name, _, attr = path.replace(":", ".").rpartition(".")
    module: types.ModuleType = __import__(module_name, fromlist=[attr])
    return getattr(module, attr)
