"""Every command line the README and docs/ show is run, not only parsed.

* ``mockserver`` / ``python -m mockserver`` lines run as written (environment prefix
  included) from a folder that has the repository's ``examples/``: ``--check`` and
  ``--list-scenarios`` lines must exit 0; server lines must print their URL first, answer
  ``/__mock/health`` and exit 0 on SIGTERM. A line without ``--port`` gets
  ``MOCKSERVER_PORT=0`` (the flag, when given, wins), so nothing needs port 8080.
* ``curl`` lines run with the real ``curl`` against one server, ``localhost:8080`` pointed
  at it, and must succeed (``--fail``) with a JSON answer.
* every file a command line names (``examples/...``) exists in the repository.

The set-up commands at the top of the README are run by CI (.ci/run, tests/docs/
test_setup_commands.py), the install lines by tests/docs/test_install_lines.py.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from mockserver import MockServer

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(bash|sh|shell|console)[^\n]*\n(.*?)^```", re.S | re.M)
TIMEOUT = 60


def command_lines() -> list[tuple[str, list[str]]]:
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            first = text.count("\n", 0, match.start()) + 2
            for offset, line in enumerate(match.group(2).splitlines()):
                words = shlex.split(line.removeprefix("$ "), comments=True)
                if words:
                    found.append((f"{path.name}:{first + offset}", words))
    return found


def split_environment(words: list[str]) -> tuple[dict[str, str], list[str]]:
    environ = {}
    while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
        name, _, value = words[0].partition("=")
        environ[name] = value
        words = words[1:]
    return environ, words


def mockserver_lines() -> list:
    lines = []
    for where, words in command_lines():
        environ, argv = split_environment(words)
        if argv[:1] == ["mockserver"] or argv[:3] == ["python", "-m", "mockserver"]:
            lines.append(pytest.param(environ, argv[1:] if argv[0] == "mockserver" else argv[3:], id=where))
    return lines


def curl_lines() -> list[tuple[str, list[str]]]:
    return [(where, words) for where, words in command_lines() if words[0] == "curl"]


def test_the_docs_show_command_lines():
    assert len(mockserver_lines()) >= 6 and len(curl_lines()) >= 5


def test_every_file_a_command_line_names_exists():
    """Scenario files given to ``--scenario`` or ``MOCKSERVER_SCENARIO`` (outputs, such as a
    state file or a benchmark's figures, are written by the command)."""
    named = set()
    for _, words in command_lines():
        environ, argv = split_environment(words)
        refs = [part for part in environ.get("MOCKSERVER_SCENARIO", "").split(",") if part]
        refs += [argv[index + 1] for index, word in enumerate(argv[:-1]) if word == "--scenario"]
        named.update(ref for ref in refs if ref.endswith((".json", ".yaml", ".yml")))
    assert named, "the command lines name example files"
    for name in sorted(named):
        assert (ROOT / name).is_file(), f"{name} is named by a documented command but is not in the repository"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A user's folder with the repository's examples in it (state files land here)."""
    (tmp_path / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    return tmp_path


@pytest.mark.parametrize("environ, argv", mockserver_lines())
def test_every_mockserver_line_runs(workdir, environ, argv):
    env = {key: value for key, value in os.environ.items() if not key.startswith("MOCKSERVER_")}
    env.update(environ)
    if "--port" not in argv:
        env.setdefault("MOCKSERVER_PORT", "0")
    command = [sys.executable, "-m", "mockserver", *argv]
    if {"--check", "--list-scenarios", "--version", "--help"} & set(argv):
        result = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=TIMEOUT)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip()
        return
    process = subprocess.Popen(command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(TIMEOUT)
        assert lines and lines[0].startswith("http://127.0.0.1:"), (lines, process.poll())
        url = lines[0].strip()
        assert requests.get(f"{url}/__mock/health", timeout=10).json()["status"] == "ok"
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, err
    assert "Traceback" not in err


def test_every_curl_line_runs_against_a_server():
    with MockServer(["default"]) as server:
        address = server.url.removeprefix("http://")
        for where, words in curl_lines():
            argv = [word.replace("localhost:8080", address) for word in words]
            result = subprocess.run([argv[0], "--fail", "--max-time", "30", *argv[1:]], capture_output=True,
                                    text=True, timeout=TIMEOUT)
            assert result.returncode == 0, (where, result.returncode, result.stdout, result.stderr)
            json.loads(result.stdout)
