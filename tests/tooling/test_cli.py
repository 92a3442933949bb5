"""The standalone server: flags and environment variables, the banner, signals and the state file.

Most tests run ``python -m mockserver`` in a subprocess, as a user would, on a free port.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from mockserver.cli import DEFAULT_PORT, build_parser, parse_args

from conftest import password_login


URL = re.compile(r"http://127\.0\.0\.1:\d+")


class Cli:
    """A ``python -m mockserver`` process; ``url`` is read from the first line it prints."""

    def __init__(self, tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.stderr_path = tmp_path / f"stderr-{os.getpid()}-{id(self)}.txt"
        self._stderr = self.stderr_path.open("w")
        environ = {key: value for key, value in os.environ.items() if not key.startswith("MOCKSERVER_")}
        environ.update(env or {})
        self.process = subprocess.Popen([sys.executable, "-m", "mockserver", *args], stdout=subprocess.PIPE,
                                        stderr=self._stderr, text=True, env=environ)
        self.first_line = self._read_line(timeout=30)
        match = URL.search(self.first_line)
        self.url = match.group(0) if match else ""

    def _read_line(self, timeout: float) -> str:
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not lines:
            self.process.kill()
            raise AssertionError(f"no output within {timeout}s; stderr: {self.stderr}")
        return lines[0]

    def rest_of_stdout(self) -> str:
        return self.process.stdout.read()

    @property
    def stderr(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=15)
        finally:
            self._stderr.close()

    def __enter__(self) -> Cli:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._stderr.close()
        self.process.stdout.close()


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {key: value for key, value in os.environ.items() if not key.startswith("MOCKSERVER_")}
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "mockserver", *args], capture_output=True, text=True, timeout=60,
                          env=environ)


# -- flags and environment (no process) -------------------------------------------------------------
def test_defaults():
    args = parse_args([], environ={})
    assert (args.host, args.port, args.scenario, args.state_file, args.log_requests, args.quiet) == (
        "127.0.0.1", DEFAULT_PORT, ["default"], None, False, False)
    assert DEFAULT_PORT == 8080


def test_environment_variables_mirror_the_flags():
    env = {"MOCKSERVER_HOST": "0.0.0.0", "MOCKSERVER_PORT": "0", "MOCKSERVER_SCENARIO": "default, wallaroo-tutorial",
           "MOCKSERVER_STATE_FILE": "/tmp/s.json", "MOCKSERVER_LOG_REQUESTS": "true", "MOCKSERVER_QUIET": "1"}
    args = parse_args([], environ=env)
    assert (args.host, args.port, args.scenario, args.state_file, args.log_requests, args.quiet) == (
        "0.0.0.0", 0, ["default", "wallaroo-tutorial"], "/tmp/s.json", True, True)


def test_flags_win_over_the_environment():
    env = {"MOCKSERVER_PORT": "9000", "MOCKSERVER_SCENARIO": "empty", "MOCKSERVER_HOST": "0.0.0.0"}
    args = parse_args(["--port", "0", "--scenario", "default", "--scenario", "x.yaml", "--host", "127.0.0.1"],
                      environ=env)
    assert (args.port, args.scenario, args.host) == (0, ["default", "x.yaml"], "127.0.0.1")


@pytest.mark.parametrize("argv, env, message", [
    (["--port", "http"], {}, "expected a port number"),
    (["--port", "70000"], {}, "expected a port number"),
    ([], {"MOCKSERVER_PORT": "-1"}, "MOCKSERVER_PORT"),
    ([], {"MOCKSERVER_LOG_REQUESTS": "sometimes"}, "MOCKSERVER_LOG_REQUESTS"),
    (["--colour"], {}, "unrecognized arguments"),
])
def test_bad_values_are_usage_errors(capsys, argv, env, message):
    with pytest.raises(SystemExit) as exit_info:
        parse_args(argv, environ=env)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_help_names_every_environment_variable():
    text = build_parser().format_help()
    for name in ("MOCKSERVER_HOST", "MOCKSERVER_PORT", "MOCKSERVER_SCENARIO", "MOCKSERVER_STATE_FILE",
                 "MOCKSERVER_LOG_REQUESTS", "MOCKSERVER_QUIET"):
        assert name in text


# -- the running server ----------------------------------------------------------------------------
def test_serves_prints_credentials_and_keeps_its_state_across_a_restart(tmp_path):
    state_file = tmp_path / "state.json"
    with Cli(tmp_path, "--port", "0", "--state-file", str(state_file)) as cli:
        assert URL.fullmatch(cli.first_line.strip()), "the URL alone is the first line"
        token = password_login(cli.url, "developer@example.com", "developer").json()["access_token"]
        created = requests.post(f"{cli.url}/v1/api/workspaces/create", json={"workspace_name": "survives"},
                                headers={"Authorization": f"Bearer {token}"})
        assert created.status_code == 200
        assert cli.stop(signal.SIGTERM) == 0
        banner = cli.first_line + cli.rest_of_stdout()
        assert f"state saved to {state_file}" in cli.stderr
    assert banner.splitlines()[1] == f"docs: {cli.url}/v1/api/docs"
    # the credentials come from the loaded state
    assert "user developer@example.com  password developer  (admin)" in banner
    assert "user admin  password admin  (admin)" in banner
    assert "IAM user modelarts-dev  password modelarts-dev  account mock-account" in banner
    assert "AK MOCKACCESSKEY0000001  SK mock-secret-key-0000000000000000000000001" in banner
    assert "project 0123456789abcdef0123456789abcdef  region eu-de" in banner
    saved = json.loads(state_file.read_text())
    assert "survives" in [w["name"] for w in saved["wallaroo"]["workspaces"]]

    with Cli(tmp_path, "--port", "0", "--state-file", str(state_file), "--quiet") as again:
        assert URL.fullmatch(again.first_line.strip()), "--quiet prints the URL alone"
        state = requests.get(f"{again.url}/__mock/state").json()
        assert "survives" in [w["name"] for w in state["wallaroo"]["workspaces"]]
        # a reset still goes back to the scenarios; the state file is what the last run left
        requests.post(f"{again.url}/__mock/reset")
        state = requests.get(f"{again.url}/__mock/state").json()
        assert "survives" not in [w["name"] for w in state["wallaroo"]["workspaces"]]
        assert again.stop(signal.SIGINT) == 0
        assert again.rest_of_stdout() == ""


def test_saves_on_demand_without_stopping(tmp_path):
    state_file = tmp_path / "state.json"
    with Cli(tmp_path, "--port", "0", "--state-file", str(state_file), "--quiet") as cli:
        assert not state_file.exists()
        body = requests.post(f"{cli.url}/__mock/state/save").json()
        assert body == {"status": "saved", "path": str(state_file)}
        state_file.unlink()
        cli.process.send_signal(signal.SIGUSR1)
        for _ in range(100):
            if state_file.exists():
                break
            threading.Event().wait(0.05)
        assert json.loads(state_file.read_text())["format"] == "mockserver-state"
        assert requests.get(f"{cli.url}/__mock/health").ok, "still serving after SIGUSR1"
        assert cli.stop() == 0


def test_environment_configures_the_server_and_requests_are_logged(tmp_path):
    scenario = tmp_path / "team.yaml"
    scenario.write_text("wallaroo:\n  users:\n    - {username: env@example.com, email: env@example.com, password: pw}\n")
    env = {"MOCKSERVER_PORT": "0", "MOCKSERVER_SCENARIO": f"empty,{scenario}", "MOCKSERVER_LOG_REQUESTS": "yes"}
    with Cli(tmp_path, env=env) as cli:
        assert requests.get(f"{cli.url}/__mock/health").json()["scenarios"] == ["empty", "team"]
        requests.post(f"{cli.url}/v1/api/nothing", json={})
        assert cli.stop() == 0
        banner = cli.first_line + cli.rest_of_stdout()
        log = cli.stderr
    assert "scenarios: empty, team" in banner
    assert "user env@example.com  password pw" in banner
    assert "(no IAM users)" in banner
    assert "GET /__mock/health -> 200" in log
    assert "POST /v1/api/nothing -> 404" in log


def test_a_bad_scenario_file_exits_2_naming_the_file_and_path(tmp_path):
    scenario = tmp_path / "bad.json"
    scenario.write_text(json.dumps({"wallaroo": {"users": [{"username": "a", "email": "not-an-email"}]}}))
    result = run_cli("--port", "0", "--scenario", str(scenario))
    assert result.returncode == 2
    assert result.stderr == (f"mockserver: error: {scenario}: at wallaroo.users[0].email: "
                             "'not-an-email' is not an email address\n")
    assert result.stdout == ""


def test_an_unknown_scenario_or_broken_state_file_exits_2(tmp_path):
    result = run_cli("--scenario", "nope")
    assert result.returncode == 2 and "nope: unknown scenario; built-in scenarios are: " in result.stderr
    state_file = tmp_path / "state.json"
    state_file.write_text("{not json")
    result = run_cli("--port", "0", "--state-file", str(state_file))
    assert result.returncode == 2 and f"{state_file}: invalid JSON" in result.stderr


def test_a_busy_port_exits_1(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("--port", str(port))
    assert result.returncode == 1
    assert f"mockserver: error: cannot listen on 127.0.0.1:{port}" in result.stderr


def test_check_validates_without_serving(tmp_path):
    result = run_cli("--check", "--scenario", "default", "--scenario", "wallaroo-tutorial")
    assert (result.returncode, result.stdout) == (0, "ok: scenarios default, wallaroo-tutorial\n"), \
        "the Keycloak admin both define is one record"
    result = run_cli("--check", "--scenario", "wallaroo-tutorial")
    assert (result.returncode, result.stdout) == (0, "ok: scenarios wallaroo-tutorial\n")


def test_list_scenarios_and_version():
    result = run_cli("--list-scenarios")
    assert result.returncode == 0
    names = [line.split(":", 1)[0] for line in result.stdout.splitlines()]
    assert {"default", "empty", "wallaroo-tutorial", "modelarts-sample"} <= set(names)
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("mockserver ")


def test_the_console_script_is_installed():
    script = Path(sys.executable).with_name("mockserver")
    assert script.exists(), "the mockserver console script comes with the package"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "--state-file" in result.stdout
