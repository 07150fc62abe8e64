"""gunicorn.conf.py: every setting from the environment, defaults that avoid the known traps."""

from __future__ import annotations

import gc
import json
import logging
import runpy
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CONF = REPO_ROOT / "gunicorn.conf.py"
SETTINGS_ENV = (
    "BIND",
    "PORT",
    "WEB_CONCURRENCY",
    "GUNICORN_WORKERS",
    "GUNICORN_WORKER_CLASS",
    "GUNICORN_THREADS",
    "GUNICORN_TIMEOUT",
    "GUNICORN_GRACEFUL_TIMEOUT",
    "GUNICORN_KEEPALIVE",
    "GUNICORN_WORKER_TMP_DIR",
    "GUNICORN_CONTROL_SOCKET",
    "FORWARDED_ALLOW_IPS",
)


@pytest.fixture
def load_conf(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def load(env: Mapping[str, str] | None = None) -> dict[str, Any]:
        for name in SETTINGS_ENV:
            monkeypatch.delenv(name, raising=False)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(CONF))

    yield load


def test_defaults_avoid_the_known_traps(load_conf: Any) -> None:
    conf = load_conf()
    assert conf["worker_class"] == "gthread"
    assert conf["worker_tmp_dir"] == "/dev/shm"  # heartbeat on RAM, not overlayfs
    assert conf["accesslog"] == "-"  # access log on (gunicorn's default is off), to stdout
    assert conf["errorlog"] == "-"
    assert conf["bind"] == ["127.0.0.1:8000"]  # loopback unless told (the image sets BIND)
    assert conf["graceful_timeout"] < 30  # below compose's stop_grace_period
    assert conf["keepalive"] > 60  # above nginx's upstream keepalive_timeout
    assert conf["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert conf["control_socket_disable"] is True
    assert conf["workers"] == conf["default_workers"]()


def test_every_setting_is_read_from_the_environment(load_conf: Any) -> None:
    conf = load_conf(
        {
            "BIND": "0.0.0.0:9000",
            "WEB_CONCURRENCY": "7",
            "GUNICORN_WORKER_CLASS": "sync",
            "GUNICORN_THREADS": "2",
            "GUNICORN_TIMEOUT": "11",
            "GUNICORN_GRACEFUL_TIMEOUT": "9",
            "GUNICORN_KEEPALIVE": "99",
            "GUNICORN_WORKER_TMP_DIR": "/tmp",
            "FORWARDED_ALLOW_IPS": "*",
        }
    )
    assert conf["bind"] == ["0.0.0.0:9000"]
    assert (conf["workers"], conf["worker_class"], conf["threads"]) == (7, "sync", 2)
    assert (conf["timeout"], conf["graceful_timeout"], conf["keepalive"]) == (11, 9, 99)
    assert conf["worker_tmp_dir"] == "/tmp"
    assert conf["forwarded_allow_ips"] == "*"


def test_port_alone_moves_the_loopback_bind(load_conf: Any) -> None:
    assert load_conf({"PORT": "8123"})["bind"] == ["127.0.0.1:8123"]


def test_web_concurrency_zero_means_derived_from_cpus(load_conf: Any) -> None:
    conf = load_conf({"WEB_CONCURRENCY": "0"})
    assert conf["workers"] == conf["default_workers"]()


@pytest.mark.parametrize(
    ("files", "expected_cpus_cap"),
    [
        ({"cpu.max": "50000 100000\n"}, 1),  # cgroup v2, half a CPU -> at least one
        ({"cpu.max": "150000 100000\n"}, 2),  # 1.5 CPUs -> 2
        ({"cpu/cpu.cfs_quota_us": "100000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1),  # v1
    ],
)
def test_default_workers_follow_the_cgroup_cpu_quota(
    load_conf: Any, tmp_path: Path, files: dict[str, str], expected_cpus_cap: int
) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    conf = load_conf()
    unlimited = conf["available_cpus"](tmp_path / "nothing-here")
    cpus = min(unlimited, expected_cpus_cap)
    assert conf["available_cpus"](tmp_path) == cpus
    assert conf["default_workers"](tmp_path) == 2 * cpus + 1


def test_unlimited_cgroup_quota_falls_back_to_the_cpus_we_may_use(
    load_conf: Any, tmp_path: Path
) -> None:
    (tmp_path / "cpu.max").write_text("max 100000\n")
    conf = load_conf()
    assert conf["cgroup_cpu_limit"](tmp_path) is None
    assert conf["available_cpus"](tmp_path) >= 1


def test_worker_takes_the_loaded_app_out_of_the_cycle_collector(load_conf: Any) -> None:
    # A recycled worker's exit would otherwise walk (and copy) the whole heap it shares with the
    # master; frozen objects are skipped by every collection, the one at exit included.
    conf = load_conf({"GUNICORN_ORPHAN_TIMEOUT": "0"})  # no master watch in the test process
    gc.unfreeze()
    try:
        conf["post_worker_init"](SimpleNamespace())
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_access_log_line_is_json_with_request_id(
    load_conf: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from gunicorn.config import Config

    conf = load_conf()
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("errorlog", "-")
    logger = conf["JsonLogger"](cfg)
    try:
        response = SimpleNamespace(status="201 CREATED", sent=42, headers=[])
        request = SimpleNamespace(headers=[("X-REQUEST-ID", "from-header")])
        environ = {
            "REQUEST_ID": "abc-123",
            "REMOTE_ADDR": "203.0.113.7",
            "REQUEST_METHOD": "POST",
            "RAW_URI": '/_probe/text?q="quoted"',
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_USER_AGENT": 'agent "with quotes"',
        }
        logger.access(response, request, environ, timedelta(milliseconds=12.5))
        logger.error("something broke")
        captured = capsys.readouterr()
    finally:
        for log in (logger.error_log, logger.access_log):
            for handler in list(log.handlers):
                log.removeHandler(handler)
    entry = json.loads(captured.out.strip())
    assert entry["request_id"] == "abc-123"
    assert entry["status"] == 201
    assert entry["remote_addr"] == "203.0.113.7"
    assert entry["path"] == '/_probe/text?q="quoted"'
    assert entry["duration_ms"] == 12.5
    assert entry["bytes"] == 42
    error = json.loads(captured.err.strip())
    assert error["level"] == "ERROR" and error["message"] == "something broke"


def test_access_log_falls_back_to_the_request_header_id(
    load_conf: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from gunicorn.config import Config

    conf = load_conf()
    cfg = Config()
    cfg.set("accesslog", "-")
    logger = conf["JsonLogger"](cfg)
    try:
        logger.access(
            SimpleNamespace(status="404 NOT FOUND", sent=0, headers=[]),
            SimpleNamespace(headers=[("X-REQUEST-ID", "from-header")]),
            {"REQUEST_METHOD": "GET", "PATH_INFO": "/x", "SERVER_PROTOCOL": "HTTP/1.1"},
            timedelta(0),
        )
        line = capsys.readouterr().out.strip()
    finally:
        for handler in list(logger.access_log.handlers):
            logger.access_log.removeHandler(handler)
        logging.getLogger("gunicorn.error").handlers.clear()
    assert json.loads(line)["request_id"] == "from-header"
