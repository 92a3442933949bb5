"""Issue 8, item 7: shutdown never loses acknowledged writes.

A second signal during the final save used to kill it half-way (every write since the
last save lost, a temp file left behind); temp files of saves that never finished piled
up next to the state file; a second Ctrl+C printed a traceback.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from mockserver import MockServer
from mockserver.server import remove_leftover_temp_files

from conftest import password_login

#: enough workspaces that the final save takes a while, so a second signal lands inside it
WORKSPACES = 5000


def big_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"name": "big", "wallaroo": {"workspaces": [
        {"name": f"ws-{index}", "members": []} for index in range(WORKSPACES)]}}))
    return path


def temp_files(folder: Path) -> list[Path]:
    return [path for path in folder.iterdir() if path.name.startswith(".state.json.")]


def login(url: str) -> dict[str, str]:
    """A token of the server under test itself (each process signs with keys of its own)."""
    answer = password_login(url, "developer@example.com", "developer")
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.mark.parametrize("second", [signal.SIGTERM, signal.SIGINT])
def test_a_second_signal_during_the_final_save_does_not_interrupt_it(tmp_path, second):
    state_file = tmp_path / "state.json"
    process = subprocess.Popen([sys.executable, "-m", "mockserver", "--port", "0", "--quiet", "--scenario", "default",
                                "--scenario", str(big_scenario(tmp_path)), "--state-file", str(state_file)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        url = process.stdout.readline().strip()
        created = requests.post(f"{url}/v1/api/workspaces/create", json={"workspace_name": "acknowledged"},
                                headers=login(url))
        assert created.status_code == 200  # acknowledged: it must survive the shutdown
        process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 120  # bounded wait for the save to begin
        while not temp_files(tmp_path) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
        saw_the_save = bool(temp_files(tmp_path))
        process.send_signal(second)
        _, err = process.communicate(timeout=180)
    finally:
        if process.poll() is None:
            process.kill()
    assert saw_the_save, "the save finished before the second signal could be sent; make the state bigger"
    assert process.returncode == 0, err
    assert "Traceback" not in err
    names = [workspace["name"] for workspace in json.loads(state_file.read_text())["wallaroo"]["workspaces"]]
    assert "acknowledged" in names and len(names) >= WORKSPACES
    assert temp_files(tmp_path) == []


def test_leftover_temp_files_are_removed_at_the_next_start(tmp_path):
    state_file = tmp_path / "state.json"
    MockServer(state_file=state_file).save_state()
    leftovers = [tmp_path / ".state.json.ab12cd_3.tmp", tmp_path / ".state.json.zz99yy88"]
    for path in leftovers:
        path.write_text('{"half": ')
    unrelated = [tmp_path / ".other.json.ab12cd34.tmp", tmp_path / ".state.json.notes", tmp_path / "state.json.bak"]
    for path in unrelated:
        path.write_text("keep")
    server = MockServer(state_file=state_file)
    assert server.state.scenarios == ["default"]
    assert not any(path.exists() for path in leftovers)
    assert all(path.exists() for path in unrelated)
    assert remove_leftover_temp_files(state_file) == []


def test_a_failed_save_leaves_no_temp_file(tmp_path, monkeypatch):
    server = MockServer(state_file=tmp_path / "state.json")

    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", refuse)
    with pytest.raises(OSError):
        server.save_state()
    assert list(tmp_path.iterdir()) == []
