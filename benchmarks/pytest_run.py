"""A generated suite of N tests, one request each, run by pytest in a subprocess.

Each contender gets the same shape of suite: ``N`` test functions that each make one
``POST`` through a module-level ``requests.Session`` and check the status. The
per-test overhead is the suite's time minus the time of ``N`` empty tests, divided by
``N``. Only the contender's own plugin is enabled in each run.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import Report, child_env, installed, median

_SESSION = "import pytest, requests\nSESSION = requests.Session()\n"

_PLAIN = ("", "def test_{i}():\n    assert {i} >= 0\n")

_MOCKSERVER = (
    "TOKEN = []\n\n"
    "def headers(server):\n"
    "    if not TOKEN:\n"
    "        TOKEN.append(server.wallaroo.issue_token('developer@example.com'))\n"
    "    return {'Authorization': 'Bearer ' + TOKEN[0]}\n",
    "def test_{i}(mockserver):\n"
    "    answer = SESSION.post(mockserver.url + '/v1/api/workspaces/list', json={{}}, headers=headers(mockserver))\n"
    "    assert answer.status_code == 200\n",
)

_HTTPSERVER = (
    "",
    "def test_{i}(httpserver):\n"
    "    httpserver.expect_request('/v1/api/workspaces/list', method='POST')"
    ".respond_with_json({{'workspaces': []}})\n"
    "    answer = SESSION.post(httpserver.url_for('/v1/api/workspaces/list'), json={{}})\n"
    "    assert answer.status_code == 200\n",
)

_MOTO = (
    "import logging\n"
    "from moto.server import ThreadedMotoServer\n"
    "logging.getLogger('werkzeug').setLevel(logging.ERROR)\n"
    "HEADERS = {'Authorization': 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/sts/"
    "aws4_request, SignedHeaders=host;x-amz-date, Signature=0', 'X-Amz-Date': '20250101T000000Z',\n"
    "           'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'}\n\n"
    "@pytest.fixture(scope='session')\n"
    "def moto_url():\n"
    "    server = ThreadedMotoServer(ip_address='127.0.0.1', port=0, verbose=False)\n"
    "    server.start()\n"
    "    host, port = server.get_host_and_port()\n"
    "    yield 'http://%s:%d' % (host, port)\n"
    "    server.stop()\n\n"
    "@pytest.fixture\n"
    "def moto(moto_url):\n"
    "    assert SESSION.post(moto_url + '/moto-api/reset').status_code == 200\n"
    "    return moto_url\n",
    "def test_{i}(moto):\n"
    "    answer = SESSION.post(moto + '/', data='Action=GetCallerIdentity&Version=2011-06-15', headers=HEADERS)\n"
    "    assert answer.status_code == 200\n",
)

_PLUGINS = {"mockserver": "mockserver", "httpserver": "pytest_httpserver"}


def write_suite(folder: Path, name: str, template: tuple[str, str], count: int) -> Path:
    prelude, test = template
    lines = [_SESSION, prelude]
    lines.extend(test.format(i=i) for i in range(count))
    path = folder / f"test_{name}.py"
    path.write_text("\n\n".join(lines), encoding="utf-8")
    return path


def run_suite(path: Path, enabled_plugin: str | None, count: int) -> tuple[float, float]:
    """(seconds reported by pytest, wall seconds of the whole process)."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
               "--rootdir", str(path.parent), str(path)]
    for label, plugin in _PLUGINS.items():
        if label != enabled_plugin and (plugin != "pytest_httpserver" or installed("pytest_httpserver")):
            command[3:3] = ["-p", f"no:{plugin}"]
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, cwd=path.parent, env=child_env(),
                               timeout=600)
    wall = time.perf_counter() - start
    summary = completed.stdout.strip().splitlines()[-1] if completed.stdout.strip() else ""
    if completed.returncode != 0 or f"{count} passed" not in summary:
        raise RuntimeError(f"pytest run of {path.name} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-2000:]}")
    reported = re.search(r" in ([0-9.]+)s", summary)
    return (float(reported.group(1)) if reported else wall, wall)


def pytest_suites(report: Report, *, count: int, repeats: int, peers: bool) -> None:
    report.section(f"pytest: {count} tests, one request each, in a subprocess; median of {repeats} run(s)")
    contenders: dict[str, tuple[tuple[str, str], str | None]] = {
        "plain tests, no server (pytest itself)": (_PLAIN, None),
        "mockserver fixture (session server, reset per test)": (_MOCKSERVER, "mockserver"),
    }
    if peers:
        if installed("pytest_httpserver"):
            contenders["pytest-httpserver httpserver fixture"] = (_HTTPSERVER, "httpserver")
        else:
            report.not_installed("pytest_httpserver")
        if installed("moto"):
            contenders["moto ThreadedMotoServer (session) + /moto-api/reset per test"] = (_MOTO, None)
        else:
            report.not_installed("moto")
    reported: dict[str, list[float]] = {label: [] for label in contenders}
    walls: dict[str, list[float]] = {label: [] for label in contenders}
    with tempfile.TemporaryDirectory(prefix="mockserver-bench-") as folder:
        paths = {label: write_suite(Path(folder), f"suite{index}", template, count)
                 for index, (label, (template, _)) in enumerate(contenders.items())}
        if repeats > 1:  # an untimed round fills the bytecode cache, as any earlier run would have
            for label, (_, plugin) in contenders.items():
                run_suite(paths[label], plugin, count)
        for _ in range(repeats):
            for label, (_, plugin) in contenders.items():
                seconds, wall = run_suite(paths[label], plugin, count)
                reported[label].append(seconds)
                walls[label].append(wall)
    plain = median(reported["plain tests, no server (pytest itself)"])
    rows = []
    for label in contenders:
        suite = median(reported[label])
        per_test = (suite - plain) / count * 1000
        rows.append([label, f"{suite:.2f} s", f"{median(walls[label]):.2f} s",
                     "—" if label.startswith("plain") else f"{per_test:.2f} ms"])
    report.table(["suite", "pytest-reported", "process wall", "overhead per test"], rows)
    report.data["pytest" if count <= 200 else f"pytest_{count}"] = {label: {"reported_s": median(reported[label]), "wall_s": median(walls[label]),
                                     "overhead_per_test_ms": (median(reported[label]) - plain) / count * 1000}
                             for label in contenders}
    ours = median(reported["mockserver fixture (session server, reset per test)"]) - plain
    httpserver = "pytest-httpserver httpserver fixture"
    if httpserver in walls:
        # the whole run as a user waits for it: interpreter, imports, start-up and the tests
        ratio = median(walls[httpserver]) / median(walls["mockserver fixture (session server, reset per test)"])
        report.target(f"pytest-{count}", ratio, 1.0,
                      f"{count}-test suite, process wall time, pytest-httpserver's / mockserver's")
    for label in contenders:
        if label.startswith(("plain", "mockserver")):
            continue
        report.ratio(f"pytest overhead vs {label.split(' ')[0]}", median(reported[label]) - plain, ours,
                     f"{label} per-test overhead / mockserver's (>1: mockserver is faster)")
