"""The benchmarks still run, and the hot-path shortcuts taken for speed change nothing.

The benchmark script runs in its tiny ``--quick`` mode without the peers (moto,
pytest-httpserver, gunicorn come from the ``bench`` extra, which CI does not install), under
the smoke budget (``MOCKSERVER_BENCH_BUDGET=smoke``: the sizes of ``--quick``, one round, the
shortest loops); tests/docs/test_documented_commands.py runs every benchmark command line of
the docs the same way.
Speed itself is never asserted here: a shared CI machine cannot judge it; the script
prints the ratios and its own PASS/FAIL lines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.datastructures import EnvironHeaders
from werkzeug.test import EnvironBuilder

from mockserver import MockServer
from mockserver.responses import app_json, new_request_id, request_headers
from mockserver.journal import RecordedRequest, UnparsedJson
from mockserver.wallaroo import tokens

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], dict]:
    figures = tmp_path_factory.mktemp("bench") / "figures.json"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--no-peers", "--json", str(figures)],
        cwd=REPO, capture_output=True, text=True, timeout=300, env={**os.environ, "MOCKSERVER_BENCH_BUDGET": "smoke"})
    return completed, json.loads(figures.read_text()) if figures.exists() else {}


def test_every_section_runs_and_prints_its_figures(quick_run):
    completed, _ = quick_run
    out = completed.stdout
    assert "Traceback" not in completed.stderr, completed.stderr
    for heading in ("== socket:", "== in-process:", "== start-up, reset, stop:", "== pytest: 20 tests",
                    "== scale:", "== memory:", "== summary =="):
        assert heading in out, f"missing section {heading!r}:\n{out}"
    for row in ("minimal Flask, werkzeug threaded", "mockserver, MockServer.start() (granian thread)",
                "mockserver, MockServer(server='waitress')",
                "minimal Flask test_client (baseline)", "mockserver test_client()", "mockserver (MockServer)",
                "mockserver fixture (session server, reset per test)", "wallaroo", "modelarts"):
        assert row in out, f"missing row {row!r}:\n{out}"


def test_ratios_and_one_verdict_per_target(quick_run):
    completed, figures = quick_run
    out = completed.stdout
    for name in ("socket", "inprocess", "page-scaling"):
        verdicts = [line for line in out.splitlines() if line.startswith((f"PASS {name}:", f"FAIL {name}:"))]
        assert len(verdicts) == 1, out
    assert "ratio socket:" in out and "ratio inprocess:" in out
    # the exit status is the number of failed targets: never a crash
    failed = sum(1 for line in out.splitlines() if line.startswith("FAIL "))
    assert completed.returncode == failed, completed.stderr
    assert {"socket", "inprocess", "page-growth"} <= set(figures["ratios"])
    assert all(value > 0 for value in figures["ratios"].values())


def test_json_figures_cover_every_section(quick_run):
    _, figures = quick_run
    assert {"environment", "socket", "inprocess", "startup", "pytest", "scale", "memory_per_workspace_bytes"} \
        <= set(figures)
    startup = figures["startup"]["mockserver (MockServer)"]
    assert 0 < startup["start_to_first"] < 60 and 0 < startup["reset"] < 1
    assert set(figures["scale"]) == {"10", "100"}
    assert all(value > 0 for value in figures["memory_per_workspace_bytes"].values())


def test_without_peers_nothing_from_the_bench_extra_is_needed(quick_run):
    completed, _ = quick_run
    for peer_row in ("pytest-httpserver (HTTPServer)", "pytest-httpserver httpserver fixture",
                     "moto (ThreadedMotoServer", "moto ThreadedMotoServer", "gunicorn gthread subprocess"):
        assert peer_row not in completed.stdout


def test_the_smoke_budget_is_reported(quick_run):
    completed, figures = quick_run
    assert figures["budget"] == "smoke"
    assert "MOCKSERVER_BENCH_BUDGET=smoke" in completed.stdout
    assert "in-process: /v1/api/workspaces/list without a socket, 1 x 0.05 s per mode" in completed.stdout


def test_an_unknown_budget_is_refused():
    completed = subprocess.run([sys.executable, "-m", "benchmarks.run", "--only", "scale"], cwd=REPO,
                               capture_output=True, text=True, timeout=60,
                               env={**os.environ, "MOCKSERVER_BENCH_BUDGET": "tiny"})
    assert completed.returncode == 1 and "MOCKSERVER_BENCH_BUDGET='tiny'" in completed.stderr
    assert "== scale" not in completed.stdout


def test_unknown_sections_are_refused():
    completed = subprocess.run([sys.executable, "-m", "benchmarks.run", "--only", "warp-speed"], cwd=REPO,
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 2 and "unknown section(s): warp-speed" in completed.stderr


# -- the optimisations keep behaviour ------------------------------------------------------------
@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer x", "Content-Type": "application/json", "X-Custom_Thing": "1", "accept": "*/*"},
    {"Content-Length": "0", "X-Empty": "", "X-Project-Id": "p", "X-Sdk-Date": "20250101T000000Z"},
])
def test_request_headers_equal_werkzeugs_environ_headers(headers):
    for data in (None, b"{}"):
        environ = EnvironBuilder(path="/x", method="POST", headers=headers, data=data).get_environ()
        expected = dict(EnvironHeaders(environ))
        assert request_headers(environ) == expected
        assert list(request_headers(environ)) == list(expected)  # same order too


def test_request_ids_are_uuid4_hex():
    ids = {new_request_id() for _ in range(500)}
    assert len(ids) == 500
    for value in ids:
        parsed = uuid.UUID(value)
        assert len(value) == 32 and parsed.hex == value
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_app_json_writes_compact_json_in_the_given_key_order():
    # The recorded outputs are compact with no trailing newline: {"workspace_id":16}
    server = MockServer(["empty"])
    body = {"b": 1, "a": ["é", None, 1.5, True], "nested": {"z": [], "y": {}}}
    with server.app.app_context():
        answer = app_json(body, 201)
        assert answer.get_data() == '{"b":1,"a":["é",null,1.5,true],"nested":{"z":[],"y":{}}}'.encode("utf-8")
        assert answer.get_data() == server.app.json.dumps(body, separators=(",", ":")).encode("utf-8")
        assert answer.status_code == 201 and answer.headers["Content-Type"] == "application/json"
    plain = Flask("plain")
    with plain.app_context():  # an app without the prebuilt encoder still answers
        assert json.loads(app_json({"x": 1}).get_data()) == {"x": 1}


def test_journal_parses_a_recorded_answer_only_when_read():
    entry = RecordedRequest(seq=1, time=0.0, method="GET", path="/", query="", headers={}, body="", json=None,
                            status=200, response=UnparsedJson(b'{"a": [1, 2]}'), api="control")
    assert "raw" not in entry.__dict__ and isinstance(entry.__dict__["_response"], UnparsedJson)
    assert entry.response == {"a": [1, 2]}
    assert entry.to_dict()["response"] == {"a": [1, 2]}
    broken = RecordedRequest(seq=2, time=0.0, method="GET", path="/", query="", headers={}, body="", json=None,
                             status=200, response=UnparsedJson(b"{not json"), api=None)
    assert broken.response is None


def test_journal_answers_read_back_as_json(mockserver):
    import requests

    answer = requests.post(f"{mockserver.url}/v1/api/workspaces/list", json={}, headers=mockserver.wallaroo_headers())
    entry = mockserver.journal.last("POST", "/v1/api/workspaces/list")
    assert entry.response == answer.json()  # what the client got, parsed when read
    assert entry.response["workspaces"][0]["name"] == "developer@example.com - Default Workspace"
    assert entry.headers["Authorization"].startswith("Bearer ")


def test_verified_tokens_are_remembered_but_forgeries_still_fail():
    from mockserver.keys import generate_rsa

    key, another = generate_rsa(), generate_rsa()
    token = tokens.encode({"sub": "u", "typ": "Bearer", "exp": 1}, key)
    first = tokens.decode(token, key)
    first["sub"] = "changed by a caller"
    assert tokens.decode(token, key)["sub"] == "u"  # callers get copies
    with pytest.raises(tokens.TokenError):
        tokens.decode(token, another)
    with pytest.raises(tokens.TokenError):
        tokens.decode(token[:-2] + ("AA" if not token.endswith("AA") else "BB"), key)


def test_missing_peers_are_reported_not_fatal(monkeypatch, capsys):
    from benchmarks import startup
    from benchmarks.common import Report

    monkeypatch.setattr(startup, "installed", lambda module: False)
    report = Report()
    startup.startup(report, processes=1, peers=True)
    out = capsys.readouterr().out
    assert "pytest_httpserver: not installed" in out and "moto: not installed" in out
    assert set(report.data["startup"]) == {"mockserver (MockServer)"}


# -- ModelArts listing: a slice of a cached order instead of a sort per call ----------------------------
def _reference_page(server, project_id: str, args: dict, caller_name: str) -> dict:
    """What list_workspaces answered before the cached order: filter, sort the whole project, slice."""
    backend = server.modelarts
    user = next(u for u in backend.data.users.values() if u.name == caller_name)
    selected = list(backend.data.workspaces[project_id].values())
    if "enterprise_project_id" in args:
        selected = [w for w in selected if w.enterprise_project_id == args["enterprise_project_id"]]
    if args.get("name"):
        selected = [w for w in selected if args["name"].lower() in w.name.lower()]
    if args.get("filter_accessible") == "true":
        selected = [w for w in selected if backend._can_access(user, w)]
    sort_by = args.get("sort_by", "name")
    selected.sort(key=lambda w: (getattr(w, sort_by), w.name, w.id), reverse=args.get("order", "desc") == "desc")
    start = int(args.get("offset", 0)) * int(args.get("limit", 1000))
    page = selected[start:start + int(args.get("limit", 1000))]
    return {"total_count": len(selected), "count": len(page), "ids": [w.id for w in page]}


@pytest.mark.parametrize("delay", [0, 30])
def test_modelarts_pages_match_a_full_sort_through_creates_renames_and_deletes(delay):
    import random

    server = MockServer(["default", {"name": "delayed", "modelarts": {"settings": {"delete_delay_seconds": delay}}}])
    server.clock.freeze()
    project = server.modelarts.default_project_id()
    client = server.test_client()
    headers = {user: {"X-Auth-Token": server.modelarts.issue_token(user, project)}
               for user in ("modelarts-dev", "modelarts-viewer")}
    base = f"/v1/{project}/workspaces"
    rng = random.Random(delay)
    for step in range(300):
        roll = rng.random()
        existing = [w["id"] for w in client.get(base, headers=headers["modelarts-dev"]).get_json()["workspaces"]
                    if w["id"] != "0" and w["status"] == "NORMAL"]
        if roll < 0.3:
            client.post(base, json={"name": f"ws-{rng.randrange(60):02d}-{rng.choice('abc')}",
                                    "auth_type": rng.choice(["PUBLIC", "PRIVATE"])}, headers=headers["modelarts-dev"])
        elif roll < 0.45 and existing:
            client.put(f"{base}/{rng.choice(existing)}", json={"name": f"re-{rng.randrange(60):02d}"},
                       headers=headers["modelarts-dev"])
        elif roll < 0.55 and existing:
            client.delete(f"{base}/{rng.choice(existing)}", headers=headers["modelarts-dev"])
        elif roll < 0.65:
            server.clock.advance(rng.choice([1, 10, 40]))
        args = {"sort_by": rng.choice(["name", "update_time", "status"]), "order": rng.choice(["asc", "desc"]),
                "limit": str(rng.choice([1, 3, 10, 1000])), "offset": str(rng.choice([0, 0, 1, 2, 7]))}
        if rng.random() < 0.3:
            args["name"] = rng.choice(["ws-1", "RE", "a", "zz"])
        if rng.random() < 0.3:
            args["filter_accessible"] = "true"
        if rng.random() < 0.2:
            args["enterprise_project_id"] = "0"
        caller = rng.choice(["modelarts-dev", "modelarts-viewer"])
        answer = client.get(base, query_string=args, headers=headers[caller]).get_json()
        expected = _reference_page(server, project, args, caller)
        got = {"total_count": answer["total_count"], "count": answer["count"],
               "ids": [w["id"] for w in answer["workspaces"]]}
        assert got == expected, f"step {step}: {args}"
    assert len(server.modelarts.data.workspaces[project]) > 20  # the run did build up a project


def test_the_cli_of_an_earlier_commit_runs_from_its_own_files(tmp_path):
    """``--then REF`` (the wrk section) runs the CLI of commit REF beside today's: the stack
    must serve that commit's code, not this checkout's."""
    import requests

    from benchmarks.common import stop_process
    from benchmarks.stacks import launch, source_at

    if not (REPO / ".git").exists():
        pytest.fail("the benchmarks' --then needs a git checkout; this test runs in one")
    source = source_at("HEAD", str(tmp_path / "then"))
    version_file = Path(source) / "mockserver" / "_version.py"
    version_file.write_text('__version__ = "0.0.0+then"\n', encoding="utf-8")
    process, url, token = launch("mock-cli", source)
    try:
        assert requests.get(url + "/__mock/health", timeout=10).json()["version"] == "0.0.0+then"
        answer = requests.post(url + "/v1/api/workspaces/list", json={}, timeout=10,
                               headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
    finally:
        stop_process(process)


def test_an_unknown_commit_is_one_clear_line(tmp_path):
    from benchmarks.stacks import source_at

    with pytest.raises(SystemExit, match=r"--then no-such-ref: git archive failed: .*no-such-ref"):
        source_at("no-such-ref", str(tmp_path / "then"))
