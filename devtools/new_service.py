"""Start a new service from this template, and rename copier's renders of it.

    python3 -m devtools.new_service --name billing --dest ../billing   (make new-service ...)
    python3 devtools/new_service.py --name billing --in-place .        (copier.yml's task)

``--dest`` checks NAME and DEST, runs ``copier copy`` of the template's last commit (copier.yml
chooses the files and leaves out the template's own tooling) and gives the copy its first git
commit, which ``copier update`` needs. ``--in-place`` is copier's task, run in every render (the
first copy and both renders ``copier update`` compares): it renames the template's names in
every text file that uses them:

* ``wsgi-stack`` (compose project, image names, display name, page titles) -> ``billing``;
  a name with ``_`` becomes ``-`` here (``my_svc`` -> ``my-svc``), because Kubernetes object names
  and DNS labels allow no ``_``;
* ``wsgi_stack`` / ``WSGI_STACK`` -> ``billing`` / ``BILLING``;
* the settings prefix ``APP_`` -> ``BILLING_`` (``APP_DEBUG`` -> ``BILLING_DEBUG``), and the bare
  prefix literal ``"APP"`` that ``from_prefixed_env`` takes -> ``"BILLING"``.

Text between the markers ``new-service: keep-start`` and ``new-service: keep-end`` (in a
comment) is not renamed: docs that explain the rename must keep the template's names. Lines from
``new-service: template-only-start`` to ``new-service: template-only-end`` are left out of the
copy: the ``new-service`` target and what documents it, which a copy cannot run.
Renaming changes line lengths, so the renamed Python files are then formatted with ruff (the one
beside the Python running this, else ``--ruff``), and the copy's ``make lint`` passes at once.
``flasklite/**``, ``tests/framework/**``, ``LICENSE`` and copier's answers file are left byte for
byte: the framework must stay identical to the template's, the MIT notice must be kept, and
``copier update`` reads the answers as copier wrote them. Venvs, caches, ``.env`` and the like
are left alone, should the rename run in a working tree.

The NAME rule (see ``check_name``): 1-32 characters, lowercase ASCII letters and digits in words
joined by single underscores, starting with a letter (``billing``, ``billing_api``, ``svc2``).
That is at once a Python identifier, a Docker Compose project name, an image-name component and
(as ``billing-api``) a DNS label; its upper-case form is a shell variable prefix.

Runs before any virtualenv exists, so it uses the standard library only.
"""

from __future__ import annotations

import argparse
import ast
import keyword
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

TEMPLATE_KEBAB = "wsgi-stack"
TEMPLATE_SNAKE = "wsgi_stack"
TEMPLATE_ENV_PREFIX = "APP_"

MAX_NAME_LENGTH = 32
NAME_RULE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
NAME_RULE_TEXT = (
    f"1-{MAX_NAME_LENGTH} characters: lowercase letters and digits, words joined by single "
    "underscores, starting with a letter (e.g. billing, billing_api, svc2)"
)
# Prefixes whose environment variables other programs already read: a service named `pip` would
# have PIP_DEBUG, which pip itself obeys. The collision check below catches the rest generically.
RESERVED_ENV_PREFIXES = frozenset(
    {
        "PYTHON", "PIP", "GUNICORN", "WERKZEUG", "FLASK", "JINJA", "DOCKER", "COMPOSE", "BUILDKIT",
        "KUBE", "HTTP", "HTTPS", "NO", "SSL", "REQUESTS", "CURL", "LC", "LD", "XDG", "GIT", "CI",
        "MAKE", "VIRTUAL", "PYTEST", "NGINX", "LOCUST", "MYPY", "RUFF", "PRE_COMMIT", "TMP",
    }
)  # fmt: skip

