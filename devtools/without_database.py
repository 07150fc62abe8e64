"""Take the database out of a fresh render of the template (copier's ``database: false``).

    python3 devtools/without_database.py --database false DIR      (copier.yml's first task)

With ``--database true`` it does nothing, so the task runs in every render, the first copy and
both renders ``copier update`` compares, and the same answer always gives the same tree. With
``false`` it deletes the database's files (PostgreSQL in compose and Kubernetes, the migrations,
the items resource that is stored there, its tests and load users) and edits the files that name
them: whole YAML blocks by their keys, comments kept around them; Python by whole lines or
functions (found with ``ast``). Every edit is looked for, not assumed: one whose text has moved
on in the template is reported as a warning, and a service module still importing a deleted one
fails the task, naming the file, rather than leaving a copy that cannot start.

Runs before any virtualenv exists, so it uses the standard library only.
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

DELETED = (
    "alembic.ini",
    "app/db.py",
    "app/migrate.py",
    "app/migrations",
    "app/items.py",
    "tests/db",
    "tests/service/test_api.py",
    "loadtests/db_read.py",
    "loadtests/db_write.py",
    "deploy/k8s/base/db-statefulset.yaml",
    "deploy/k8s/base/db-service.yaml",
    "deploy/k8s/base/db-networkpolicy.yaml",
    "deploy/k8s/base/db-password.txt",
)
# Modules that no longer exist afterwards: nothing in the copy may import them.
GONE_MODULES = ("app.db", "app.migrate", "app.items")
KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_.-]+):(?:\s|$)")

Edit = Callable[[str], str]


class EditMissed(Exception):
    """The text an edit looks for is not there (the template changed since it was written)."""


# --- YAML, by indentation: block-style files as compose and kustomize write them --------------


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _block_end(lines: list[str], start: int) -> int:
    """End (exclusive) of the node whose first line is ``start``: its deeper-indented lines,
    without the comments and blank lines that lead into the next sibling."""
    own = _indent(lines[start])
    end = last = start + 1
    while end < len(lines) and (not _is_content(lines[end]) or _indent(lines[end]) > own):
        if _is_content(lines[end]) or (lines[end].strip() and _indent(lines[end]) > own):
            last = end + 1
        end += 1
    return last


def _cut(lines: list[str], start: int, end: int) -> list[str]:
    """Remove lines[start:end] with the comment lines directly above at the same indent."""
    while start > 0 and lines[start - 1].strip().startswith("#"):
        if _indent(lines[start - 1]) != _indent(lines[start]):
            break
        start -= 1
    # Do not leave two blank lines where the block sat between two, nor one at the end.
    if start > 0 and end < len(lines) and not lines[start - 1].strip() and not lines[end].strip():
        end += 1
    kept = lines[:start] + lines[end:]
    while kept and not kept[-1].strip():
        kept.pop()
    return kept


def _find_key(lines: list[str], path: tuple[str, ...]) -> int | None:
    """Index of the mapping key at ``path`` (nested mappings, no sequences on the way)."""
    begin, end = 0, len(lines)
    for depth, key in enumerate(path):
        # The children of a mapping are indented alike: the first one says how far.
        child = next((_indent(line) for line in lines[begin:end] if _is_content(line)), None)
        for index in range(begin, end):
            match = KEY_LINE.match(lines[index])
            if match and match["key"] == key and len(match["indent"]) == child:
                if depth == len(path) - 1:
                    return index
                begin, end = index + 1, _block_end(lines, index)
                break
        else:
            return None
    return None


def drop_key(*path: str) -> Edit:
    def edit(text: str) -> str:
        lines = text.splitlines(keepends=True)
        index = _find_key(lines, path)
        if index is None:
            raise EditMissed(f"no key {'.'.join(path)}")
        return "".join(_cut(lines, index, _block_end(lines, index)))

    return edit


def drop_items(*first_lines: str) -> Edit:
    """Remove every sequence item whose first line (stripped) is one of ``first_lines``."""

    def edit(text: str) -> str:
        lines = text.splitlines(keepends=True)
        found = 0
        index = len(lines) - 1
        while index >= 0:
            if lines[index].strip() in first_lines:
                lines = _cut(lines, index, _block_end(lines, index))
                found += 1
            index -= 1
        if not found:
            raise EditMissed(f"no item {' / '.join(first_lines)}")
        return "".join(lines)

    return edit


# --- Text and Python --------------------------------------------------------------------------


def replace(pattern: str, replacement: str, flags: int = re.MULTILINE) -> Edit:
    compiled = re.compile(pattern, flags)

    def edit(text: str) -> str:
        new, count = compiled.subn(replacement, text)
        if not count:
            raise EditMissed(f"nothing matches {pattern!r}")
        return new

    return edit


def drop_lines(pattern: str) -> Edit:
    return replace(rf"^(?:{pattern}).*\n", "")


def drop_functions(*names: str) -> Edit:
    """Remove top-level functions (with their decorators and the blank lines after them)."""

    def edit(text: str) -> str:
        lines = text.splitlines(keepends=True)
        spans = [
            (min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1, node.end_lineno)
            for node in ast.parse(text).body
            if isinstance(node, ast.FunctionDef) and node.name in names
        ]
        if len(spans) != len(names):
            raise EditMissed(f"not every function of {names} is defined")
        for start, end in sorted(spans, reverse=True):
            assert end is not None
            while end < len(lines) and not lines[end].strip():
                end += 1
            lines[start:end] = []
        return "".join(lines).rstrip("\n") + "\n"

    return edit


def views_api_import(text: str) -> str:
    """``api`` from app.views, where app.items re-exported it, in isort's place."""
    text = drop_lines(r"from app\.items import api\b")(text)
    lines = text.splitlines(keepends=True)
    app_imports = [i for i, line in enumerate(lines) if line.startswith("from app.")]
    if not app_imports:
        raise EditMissed("no `from app.` imports")
    block = [*(lines[i] for i in app_imports), "from app.views import api\n"]
    first, last = app_imports[0], app_imports[-1]
    return "".join(lines[:first] + sorted(block) + lines[last + 1 :])


