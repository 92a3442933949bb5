"""The standalone server speaks in one line: usage errors, the banner, a closed stdout, restarts.

Each test runs ``python -m mockserver`` as a user would, in a subprocess.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from conftest import password_login

TIMEOUT = 60


def environ() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("MOCKSERVER_")}


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mockserver", *args], capture_output=True, text=True,
                          timeout=TIMEOUT, env=environ(), cwd=cwd)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            if requests.get(f"{url}/__mock/health", timeout=2).ok:
                return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise AssertionError(f"{url} never answered")


def assert_one_line(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mockserver: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize("args, fragments", [
    (["--port", "http"], ["--port", "expected a port number", "--help"]),
    (["--colour"], ["unrecognized arguments: --colour"]),
    (["--scenario", ""], ["--scenario: an empty name"]),
    (["--host", "not a host!", "--port", "0"], ["--host not a host!", "not an address of this machine"]),
    (["--host", "203.0.113.7", "--port", "0"], ["--host 203.0.113.7", "not an address of this machine"]),
    (["--scenario", "nope"], ["nope: unknown scenario; built-in scenarios are: default"]),
    (["--scenario", "./missing.yaml"], ["./missing.yaml: no such scenario file"]),
])
def test_a_bad_flag_value_or_address_is_one_line_and_exit_2(args, fragments):
    assert_one_line(run_cli(*args), *fragments)


def test_scenario_file_errors_name_the_file_the_line_and_the_path(tmp_path):
    (tmp_path / "broken.yaml").write_text("wallaroo:\n  users: [\n")
    assert_one_line(run_cli("--check", "--scenario", "./broken.yaml", cwd=tmp_path),
                    "broken.yaml:3: invalid YAML: ")

    (tmp_path / "team.yaml").write_text("wallaroo:\n  users:\n    - {username: a@example.com, email: a@example.com}\n"
                                        "    - username: b\n      email: nope\n")
    assert_one_line(run_cli("--check", "--scenario", "./team.yaml", cwd=tmp_path),
                    "team.yaml:5: at wallaroo.users[1].email: 'nope' is not an email address")

    (tmp_path / "notes.txt").write_text("{}")
    assert_one_line(run_cli("--check", "--scenario", "./notes.txt", cwd=tmp_path),
                    "notes.txt: not a scenario file", ".json, .yaml or .yml")


def test_check_fails_for_a_missing_state_file(tmp_path):
    missing = tmp_path / "state.json"
    assert_one_line(run_cli("--check", "--state-file", str(missing)), f"{missing}: no such state file")
    saved = run_cli("--check")
    assert (saved.returncode, saved.stdout) == (0, "ok: scenarios default\n")


def test_the_url_comes_first_then_the_docs_page():
    process = subprocess.Popen([sys.executable, "-m", "mockserver", "--port", "0"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=environ())
    try:
        url = process.stdout.readline().strip()
        docs = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.count("/") == 2, url
        assert docs == f"docs: {url}/v1/api/docs"
        page = requests.get(docs.removeprefix("docs: "), timeout=10)
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0


def test_closing_stdout_early_is_quiet(tmp_path):
    """``mockserver | head -1``: the reader goes away; the server keeps serving and says nothing of it."""
    port = free_port()
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to stdout now fails with EPIPE, as after head -1 exits
    stderr = (tmp_path / "stderr.txt").open("w+")
    process = subprocess.Popen([sys.executable, "-m", "mockserver", "--port", str(port)], stdout=write_end,
                               stderr=stderr, env=environ())
    os.close(write_end)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(url, process)
        assert requests.post(f"{url}/__mock/reset", timeout=10).ok
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=TIMEOUT)
    stderr.seek(0)
    assert process.returncode == 0
    assert stderr.read() == "mockserver stopped\n"


def test_in_a_shell_pipeline_with_head(tmp_path):
    command = f"{sys.executable} -m mockserver --port 0 | head -1"
    process = subprocess.Popen(["sh", "-c", command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=environ(), start_new_session=True)
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        wait_until_serving(url, process)
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl+C reaches the whole pipeline
        _, err = process.communicate(timeout=TIMEOUT)
    assert "Traceback" not in err and "BrokenPipeError" not in err and "Exception ignored" not in err, err


def test_a_reset_after_a_restart_returns_to_the_same_baseline(tmp_path):
    state_file = tmp_path / "state.json"
    extra = {"name": "extra", "wallaroo": {"users": [{"username": "x@example.com", "email": "x@example.com"}]}}

    def start() -> tuple[subprocess.Popen, str]:
        process = subprocess.Popen([sys.executable, "-m", "mockserver", "--port", "0", "--quiet",
                                    "--state-file", str(state_file)], stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True, env=environ())
        return process, process.stdout.readline().strip()

    def state_after_reset(url: str) -> dict:
        assert requests.post(f"{url}/__mock/reset", timeout=10).ok
        document = requests.get(f"{url}/__mock/state", timeout=10).json()
        document.pop("clock")
        return document

    process, url = start()
    try:
        loaded = requests.post(f"{url}/__mock/scenarios/load", json={"scenarios": [extra]}, timeout=10)
        assert loaded.ok, loaded.text
        before = state_after_reset(url)
        assert before["scenarios"] == ["default", "extra"]
        token = password_login(url, "developer@example.com", "developer").json()["access_token"]
        requests.post(f"{url}/v1/api/workspaces/create", json={"workspace_name": "live-only"}, timeout=10,
                      headers={"Authorization": f"Bearer {token}"}).raise_for_status()
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0
    assert "live-only" in json.dumps(json.loads(state_file.read_text())["wallaroo"])

    process, url = start()
    try:
        restored = requests.get(f"{url}/__mock/state", timeout=10).json()
        assert "live-only" in [w["name"] for w in restored["wallaroo"]["workspaces"]]
        assert state_after_reset(url) == before
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=TIMEOUT)