# Copied byte for byte, never renamed (see the module docstring for why). The framework's tests
# go with it: they test its generic behaviour, and an update copies both over.
FRAMEWORK_DIR = "flasklite/"
VERBATIM_PREFIXES = (FRAMEWORK_DIR, "tests/framework/")
# copier's record of the template and the answers: `copier update` reads it as copier wrote it.
ANSWERS_FILE = ".copier-answers.yml"
VERBATIM_FILES = frozenset({"LICENSE", ANSWERS_FILE})
# The template's own machinery: a copy is a service, not another template.
TEMPLATE_ONLY_PREFIXES = ("tests/template/",)
TEMPLATE_ONLY_FILES = frozenset(
    {
        "devtools/new_service.py",
        "devtools/without_database.py",
        "copier.yml",
        "{{ _copier_conf.answers_file }}.jinja",
    }
)

# Never copied, whatever git says (belt and braces for a .gitignore that misses something).
EXCLUDED_DIR_NAMES = frozenset(
    {
        ".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache",
        ".tox", ".nox", ".hypothesis", "node_modules", ".run", "htmlcov", "results", ".venv",
        "venv",
    }
)  # fmt: skip
EXCLUDED_TOP_DIRS = frozenset({"build", "dist"})
EXCLUDED_SUFFIXES = (".pyc", ".pyo", ".egg-info")
EXCLUDED_FILE_NAMES = frozenset({".coverage", ".DS_Store"})
KEPT_ENV_FILES = frozenset({".env.example"})
KEPT_CERTS_FILES = frozenset({"README.md", ".gitkeep"})

# `APP_` at the start of a token: not `MY_APP_X` or `WEBAPP_X`; the whole token is captured so
# tokens the framework itself uses can be left alone.
ENV_TOKEN = re.compile(r"(?<![A-Za-z0-9_])" + re.escape(TEMPLATE_ENV_PREFIX) + r"[A-Za-z0-9_]*")
# The bare prefix as a quoted literal, as in `from_prefixed_env("APP")`.
BARE_PREFIX = TEMPLATE_ENV_PREFIX.rstrip("_")
BARE_PREFIX_LITERAL = re.compile(r"""(["'])""" + re.escape(BARE_PREFIX) + r"\1")
# Text that must keep naming the template in a copy (say, docs explaining what the rename does)
# sits between these markers, in whatever comment syntax the file uses.
KEEP_START, KEEP_END = "new-service: keep-start", "new-service: keep-end"
KEPT_REGION = re.compile("(" + re.escape(KEEP_START) + ".*?" + re.escape(KEEP_END) + ")", re.DOTALL)
# Whole lines the copy does without (the `new-service` target and its documentation).
TEMPLATE_ONLY_START, TEMPLATE_ONLY_END = (
    "new-service: template-only-start",
    "new-service: template-only-end",
)
TEMPLATE_ONLY_REGION = re.compile(
    "^[^\n]*" + re.escape(TEMPLATE_ONLY_START) + ".*?" + re.escape(TEMPLATE_ONLY_END) + "[^\n]*\n?",
    re.DOTALL | re.MULTILINE,
)
# Anything still resembling the template's name after renaming is worth a warning; `wsgistack`
# (no separator) is the machinery package, which every copy keeps by that name.
LEFTOVER_NAME = re.compile(r"wsgi[-_ ]stack", re.IGNORECASE)


class UsageError(Exception):
    """A refusal the user can fix (bad NAME or DEST): exit status 2 with the message."""


@dataclass(frozen=True)
class Names:
    snake: str  # billing_api: Python identifier, the NAME as given
    kebab: str  # billing-api: compose project, image names, DNS/Kubernetes names, display name
    env_prefix: str  # BILLING_API_

    @property
    def bare_env_prefix(self) -> str:
        return self.env_prefix.rstrip("_")


@dataclass
class CopyReport:
    files: int = 0
    renamed_files: list[str] = field(default_factory=list)
    renamed_paths: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    line_length: int = 88  # where the copy's ruff reports E501
    # Renamed lines whose template line was already too long: not the rename's doing.
    long_before: set[str] = field(default_factory=set)