EDITS: dict[str, tuple[Edit, ...]] = {
    "docker-compose.yml": (
        drop_key("services", "migrate"),
        drop_key("services", "db"),
        drop_key("services", "app", "depends_on"),
        drop_key("services", "app", "environment", "DATABASE_URL"),
        drop_key("services", "app", "environment", "DATABASE_PASSWORD_FILE"),
        drop_key("services", "app", "environment", "DATABASE_POOL_SIZE"),
        drop_key("services", "app", "environment", "DATABASE_STATEMENT_TIMEOUT_MS"),
        replace(
            r"^( *)# The database password and SECRET_KEY (.*) as files ",
            r"\1# SECRET_KEY \2 as a file ",
        ),
        replace(r"^( *secrets: )\[db_password, app_secret_key\]", r"\1[app_secret_key]"),
        drop_key("volumes", "db-data"),
        drop_key("secrets", "db_password"),
    ),
    ".env.example": (
        replace(r"^# --- The database .*\n(?:[^\n]+\n)*\n", ""),
        drop_lines(r"POSTGRES_IMAGE=|# +POSTGRES_IMAGE="),
    ),
    "Makefile": (replace(r"^# --- The database .*\n(?:.*\n)*?db-restore:.*\n(?:\t.*\n)*", ""),),
    "deploy/k8s/base/kustomization.yaml": (
        drop_items("- db-statefulset.yaml", "- db-service.yaml", "- db-networkpolicy.yaml"),
        drop_key("secretGenerator"),
    ),
    "deploy/k8s/base/app-deployment.yaml": (
        drop_key("spec", "template", "spec", "initContainers"),
        drop_items("- name: db-password", "- name: db-password  # DATABASE_PASSWORD_FILE"),
    ),
    "deploy/k8s/base/app.env": (drop_lines(r"DATABASE_"),),
    "deploy/k8s/README.md": (replace(r"^- Database: .*\n(?:  .*\n)*", ""),),
    # The service: what imported the deleted modules (app/__init__.py minimally, see above).
    "app/__init__.py": (
        drop_lines(r"from app\.db import init_db\b"),
        drop_lines(r" *init_db\(app\)"),
        drop_lines(r" *wsgistack\.add_readiness_check\(app, schema_ready\)"),
        views_api_import,
    ),
    "app/pages.py": (
        replace(r"^ *from app\.items import first_page.*\n\n?", ""),
        replace(
            r'render_template\("index\.html", items=first_page\(\)\)',
            'render_template("index.html")',
        ),
    ),
    "app/templates/index.html": (
        replace(r"^<h2>Items</h2>\n(?:.*\n)*?</table>\n", ""),
        drop_lines(r".*url_for\('api\.list_items'\)"),
    ),
    # The service's tests, where they use the database or the items resource.
    "tests/service/conftest.py": (
        replace(r"\) and\n( *)# a fresh SQLite file in it, migrated on first use\.", ")."),
        drop_lines(r" *database = f\"sqlite:"),
        replace(r', "DATABASE_URL": database\}', "}"),
        drop_lines(r' *app\.extensions\["db"\]\.dispose\(\)'),
    ),
    "tests/service/test_pages.py": (
        replace(r"_with_stylesheet_and_items\(", "_with_stylesheet("),
        drop_lines(r" *assert '<a href=\"/api/items/3\">3</a>' in html"),
        replace(r'"/hello", "/api/items/1", ', '"/hello", '),
    ),
    "tests/service/test_signin.py": (drop_functions("test_api_responses_do_not_vary_by_cookie"),),
    "tests/service/test_structure.py": (
        drop_lines(r' *assert url_for\("api\.get_item"'),
        drop_functions("test_created_item_location_is_built_from_the_endpoint"),
    ),
}


