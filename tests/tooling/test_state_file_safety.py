"""The state file never loses acknowledged writes: one server per file, unusable paths refused
at start, SIGHUP saves, symlinks kept, no file written that cannot be read back, and clear
messages when a file is broken."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from mockserver import MockServer, ScenarioError
from mockserver import scenarios as scenario_files
from mockserver.cli import parse_args
from mockserver.controller import StateTooLarge
from mockserver.validation import parse_json

TIMEOUT = 60


def environ() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("MOCKSERVER_")}


# -- messages --------------------------------------------------------------------------------------
def test_a_truncated_state_file_says_at_once(tmp_path: Path) -> None:
    truncated = tmp_path / "state.json"
    truncated.write_text('{"format": "mockserver-state", "scenarios": ["defa')
    with pytest.raises(ScenarioError) as caught:
        scenario_files.read(truncated)
    assert caught.value.message == "invalid JSON: Unterminated string starting at line 1 column 46"
    with pytest.raises(ValueError) as body_error:
        parse_json(b'{"a": "b')
    assert str(body_error.value) == "Unterminated string starting at line 1 column 7"


# -- what a save writes ----------------------------------------------------------------------------
def add_users(server: MockServer, count: int) -> None:
    for number in range(count):
        name = f"bulk-{number}@example.com"
        server.add_wallaroo_user(username=name, email=name)


def test_state_files_are_compact_and_load_back(tmp_path: Path) -> None:
    server = MockServer(["default"])
    add_users(server, 3)
    saved = server.save_state(tmp_path / "state.json")
    text = saved.read_text(encoding="utf-8")
    assert "\n" not in text and ", " not in text and '": ' not in text, "no indentation or padding"
    again = MockServer(["empty"], state_file=saved)
    assert again.export_state()["wallaroo"] == server.export_state()["wallaroo"]


def test_a_save_the_loader_could_not_read_back_fails_and_keeps_the_file(tmp_path: Path, monkeypatch) -> None:
    state_file = tmp_path / "state.json"
    server = MockServer(["default"], state_file=state_file)
    server.save_state()
    before = state_file.read_bytes()
    monkeypatch.setattr(scenario_files, "MAX_FILE_BYTES", len(before) + 2000)
    add_users(server, 50)
    with pytest.raises(StateTooLarge, match=f"over the limit of {len(before) + 2000} bytes"):
        server.save_state()
    assert state_file.read_bytes() == before, "the previous file is intact"
    assert [path.name for path in tmp_path.iterdir()] == ["state.json"], "no temporary file left"

    answer = server.session(None).post("/__mock/state/save")
    assert answer.status_code == 500
    assert answer.json()["error"].startswith(f"cannot save the state to {state_file}: the state is ")
    assert state_file.read_bytes() == before


def test_the_shutdown_save_of_a_too_large_state_exits_1_in_one_line(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    MockServer(["default"], state_file=state_file).save_state()
    before = state_file.read_bytes()
    # the CLI in a process of its own, with the loader's limit lowered to just above the saved file
    script = (f"import sys, mockserver.scenarios as s; s.MAX_FILE_BYTES = {len(before) + 2000}; "
              "from mockserver.cli import main; sys.exit(main())")
    process = subprocess.Popen([sys.executable, "-c", script, "--port", "0", "--quiet", "--state-file",
                                str(state_file)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=environ())
    try:
        url = process.stdout.readline().strip()
        control = requests.Session()
        for number in range(50):
            name = f"bulk-{number}@example.com"
            user = {"username": name, "email": name}
            assert control.post(f"{url}/__mock/scenarios/load", timeout=10, json={
                "scenarios": [{"name": f"u{number}", "wallaroo": {"users": [user]}}], "as_baseline": False}).ok
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 1
    assert err.startswith(f"mockserver: error: cannot save the state to {state_file}: the state is "), err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert state_file.read_bytes() == before


def test_a_symlinked_state_file_stays_a_link_and_its_target_is_saved(tmp_path: Path) -> None:
    real_folder = tmp_path / "real"
    real_folder.mkdir()
    target = real_folder / "state.json"
    link = tmp_path / "link.json"
    link.symlink_to(target)  # dangling until the first save
    server = MockServer(["default"], state_file=link)
    add_users(server, 1)
    assert server.save_state() == link
    server.add_wallaroo_user(username="second@example.com", email="second@example.com")
    server.save_state()
    assert link.is_symlink() and link.resolve() == target
    users = [user["username"] for user in json.loads(target.read_text())["wallaroo"]["users"]]
    assert {"bulk-0@example.com", "second@example.com"} <= set(users)
    assert sorted(path.name for path in real_folder.iterdir()) == ["state.json"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["link.json", "real"]


# -- the command line ------------------------------------------------------------------------------
def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mockserver", *args], capture_output=True, text=True,
                          timeout=TIMEOUT, env=environ())


def start_cli(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-m", "mockserver", "--port", "0", "--quiet", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environ())
    url = process.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), process.stderr.read() if process.poll() is not None else url
    return process, url


def stop_cli(process: subprocess.Popen[str], sig: int = signal.SIGTERM) -> tuple[int, str]:
    if process.poll() is None:
        process.send_signal(sig)
    _, err = process.communicate(timeout=TIMEOUT)
    return process.returncode, err


def add_user_over_http(url: str, name: str) -> None:
    user = {"username": name, "email": name}
    answer = requests.post(f"{url}/__mock/scenarios/load", timeout=10,
                           json={"scenarios": [{"name": name, "wallaroo": {"users": [user]}}], "as_baseline": False})
    assert answer.ok, answer.text


def saved_usernames(state_file: Path) -> set[str]:
    return {user["username"] for user in json.loads(state_file.read_text())["wallaroo"]["users"]}


def assert_one_line(result: subprocess.CompletedProcess[str], code: int, *fragments: str) -> None:
    assert result.returncode == code, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mockserver: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_a_second_server_on_the_same_state_file_refuses_to_start(tmp_path: Path) -> None:
    state_file = tmp_path / "shared.json"
    link = tmp_path / "other-name.json"
    link.symlink_to(state_file)
    first, url = start_cli("--state-file", str(state_file))
    try:
        add_user_over_http(url, "first@example.com")
        for path in (state_file, link):  # another name for the same file is the same file
            second = run_cli("--port", "0", "--quiet", "--state-file", str(path))
            assert_one_line(second, 2, f"--state-file {path}: in use by another mockserver (pid {first.pid}")
        assert run_cli("--check", "--state-file", str(state_file)).returncode == 2, "no file yet: nothing to check"
    finally:
        code, err = stop_cli(first)
    assert (code, err) == (0, "")
    assert "first@example.com" in saved_usernames(state_file)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["other-name.json", "shared.json"], \
        "the lock file goes with the server"

    again, url = start_cli("--state-file", str(state_file))  # free again once the first has stopped
    try:
        assert run_cli("--check", "--state-file", str(state_file)).returncode == 0, "--check only reads"
    finally:
        assert stop_cli(again) == (0, "")


@pytest.mark.parametrize("where, fragment", [
    ("afile/st.json", "afile is not a folder"),
    ("missing/st.json", "missing does not exist"),
    ("/proc/st.json", "cannot be saved: no file can be created in /proc"),
    ("", "is a folder"),
])
def test_a_state_file_no_save_could_write_is_refused_at_start(tmp_path: Path, where: str, fragment: str) -> None:
    (tmp_path / "afile").touch()
    path = where if where.startswith("/") else str(tmp_path / where)
    result = run_cli("--port", "0", "--state-file", path)
    assert_one_line(result, 2, f"--state-file {path}: ", fragment)
    assert result.stdout == ""


def test_check_reports_a_state_file_no_save_could_write(tmp_path: Path) -> None:
    assert_one_line(run_cli("--check", "--state-file", "/proc/version"), 2,
                    "--state-file /proc/version: cannot be saved")
    assert list(tmp_path.iterdir()) == []


def test_sighup_saves_then_stops_like_sigterm(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    process, url = start_cli("--state-file", str(state_file))
    try:
        add_user_over_http(url, "hangup@example.com")
    finally:
        code, err = stop_cli(process, signal.SIGHUP)
    assert (code, err) == (0, "")
    assert "hangup@example.com" in saved_usernames(state_file)


def test_autosave_bounds_what_kill_9_loses_and_writes_only_after_a_change(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    MockServer(["default"], state_file=state_file).save_state()
    loaded = state_file.stat().st_ino
    process, url = start_cli("--state-file", str(state_file), "--autosave-seconds", "1")
    try:
        time.sleep(2.5)
        assert state_file.stat().st_ino == loaded, "nothing changed since the load: nothing written"
        add_user_over_http(url, "autosaved@example.com")
        for _ in range(100):  # bounded: 10 s
            if "autosaved@example.com" in saved_usernames(state_file):
                break
            time.sleep(0.1)
        saved = state_file.stat().st_ino
        time.sleep(2.5)
        assert state_file.stat().st_ino == saved, "saved once per change, not every second"
    finally:
        process.kill()  # kill -9: no final save
        process.communicate(timeout=TIMEOUT)
    assert "autosaved@example.com" in saved_usernames(state_file)


# -- --durable: every acknowledged write is in the file ------------------------------------------
@pytest.mark.parametrize("durable", [True, False])
def test_durable_keeps_every_acknowledged_write_through_kill_9(tmp_path: Path, durable: bool) -> None:
    state_file = tmp_path / "state.json"
    process, url = start_cli("--state-file", str(state_file), *(["--durable"] if durable else []))
    try:
        for index in range(5):
            add_user_over_http(url, f"durable{index}@example.com")
    finally:
        process.kill()  # kill -9 right after the last answer: no final save
        process.communicate(timeout=TIMEOUT)
    written = {f"durable{index}@example.com" for index in range(5)}
    if durable:
        assert written <= saved_usernames(state_file)
    else:  # what --durable is for: without it, all five are lost
        assert not state_file.exists() or not written & saved_usernames(state_file)


def durable_server(tmp_path: Path) -> MockServer:
    return MockServer(["default"], state_file=tmp_path / "state.json", durable=True)


def test_a_durable_write_is_in_the_file_before_its_answer_and_a_read_writes_nothing(tmp_path: Path) -> None:
    server = durable_server(tmp_path)
    client = server.test_client()
    headers = server.wallaroo_headers()
    created = client.post("/v1/api/workspaces/create", json={"workspace_name": "on-disk"}, headers=headers)
    assert created.status_code == 200
    saved = json.loads((tmp_path / "state.json").read_text())
    assert "on-disk" in [workspace["name"] for workspace in saved["wallaroo"]["workspaces"]]
    inode = (tmp_path / "state.json").stat().st_ino
    assert client.post("/v1/api/workspaces/list", json={}, headers=headers).status_code == 200  # a POST that reads
    assert client.get("/v1/api/config").status_code == 200
    assert (tmp_path / "state.json").stat().st_ino == inode, "nothing changed: nothing written"


def test_concurrent_durable_writes_share_saves(tmp_path: Path, monkeypatch) -> None:
    server = durable_server(tmp_path)
    controller = server.controller
    saves: list[int] = []
    real_save = controller.save_state_if_changed

    def slow_save() -> Any:
        saves.append(1)
        time.sleep(0.05)
        return real_save()

    monkeypatch.setattr(controller, "save_state_if_changed", slow_save)
    threads = [threading.Thread(target=controller.persist) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads)
    assert 1 <= len(saves) <= 3, saves  # the first, then one for all who came while it ran (rarely one more)


def test_a_failed_durable_save_is_a_503_saying_the_change_is_not_durable(tmp_path: Path, monkeypatch) -> None:
    server = durable_server(tmp_path)

    def disk_full(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(server.controller, "_write", disk_full)
    answer = server.test_client().post("/v1/api/workspaces/create", json={"workspace_name": "not-on-disk"},
                                       headers=server.wallaroo_headers())
    assert answer.status_code == 503
    assert answer.get_json() == {"msg": "The change was made, but it could not be written to the state file, so "
                                        "it is not durable: No space left on device.", "code": 503}
    monkeypatch.undo()  # the disk has room again: the next write saves both changes
    assert server.test_client().post("/v1/api/workspaces/create", json={"workspace_name": "on-disk-again"},
                                     headers=server.wallaroo_headers()).status_code == 200
    names = [workspace["name"] for workspace in json.loads((tmp_path / "state.json").read_text())["wallaroo"]["workspaces"]]
    assert {"not-on-disk", "on-disk-again"} <= set(names)


def test_durable_needs_a_state_file() -> None:
    with pytest.raises(ValueError, match="needs a state_file"):
        MockServer(["default"], durable=True)


@pytest.mark.parametrize("argv, env, message", [
    (["--durable"], {}, "--durable: there is no --state-file"),
    ([], {"MOCKSERVER_DURABLE": "1"}, "--durable: there is no --state-file"),
    (["--autosave-seconds", "0", "--state-file", "s.json"], {}, "expected a positive integer"),
    ([], {"MOCKSERVER_AUTOSAVE_SECONDS": "soon", "MOCKSERVER_STATE_FILE": "s.json"}, "MOCKSERVER_AUTOSAVE_SECONDS"),
    (["--autosave-seconds", "5"], {}, "--autosave-seconds: there is no --state-file"),
])
def test_bad_autosave_settings_are_usage_errors(capsys, argv: list[str], env: dict[str, str], message: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_args(argv, environ=env)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert parse_args([], environ={"MOCKSERVER_AUTOSAVE_SECONDS": "30",
                                   "MOCKSERVER_STATE_FILE": "s.json"}).autosave_seconds == 30


def test_of_two_racing_saves_the_later_state_is_the_one_kept(tmp_path: Path, monkeypatch) -> None:
    state_file = tmp_path / "state.json"
    server = MockServer(["default"], state_file=state_file)
    export_baseline = server.state.export_baseline
    first_save, go_on = threading.Event(), threading.Event()

    def slow_first_save() -> dict:
        if not first_save.is_set():
            first_save.set()
            go_on.wait(5)  # the first save has exported its (older) data and pauses here
        return export_baseline()

    monkeypatch.setattr(server.state, "export_baseline", slow_first_save)
    older = threading.Thread(target=server.save_state)
    older.start()
    assert first_save.wait(5)
    server.add_wallaroo_user(username="later@example.com", email="later@example.com")
    newer = threading.Thread(target=server.save_state)
    newer.start()
    newer.join(0.5)  # before the fix it saved at once, and the older save then overwrote it
    go_on.set()
    older.join(5)
    newer.join(5)
    assert "later@example.com" in saved_usernames(state_file)


def test_unfinished_saves_next_to_a_symlinks_target_are_cleaned_up(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "state.json"
    MockServer(["default"], state_file=target).save_state()
    link = tmp_path / "link.json"
    link.symlink_to(target)
    leftover = tmp_path / "real" / ".state.json.ab12cd34.tmp"  # where a save through the link writes
    leftover.write_text('{"half": ')
    MockServer(["default"], state_file=link)
    assert not leftover.exists()
