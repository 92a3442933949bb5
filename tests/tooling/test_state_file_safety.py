"""The state file never loses acknowledged writes: one server per file, unusable paths refused
at start, SIGHUP saves, symlinks kept, no file written that cannot be read back, and clear
messages when a file is broken."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from mockserver import MockServer, ScenarioError
from mockserver import scenarios as scenario_files
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
