"""The locustfiles load the way users run them: the whole folder, or one file at a time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from locust.argument_parser import parse_locustfile_paths

from tests.loadtests.helpers import LOCUSTFILES, ROOT, clean_env

# The machinery's shapes, on the probe routes every service has.
MACHINERY_USERS = {
    "static_route.py": "StaticRouteUser",
    "converter_json.py": "ConverterJsonUser",
    "json_post.py": "JsonPostUser",
    "not_found.py": "NotFoundUser",
    "head.py": "HeadUser",
    "streamed.py": "StreamUser",
}
# The example service's shapes (yours: they go with the example); weight 0 unless set.
EXAMPLE_USERS = {
    "example_template_page.py": "TemplatePageUser",
    "example_db_read.py": "DbReadUser",
    "example_db_write.py": "DbWriteUser",
}
EXPECTED_USERS = {
    **MACHINERY_USERS,
    **{name: user for name, user in EXAMPLE_USERS.items() if (LOCUSTFILES / name).is_file()},
}


def listed_users(locustfile: Path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(locustfile), "--list"],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    _, _, listing = done.stdout.partition("Available Users:")
    return {line.strip() for line in listing.splitlines() if line.strip()}


def test_folder_run_picks_every_locustfile_but_not_the_helper_module() -> None:
    picked = {Path(p).name for p in parse_locustfile_paths([str(LOCUSTFILES)])}

    assert picked == set(EXPECTED_USERS)
    assert "_common.py" not in picked


def test_folder_run_offers_one_user_class_per_shape() -> None:
    assert listed_users(LOCUSTFILES) == set(EXPECTED_USERS.values())


@pytest.mark.parametrize("filename", sorted(EXPECTED_USERS))
def test_each_locustfile_loads_on_its_own(filename: str) -> None:
    assert listed_users(LOCUSTFILES / filename) == {EXPECTED_USERS[filename]}


def test_every_locustfile_is_a_fast_http_user_with_the_local_default_host() -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import importlib, json;"
        "from locust.contrib.fasthttp import FastHttpUser;"
        "mods = [importlib.import_module(n) for n in sys.argv[2:]];"
        "users = [v for m in mods for v in vars(m).values()"
        " if isinstance(v, type) and issubclass(v, FastHttpUser) and not v.abstract];"
        "print(json.dumps(sorted({u.__name__: u.host for u in users}.items())))"
    )
    modules = [name.removesuffix(".py") for name in EXPECTED_USERS]
    done = subprocess.run(
        [sys.executable, "-c", code, str(LOCUSTFILES), *modules],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert dict(json.loads(done.stdout)) == {
        user: "http://localhost:8080" for user in EXPECTED_USERS.values()
    }


def test_weights_come_from_the_environment() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import streamed, "
         "static_route; print(streamed.StreamUser.weight, static_route.StaticRouteUser.weight)",
         str(LOCUSTFILES)],
        env=clean_env({"LOAD_WEIGHT_STREAM": "0", "LOAD_WEIGHT_STATIC": "9"}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "9"]