def check_name(name: str) -> Names:
    """Return the forms of NAME, or raise UsageError saying which rule it breaks."""
    if not name:
        raise UsageError("NAME is required: make new-service NAME=billing DEST=../billing")
    if len(name) > MAX_NAME_LENGTH:
        raise UsageError(f"NAME {name!r} is too long; it must be {NAME_RULE_TEXT}")
    if not NAME_RULE.fullmatch(name):
        hint = ""
        if "-" in name:
            hint = f" ('-' is not allowed in a Python identifier: try {name.replace('-', '_')!r})"
        elif name.lower() != name:
            hint = f" (try {name.lower()!r})"
        raise UsageError(f"NAME {name!r} is not valid: it must be {NAME_RULE_TEXT}{hint}")
    if keyword.iskeyword(name):
        raise UsageError(f"NAME {name!r} is a Python keyword; choose another name")
    upper = name.upper()
    if upper in RESERVED_ENV_PREFIXES:
        raise UsageError(
            f"NAME {name!r} would make the settings prefix {upper}_, which other programs "
            "already read their own settings from; choose another name"
        )
    return Names(snake=name, kebab=name.replace("_", "-"), env_prefix=f"{upper}_")


def check_dest(source: Path, dest_arg: str) -> Path:
    """Return DEST as an absolute path, or raise UsageError if it cannot be written safely."""
    if not dest_arg:
        raise UsageError("DEST is required: make new-service NAME=billing DEST=../billing")
    # resolve() follows symlinks, so a link pointing back into the source is caught too.
    dest = Path(dest_arg).expanduser().resolve()
    source = source.resolve()
    if dest == source or source in dest.parents:
        raise UsageError(
            f"DEST {dest_arg!r} ({dest}) is inside the source tree {source}; "
            "choose a directory outside it, e.g. ../billing"
        )
    if dest.exists() or dest.is_symlink():
        if not dest.is_dir():
            raise UsageError(f"DEST {dest_arg!r} exists and is not a directory")
        if any(dest.iterdir()):
            raise UsageError(
                f"DEST {dest_arg!r} ({dest}) exists and is not empty; "
                "choose a new directory (nothing was written)"
            )
    return dest


def is_excluded(rel: str) -> bool:
    """True for paths a copy must not get: output, caches, venvs, secrets, template tooling."""
    parts = PurePosixPath(rel).parts
    if not parts:
        return True
    name = parts[-1]
    if any(part in EXCLUDED_DIR_NAMES or part.endswith(".egg-info") for part in parts[:-1]):
        return True
    if len(parts) > 1 and parts[0] in EXCLUDED_TOP_DIRS:
        return True
    if name in EXCLUDED_FILE_NAMES or name.endswith(EXCLUDED_SUFFIXES):
        return True
    if (name == ".env" or name.startswith(".env.")) and name not in KEPT_ENV_FILES:
        return True
    if len(parts) > 1 and parts[0] == "certs" and (len(parts) > 2 or name not in KEPT_CERTS_FILES):
        return True
    return rel in TEMPLATE_ONLY_FILES or rel.startswith(TEMPLATE_ONLY_PREFIXES)


def is_verbatim(rel: str) -> bool:
    return rel in VERBATIM_FILES or rel.startswith(VERBATIM_PREFIXES)


def walked_files(source: Path) -> list[str]:
    """Every file under ``source``, pruning excluded directories and anything that is a venv."""
    found: list[str] = []
    for root, dirs, files in os.walk(source):
        here = Path(root)
        # A virtualenv may have any name; pyvenv.cfg is what makes it one.
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in EXCLUDED_DIR_NAMES
            and not d.endswith(".egg-info")
            and not (here / d / "pyvenv.cfg").exists()
        )
        for name in files:
            found.append((here / name).relative_to(source).as_posix())
    return sorted(found)


