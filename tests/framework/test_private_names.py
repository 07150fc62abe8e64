"""The framework uses only the public API of the libraries it builds on.

A private name (``Headers._list``, ``Response._status``, ``markupsafe._escape_inner``, a
``werkzeug`` module's ``_helper``...) may change in any release. This test reads every module of
``flasklite/`` and fails on:

- an import of an underscore name, or of an internal module, from werkzeug, Jinja2, markupsafe or
  the standard library's ``json``;
- an ``obj._name`` attribute (read or written) whose name is one of those libraries' private
  names: our own private attributes are named so they can never be taken for theirs;
- a string naming such an attribute (``getattr(obj, "_status")``).
"""

from __future__ import annotations

import ast
import importlib.util
import json
from functools import cache
from pathlib import Path

import jinja2
import markupsafe
import werkzeug

import flasklite

PACKAGE = Path(flasklite.__file__).parent
LIBRARIES = {"werkzeug": werkzeug, "jinja2": jinja2, "markupsafe": markupsafe, "json": json}
INTERNAL_MODULES = ("json.encoder", "json.decoder", "json.scanner", "_json")


def _is_private(name: str) -> bool:
    dunder = name.startswith("__") and name.endswith("__")
    return len(name) > 1 and name.startswith("_") and not dunder


def _library_files() -> list[Path]:
    files: list[Path] = []
    for module in LIBRARIES.values():
        spec = importlib.util.find_spec(module.__name__)
        assert spec is not None and spec.origin is not None
        files += Path(spec.origin).parent.rglob("*.py")
    return files


@cache
def library_private_names() -> frozenset[str]:
    """Every underscore attribute, method, function and class name the libraries define or use."""
    names: set[str] = set()
    for path in _library_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return frozenset(name for name in names if _is_private(name))


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    theirs = library_private_names()
    found: list[str] = []
    for node in ast.walk(tree):
        where = f"{path.name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.ImportFrom) and node.module:
            root = node.module.split(".")[0]
            if node.module.startswith(INTERNAL_MODULES) or (
                root in LIBRARIES and any(_is_private(part) for part in node.module.split("."))
            ):
                found.append(f"{where}: imports internal module {node.module}")
            elif root in LIBRARIES:
                found += [
                    f"{where}: imports {node.module}.{alias.name}"
                    for alias in node.names
                    if _is_private(alias.name) or f"{node.module}.{alias.name}" in INTERNAL_MODULES
                ]
        elif isinstance(node, ast.Import):
            found += [
                f"{where}: imports internal module {alias.name}"
                for alias in node.names
                if alias.name.startswith(INTERNAL_MODULES)
            ]
        elif isinstance(node, ast.Attribute) and node.attr in theirs:
            found.append(f"{where}: .{node.attr} is a private name of a library")
        elif isinstance(node, ast.Constant) and node.value in theirs:
            found.append(f"{where}: string {node.value!r} names a library's private name")
    return found


def test_the_library_scan_finds_the_names_it_must_refuse() -> None:
    # The ones this framework used to touch: proof the scan would catch them again.
    for name in ("_list", "_pos", "_status", "_escape_inner", "_matcher", "_get_server"):
        assert name in library_private_names(), name


def test_a_private_name_is_reported(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from werkzeug.wsgi import _get_server\n"
        "from json import encoder\n"
        "import json.scanner\n"
        "def f(headers, response):\n"
        "    response._status = '200 OK'\n"
        "    return headers._list, getattr(response, '_on_close')\n",
        encoding="utf-8",
    )
    # _get_server, json.encoder, json.scanner, then _status, _list and "_on_close"
    assert len(_violations(sample)) == 6
    assert _violations(sample)[0].startswith("sample.py:1")


def test_flasklite_uses_no_private_name_of_werkzeug_jinja_markupsafe_or_json() -> None:
    found = [v for path in sorted(PACKAGE.rglob("*.py")) for v in _violations(path)]
    assert found == []
