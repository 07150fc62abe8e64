"""What the in-place rename (copier's task) leaves alone, keeps verbatim, and the port answer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devtools.new_service import ANSWERS_FILE, main
from tests.template.mini import COPIED

ANSWERS = "_commit: abc123\n_src_path: /somewhere/wsgi-stack\nname: billing_api\n"


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


@pytest.fixture
def renamed(tmp_path: Path, mini_template: Path) -> Path:
    render = tmp_path / "render"
    shutil.copytree(mini_template, render, symlinks=True)
    (render / ANSWERS_FILE).write_text(ANSWERS)
    assert main(["--name", "billing_api", "--in-place", str(render), "--http-port", "9090"]) == 0
    return render


def test_what_a_copy_leaves_out_is_left_alone_in_place(renamed: Path) -> None:
    # Not renamed and not deleted: the .env and the venv are the user's, not the template's.
    assert (renamed / ".env").read_text() == "APP_SECRET=do-not-copy\n"
    assert (renamed / ".venv" / "pyvenv.cfg").is_file()
    files = tree(renamed).keys()
    assert {rel.replace("wsgi-stack", "billing-api") for rel in COPIED} <= files
    # The old path is gone, not left beside the renamed one.
    assert "nginx/conf.d/wsgi-stack.conf" not in files


def test_copiers_answers_file_is_kept_verbatim(renamed: Path) -> None:
    # `copier update` finds the template by _src_path: renaming it would lose the template.
    assert (renamed / ANSWERS_FILE).read_text() == ANSWERS


def test_http_port_answer_sets_the_published_port_default(tmp_path: Path) -> None:
    render = tmp_path / "render"
    render.mkdir()
    (render / ".env.example").write_text("HTTP_BIND=127.0.0.1\nHTTP_PORT=8080\n")
    (render / "docker-compose.yml").write_text('ports:\n  - "${HTTP_PORT:-8080}:8080"\n')
    assert main(["--name", "shop", "--in-place", str(render), "--http-port", "9090"]) == 0
    assert (render / ".env.example").read_text() == "HTTP_BIND=127.0.0.1\nHTTP_PORT=9090\n"
    assert (render / "docker-compose.yml").read_text() == 'ports:\n  - "${HTTP_PORT:-9090}:8080"\n'


@pytest.mark.parametrize("port", ["0", "70000"])
def test_http_port_out_of_range_is_refused(tmp_path: Path, port: str) -> None:
    assert main(["--name", "shop", "--in-place", str(tmp_path), "--http-port", port]) == 2