def decode_text(data: bytes) -> str | None:
    """The file as text, or None for binary content (copied unchanged)."""
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


class Renamer:
    """The template's names -> the new service's, in file contents and paths."""

    def __init__(self, names: Names, protected_tokens: Iterable[str] = ()) -> None:
        self.names = names
        self.protected = frozenset(protected_tokens)
        self._plain = (
            (TEMPLATE_KEBAB, names.kebab),
            (TEMPLATE_SNAKE, names.snake),
            (TEMPLATE_SNAKE.upper(), names.snake.upper()),
            (TEMPLATE_KEBAB.upper(), names.kebab.upper()),
        )

    def new_token(self, token: str) -> str:
        rest = token[len(TEMPLATE_ENV_PREFIX) :]
        # `APP_foo` is not an environment variable by any convention this repo uses.
        if token in self.protected or rest[:1].islower():
            return token
        return self.names.env_prefix + rest

    def text(self, content: str) -> str:
        # Split on the kept regions: odd pieces are the regions themselves, left as they are.
        pieces = KEPT_REGION.split(content)
        return "".join(p if i % 2 else self._rename(p) for i, p in enumerate(pieces))

    def _rename(self, content: str) -> str:
        for old, new in self._plain:
            content = content.replace(old, new)
        content = ENV_TOKEN.sub(lambda m: self.new_token(m.group(0)), content)
        return BARE_PREFIX_LITERAL.sub(
            lambda m: f"{m.group(1)}{self.names.bare_env_prefix}{m.group(1)}", content
        )

    def path(self, rel: str) -> str:
        for old, new in self._plain[:2]:
            rel = rel.replace(old, new)
        return rel


def framework_names(framework: dict[str, str]) -> tuple[set[str], set[str]]:
    """Prefixed names the framework's code uses: (identifiers, string literals).

    Identifiers keep their spelling everywhere, or service code importing them from the untouched
    framework would break. A bare literal (``environ["APP_X"]``) would mean the framework reads a
    setting by the template's name: worth a warning. Mentions in docstrings and comments are
    neither, so they do not stop the service's own settings from being renamed.
    """
    identifiers: set[str] = set()
    literals: set[str] = set()
    for rel, text in framework.items():
        if not rel.endswith(".py"):
            continue
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                identifiers.add(node.name)
            elif isinstance(node, ast.Name):
                identifiers.add(node.id)
            elif isinstance(node, ast.Attribute):
                identifiers.add(node.attr)
            elif isinstance(node, ast.alias):
                identifiers.add(node.asname or node.name)
            elif isinstance(node, ast.arg):
                identifiers.add(node.arg)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                literals.add(node.value)
    prefixed = {name for name in identifiers if ENV_TOKEN.fullmatch(name)}
    read = {value for value in literals if ENV_TOKEN.fullmatch(value) or value == BARE_PREFIX}
    return prefixed, read


def ruff_line_length(texts: dict[str, str]) -> int:
    """The length at which ruff's E501 fires: pycodestyle's max-line-length, else line-length."""
    try:
        ruff = tomllib.loads(texts.get("pyproject.toml", "")).get("tool", {}).get("ruff", {})
    except tomllib.TOMLDecodeError:
        return 88
    length = ruff.get("lint", {}).get("pycodestyle", {}).get("max-line-length")
    if length is None:
        length = ruff.get("line-length", 88)
    return length if isinstance(length, int) else 88


def find_collisions(texts: dict[str, str], renamer: Renamer) -> list[str]:
    """New env names that the tree already uses for something else (APP_IMAGE vs PYTHON_IMAGE)."""
    existing: set[str] = set()
    new_prefix = re.compile(r"(?<![A-Za-z0-9_])" + re.escape(renamer.names.env_prefix) + r"\w*")
    renamed: set[str] = set()
    for text in texts.values():
        # Kept regions are copied as they are: nothing in them is renamed or can collide.
        content = KEPT_REGION.sub("", text)
        existing.update(new_prefix.findall(content))
        for token in ENV_TOKEN.findall(content):
            new = renamer.new_token(token)
            if new != token:
                renamed.add(new)
    return sorted(renamed & existing)


