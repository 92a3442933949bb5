"""Issue 8, items 2 and 9: nesting and duplicate keys in every JSON the server reads.

Request bodies of every API, scenario files and state files: a document nested deeper than
128 levels (serde_json's limit) or an object naming a member twice is refused with a clear
message in the shape of the API that owns the path (the CLI exits 2), never a traceback,
and nothing recorded before or after it breaks (a 900-level body made every later journal
listing a 500).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests

from mockserver import MockServer, ScenarioError
from mockserver import scenarios as scenario_files
from mockserver.validation import MAX_JSON_DEPTH, parse_json


def nested(depth: int) -> bytes:
    return b'{"a":' * (depth - 1) + b"[1]" + b"}" * (depth - 1)


@pytest.fixture(autouse=True)
def _fresh(server):
    server.reset()


def _targets(server):
    project = server.modelarts_project_id
    return [
        ("/v1/api/workspaces/create", server.wallaroo_headers(), 400, lambda body: body["msg"]),
        ("/v1/graphql", server.wallaroo_headers(), 200, lambda body: body["errors"][0]["message"]),
        (f"/v1/{project}/workspaces", server.modelarts_headers(), 400, lambda body: body["error_msg"]),
        ("/v3/auth/tokens", {}, 400, lambda body: body["error"]["message"]),
        ("/__mock/faults", {}, 400, lambda body: body["error"]),
    ]


def _post(server, path, headers, data):
    return requests.post(server.url + path, data=data, headers={**headers, "Content-Type": "application/json"})


def test_duplicate_keys_are_a_400_in_each_apis_shape(server):
    body = b'{"workspace_name": "a", "workspace_name": "b", "name": "x", "name": "y", "auth": {}, "auth": {}}'
    server.clock.freeze()
    before = server.export_state()
    for path, headers, status, message_of in _targets(server):
        answer = _post(server, path, headers, body)
        assert answer.status_code == status, path
        assert "duplicate key" in message_of(answer.json()), path
    assert server.export_state() == before


def test_nesting_past_the_limit_is_a_400_in_each_apis_shape(server):
    for path, headers, status, message_of in _targets(server):
        for depth in (MAX_JSON_DEPTH + 1, 900, 100_000):
            answer = _post(server, path, headers, nested(depth) if depth < 1000 else b"[" * depth + b"]" * depth)
            assert answer.status_code == status, (path, depth)
            assert f"more than {MAX_JSON_DEPTH} levels" in message_of(answer.json()), (path, depth)


def test_the_limit_itself_is_accepted():
    assert parse_json(nested(MAX_JSON_DEPTH)) is not None
    with pytest.raises(ValueError, match="nested more than"):
        parse_json(nested(MAX_JSON_DEPTH + 1))
    with pytest.raises(ValueError, match="duplicate key 'k'"):
        parse_json(b'[{"k": 1, "j": {"k": 2}, "k": 3}]')
    assert parse_json(b'[{"k": 1}, {"k": 2}]') == [{"k": 1}, {"k": 2}]


def test_a_deep_body_leaves_journal_listings_working(server):
    deep = b"[" * 900 + b"]" * 900
    requests.post(f"{server.url}/v1/api/workspaces/list", data=deep, headers={"Content-Type": "application/json"})
    requests.get(f"{server.url}/v1/api/config", data=deep)  # a view that never reads its body
    for params in ({}, {"include_control": "true"}):
        listed = requests.get(f"{server.url}/__mock/requests", params=params)
        assert listed.status_code == 200
        assert [item["json"] for item in listed.json()["requests"][:2]] == [None, None]
    found = requests.post(f"{server.url}/__mock/requests/find", json={"json": {"a": 1}})
    assert found.status_code == 200 and found.json()["count"] == 0


# -- scenario and state files -----------------------------------------------------------
def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mockserver", "--check", *args], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("flag", ["--scenario", "--state-file"])
@pytest.mark.parametrize("name, content, reason", [
    ("deep.json", '{"a":' * 100_000 + "1" + "}" * 100_000, "nested more than 128 levels"),
    ("deep.yaml", "[" * 100_000 + "]" * 100_000, "nested more than 128 levels"),
    ("dup.json", '{"wallaroo": {"users": []}, "wallaroo": {}}', "duplicate key 'wallaroo'"),
    ("bomb.yaml", "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(10)),
     "YAML aliases"),
])
def test_bad_files_exit_2_with_a_clear_message(tmp_path, flag, name, content, reason):
    path = tmp_path / name
    path.write_text(content)
    result = run_cli(flag, str(path))
    assert result.returncode == 2
    assert reason in result.stderr and name in result.stderr
    assert "Traceback" not in result.stderr


def test_files_over_the_size_limit_are_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"name": "big", "description": "x" * 5000}))
    monkeypatch.setattr(scenario_files, "MAX_FILE_BYTES", 4096)
    with pytest.raises(ScenarioError, match="over the limit of 4096 bytes"):
        MockServer([str(path)])
    with pytest.raises(ScenarioError, match="over the limit of 4096 bytes"):
        MockServer(state_file=path)
    monkeypatch.setattr(scenario_files, "MAX_FILE_BYTES", 64 * 1024)
    assert MockServer([str(path)]).state.scenarios == ["big"]


@pytest.mark.parametrize("raw", [b"{}", b'{"a": [1, 2.5, -0, 1e3, "\\u00e9", null, true, false]}', b' \n{"x": {"y": []}} ',
                                 b'[{"a": 1}, {"b": 2}]', '{"é": "ü"}'.encode()])
def test_accepted_bodies_parse_as_json_loads_parses_them(raw):
    # one decoder serves every request: it must give what a fresh json.loads gives, every time
    assert parse_json(raw) == json.loads(raw) == parse_json(raw)


@pytest.mark.parametrize(("raw", "reason"), [
    (b"\xef\xbb\xbf{}", "Unexpected UTF-8 BOM"),
    (b'{"a": NaN}', "NaN is not valid JSON"),
    (b'{"a": 1e999}', "out of range"),
    (b'{"a": 1, "a": 2}', "duplicate key 'a'"),
    (b'{"a": 1,}', "Expecting property name"),
])
def test_refused_bodies_say_why(raw, reason):
    for _ in range(2):  # and the shared decoder is still good after a refusal
        with pytest.raises(ValueError, match=reason):
            parse_json(raw)
    assert parse_json(b'{"ok": 1.5}') == {"ok": 1.5}
