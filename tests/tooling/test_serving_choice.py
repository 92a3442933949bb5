"""Which HTTP server listens: granian by default, waitress when asked (or where granian is missing)."""

from __future__ import annotations

import pytest
import requests

from mockserver import MockServer
from mockserver.cli import build_parser, parse_args
from mockserver.native import native_available


def test_granian_is_the_default_and_waitress_can_be_asked_for():
    assert native_available(), "granian is a dependency on CPython: it must import here"
    for asked, expected in (("auto", "granian"), ("granian", "granian"), ("waitress", "waitress")):
        server = MockServer(server=asked).start()
        try:
            assert server.server_name == expected
            answer = requests.post(f"{server.url}/v1/api/workspaces/list", json={},
                                   headers=server.wallaroo_headers(), timeout=10)
            assert answer.status_code == 200 and answer.json()["workspaces"]
        finally:
            server.stop()
        assert server.server_name is None


def test_where_granian_cannot_run_auto_falls_back_and_granian_is_refused_clearly(monkeypatch):
    import mockserver.native as native

    monkeypatch.setattr(native, "native_available", lambda: False)  # as on Windows, or without the wheel
    server = MockServer(server="auto").start()
    try:
        assert server.server_name == "waitress"
    finally:
        server.stop()
    with pytest.raises(RuntimeError, match="use server='waitress'"):
        MockServer(server="granian").start()


def test_an_unknown_server_is_refused():
    with pytest.raises(ValueError, match="unknown server 'bjoern'"):
        MockServer(server="bjoern")


def test_a_busy_port_is_an_os_error_on_both_servers():
    first = MockServer().start()
    try:
        for name in ("granian", "waitress"):
            with pytest.raises(OSError):
                MockServer(server=name, port=first.port).start()
    finally:
        first.stop()


def test_the_cli_flag_and_its_environment_variable():
    assert parse_args([], environ={}).server == "auto"
    assert parse_args(["--server", "waitress"], environ={}).server == "waitress"
    assert parse_args([], environ={"MOCKSERVER_SERVER": "Waitress"}).server == "waitress"
    assert parse_args(["--server", "granian"], environ={"MOCKSERVER_SERVER": "waitress"}).server == "granian"
    assert "MOCKSERVER_SERVER" in build_parser().format_help()


@pytest.mark.parametrize("argv, env", [(["--server", "gunicorn"], {}), ([], {"MOCKSERVER_SERVER": "gunicorn"})])
def test_a_bad_server_is_a_usage_error(capsys, argv, env):
    with pytest.raises(SystemExit) as exit_info:
        parse_args(argv, environ=env)
    assert exit_info.value.code == 2
    assert "gunicorn" in capsys.readouterr().err