def copy_tree(source: Path, stage: Path, names: Names, files: Sequence[str]) -> CopyReport:
    """Write the renamed copy of ``files`` of ``source`` into the empty directory ``stage``."""
    report = CopyReport()
    # One read of every file up front: the copy is a snapshot, and the checks below see the same
    # bytes that get written. A file deleted meanwhile (an editor's temporary) is skipped.
    links: dict[str, str] = {}
    raw: dict[str, tuple[bytes, int]] = {}
    for rel in files:
        try:
            if (source / rel).is_symlink():
                links[rel] = os.readlink(source / rel)
            else:
                raw[rel] = ((source / rel).read_bytes(), (source / rel).stat().st_mode)
        except FileNotFoundError:
            report.warnings.append(f"{rel} disappeared while copying; not copied")
    texts = {rel: text for rel, (data, _) in raw.items() if (text := decode_text(data)) is not None}

    framework = {rel: text for rel, text in texts.items() if rel.startswith(FRAMEWORK_DIR)}
    protected, literals = framework_names(framework)
    if protected:
        report.warnings.append(
            "kept as is because flasklite defines them: " + ", ".join(sorted(protected))
        )
    if literals:
        report.warnings.append(
            "flasklite reads these by the template's spelling and is not renamed: "
            + ", ".join(sorted(literals))
        )
    renamer = Renamer(names, protected)
    collisions = find_collisions(
        {rel: text for rel, text in texts.items() if not is_verbatim(rel)}, renamer
    )
    if collisions:
        raise UsageError(
            f"NAME {names.snake!r} would rename settings onto names the tree already uses for "
            f"something else: {', '.join(collisions)}; choose another name"
        )
    report.line_length = ruff_line_length(texts)

    for rel in sorted(links.keys() | raw.keys()):
        new_rel = rel if is_verbatim(rel) else renamer.path(rel)
        if new_rel != rel:
            report.renamed_paths.append((rel, new_rel))
        dst = stage / new_rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        report.files += 1
        if rel in links:
            os.symlink(renamer.path(links[rel]), dst)
            continue
        data, mode = raw[rel]
        text = texts.get(rel)
        if text is not None and not is_verbatim(rel):
            text = TEMPLATE_ONLY_REGION.sub("", text)
            renamed = renamer.text(text)
            if renamed != text:
                report.renamed_files.append(new_rel)
                # Renaming never adds or removes a newline, so the lines pair up one to one.
                report.long_before.update(
                    new
                    for old, new in zip(text.splitlines(), renamed.splitlines(), strict=True)
                    if len(old) > report.line_length
                )
            if leftover := LEFTOVER_NAME.search(KEPT_REGION.sub("", renamed)):
                report.warnings.append(
                    f"{new_rel} still mentions {leftover.group(0)!r}: rename it by hand if needed"
                )
            data = renamed.encode("utf-8")
        dst.write_bytes(data)
        dst.chmod(stat.S_IMODE(mode))  # keeps scripts such as .ci/run executable
    return report


def default_ruff(source: Path) -> Path | None:
    """The template's own ruff (`make venv` installs it), else one on PATH."""
    own = source / ".venv" / "bin" / "ruff"
    if own.is_file():
        return own
    found = shutil.which("ruff")
    return Path(found) if found else None