def delete(root: Path, rels: Iterable[str]) -> None:
    for rel in rels:
        path = root / rel
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def apply_edits(root: Path, edits: dict[str, tuple[Edit, ...]]) -> list[str]:
    """Run every edit on its file; the warnings for those that found nothing to change."""
    warnings = []
    for rel, file_edits in edits.items():
        path = root / rel
        if not path.is_file():
            warnings.append(f"{rel}: not in this render, left alone")
            continue
        text = path.read_text("utf-8")
        for edit in file_edits:
            try:
                text = edit(text)
            except EditMissed as missed:
                warnings.append(f"{rel}: {missed}")
        path.write_text(text, "utf-8")
    return warnings


def importers_of_gone_modules(root: Path) -> list[str]:
    """``file: module`` for each Python file under app/ and tests/ importing a deleted module."""
    found = []
    for path in sorted([*root.glob("app/**/*.py"), *root.glob("tests/**/*.py")]):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            modules = []
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            for module in modules:
                if module in GONE_MODULES:
                    found.append(f"{path.relative_to(root)}: imports {module}")
    return found


def remove_database(root: Path) -> list[str]:
    """Delete and edit as above; the warnings. Raises SystemExit if an import is left over."""
    delete(root, DELETED)
    warnings = apply_edits(root, EDITS)
    if leftovers := importers_of_gone_modules(root):
        raise SystemExit(
            "without-database: these still import what the database option deleted; extend "
            "devtools/without_database.py in the template:\n  " + "\n  ".join(leftovers)
        )
    return warnings


def parse_bool(value: str) -> bool:
    # copier renders a bool answer as True/False; people type the rest.
    lowered = value.strip().lower()
    if lowered in {"true", "yes", "1", "on"}:
        return True
    if lowered in {"false", "no", "0", "off"}:
        return False
    raise argparse.ArgumentTypeError(f"not a yes/no value: {value!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="without_database.py", description=__doc__)
    parser.add_argument("--database", type=parse_bool, required=True)
    parser.add_argument("root", type=Path)
    args = parser.parse_args(argv)
    if args.database:
        return 0
    for warning in remove_database(args.root.resolve()):
        print(f"without-database: warning: {warning}")
    print("without-database: the copy has no database (copier answer database=false)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