def format_python(root: Path, files: Sequence[str], ruff: Path | None) -> str | None:
    """Sort the imports of the renamed Python files under ``root`` (a renamed name may sort
    elsewhere: APP_SERVICE -> SHOP_SERVICE), then ``ruff format`` them; None when done, else why
    not."""
    if not files:
        return None
    if ruff is None:
        return "no ruff to format the renamed Python files with"
    # --no-cache: no .ruff_cache left in the copy. The copy's own pyproject.toml applies.
    for step in (["check", "--fix", "--select", "I"], ["format"]):
        try:
            done = subprocess.run(
                [str(ruff), *step, "--no-cache", "--quiet", *files],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"{ruff} {step[0]} could not run ({error})"
        if done.returncode != 0:
            return f"{ruff} {' '.join(step)} failed: {(done.stdout + done.stderr).strip()[-500:]}"
    return None


def long_lines(root: Path, files: Sequence[str], report: CopyReport) -> list[str]:
    """Lines that renaming made too long and formatting could not wrap (strings, comments), so
    `make lint` would fail."""
    limit = report.line_length
    # A template line that was too long already may come back from the formatter wrapped
    # differently (split off, requoted): compared without spaces and quotes, it is still that line.
    before = [squash(line) for line in report.long_before]
    return [
        f"{rel}:{number} is now longer than {limit} characters; rewrap it by hand"
        for rel in files
        for number, line in enumerate((root / rel).read_text(encoding="utf-8").splitlines(), 1)
        if len(line) > limit and not any(squash(line) in old for old in before)
    ]


def squash(line: str) -> str:
    return re.sub(r"""[\s'"]""", "", line)


def set_http_port(root: Path, port: int) -> None:
    """The published HTTP port's default, in the two places that set it: .env.example and compose."""
    edits = (
        (".env.example", re.compile(r"^HTTP_PORT=\d+$", re.MULTILINE), f"HTTP_PORT={port}"),
        ("docker-compose.yml", re.compile(r"\$\{HTTP_PORT:-\d+\}"), f"${{HTTP_PORT:-{port}}}"),
    )
    for rel, pattern, replacement in edits:
        path = root / rel
        if path.is_file():
            path.write_text(pattern.sub(replacement, path.read_text("utf-8")), "utf-8")


def rename_in_place(
    root: Path, names: Names, ruff: Path | None, http_port: int | None
) -> CopyReport:
    """Rename a fresh render of the template in ``root`` (what copier's task calls).

    The renamed tree is built beside ``root`` by the same rules as a copy, then replaces the files
    it came from; anything the rules leave out (.git, .venv, .env, certs) stays as it was.
    """
    # A walk, not git: copier renders into plain directories, and a parent checkout's ignore
    # rules must not decide what a service holds.
    originals = [rel for rel in walked_files(root) if not is_excluded(rel)]
    stage = Path(tempfile.mkdtemp(prefix=f".{root.name}.", dir=root.parent))
    try:
        report = copy_tree(root, stage, names, originals)
        renamed_python = [rel for rel in report.renamed_files if rel.endswith(".py")]
        if problem := format_python(stage, renamed_python, ruff):
            report.warnings.append(f"{problem}; run `make fmt` before `make lint`")
        report.warnings.extend(long_lines(stage, renamed_python, report))
        if http_port is not None:
            set_http_port(stage, http_port)
        for rel in originals:
            (root / rel).unlink(missing_ok=True)
        for path in sorted(stage.rglob("*")):
            if path.is_symlink() or path.is_file():
                target = root / path.relative_to(stage)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
        # Directories emptied by a renamed path (conf.d/wsgi-stack -> conf.d/billing).
        for rel in sorted({str(PurePosixPath(r).parent) for r in originals}, reverse=True):
            folder = root / rel
            while folder != root and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return report


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="make new-service",
        description="Copy this template into DEST as a new service called NAME.",
        epilog=f"NAME must be {NAME_RULE_TEXT}.",
    )
    parser.add_argument("--name", required=True, help="the new service's name, e.g. billing")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--dest", help="a new or empty directory: copier copies the last commit there, git init"
    )
    where.add_argument(
        "--in-place",
        type=Path,
        metavar="DIR",
        help="rename a fresh render of the template in DIR (copier's task does this)",
    )
    parser.add_argument("--http-port", type=int, help="default of HTTP_PORT (in place only)")
    parser.add_argument(
        "--no-database",
        action="store_true",
        help="answer copier's `database` question no: a service without PostgreSQL (--dest only)",
    )
    parser.add_argument(
        "--source",
        type=Path,
        default=Path(__file__).resolve().parents[1],
        help="the template to copy (default: the repository holding this script)",
    )
    parser.add_argument(
        "--ruff",
        type=Path,
        help="ruff, to format the renamed files (default: SOURCE/.venv/bin/ruff, else PATH's)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    source = args.source.resolve()
    if args.in_place is not None:
        return main_in_place(args)
    try:
        names = check_name(args.name)
        dest = check_dest(source, args.dest)
        answers = ["database=false"] if args.no_database else []
        return copy_with_copier(source, dest, names, args.dest, answers)
    except UsageError as refusal:
        print(f"new-service: {refusal}", file=sys.stderr)
        return 2


def uncommitted(source: Path) -> bool:
    status = subprocess.run(
        ["git", "-C", str(source), "status", "--porcelain"],
        capture_output=True,
        text=True,
        check=False,
    )
    return bool(status.stdout.strip())


def copy_with_copier(
    source: Path, dest: Path, names: Names, dest_arg: str, answers: Sequence[str] = ()
) -> int:
    """`copier copy` of the template's last commit (copier.yml's task renames it), then the
    copy's first commit, which `copier update` needs to merge later template changes."""
    found = Path(sys.executable).parent / "copier"
    copier = str(found) if found.is_file() else shutil.which("copier")
    if copier is None:
        raise UsageError("copier is not installed: `make new-service` installs it into .venv")
    if uncommitted(source):
        print("new-service: note: copier copies the last commit; uncommitted changes stay behind")
    command = [copier, "copy", "--trust", "--defaults", "--quiet", "--vcs-ref", "HEAD"]
    for answer in (f"name={names.snake}", *answers):
        command += ["--data", answer]
    command += [str(source), str(dest)]
    if subprocess.run(command, check=False).returncode != 0:
        print(f"new-service: copier failed; see above ({shlex.join(command)})", file=sys.stderr)
        return 1
    first_commit = (
        ["git", "init", "--quiet", "-b", "main"],
        ["git", "add", "-A"],
        ["git", "commit", "--quiet", "-m", f"Start {names.kebab} from the wsgi-stack template"],
    )
    for step in first_commit:
        if subprocess.run(step, cwd=dest, check=False).returncode != 0:
            print(f"new-service: `{shlex.join(step)}` failed in {dest}: commit by hand")
            break
    print(f"Created {names.kebab} in {dest} with copier; later: `copier update --trust` there.")
    print("\n".join(("Next:", f"  cd {shlex.quote(dest_arg)}", "  make test")))
    return 0


def main_in_place(args: argparse.Namespace) -> int:
    root = args.in_place.resolve()
    try:
        names = check_name(args.name)
        if args.http_port is not None and not 1 <= args.http_port <= 65535:
            raise UsageError(f"HTTP port {args.http_port} is not between 1 and 65535")
        # copier runs its task with its own Python: the ruff of that venv comes first.
        beside = Path(sys.executable).parent / "ruff"
        ruff = args.ruff or (beside if beside.is_file() else default_ruff(root))
        report = rename_in_place(root, names, ruff, args.http_port)
    except UsageError as refusal:
        print(f"new-service: {refusal}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"new-service: could not rename {root}: {error}", file=sys.stderr)
        return 1
    print(f"Renamed {TEMPLATE_KEBAB} -> {names.kebab} in {len(report.renamed_files)} files.")
    for warning in report.warnings:
        print(f"warning: {warning}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
