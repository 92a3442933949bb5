"""Issue 8, item 6: the control API cannot be turned against its host (docs/guarantees.md).

Each attack of the issue, over a real socket: files the command line did not name,
another site's web page (a cross-origin "simple" request, DNS rebinding), secrets in the
state export, an exposed address, and the control token.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from mockserver import MockServer
from mockserver.controller import TEMP_NAME_EXTRA

pytest_plugins = ["pytester"]


@pytest.fixture
def server(tmp_path):
    with MockServer(scenario_dirs=[tmp_path / "scenarios"] if (tmp_path / "scenarios").is_dir() else ()) as running:
        yield running


def url(server: MockServer, path: str) -> str:
    return server.url + path


# -- files -------------------------------------------------------------------------------
def test_a_save_cannot_write_a_path_the_command_line_did_not_name(server, tmp_path):
    target = tmp_path / "anywhere.json"
    answer = requests.post(url(server, "/__mock/state/save"), json={"path": str(target)})
    assert answer.status_code == 403 and "--save-dir" in answer.json()["error"]
    assert not target.exists()


def test_saves_go_only_inside_the_save_directory(tmp_path):
    inside = tmp_path / "saves"
    inside.mkdir()
    with MockServer(save_dir=inside) as server:
        saved = requests.post(url(server, "/__mock/state/save"), json={"path": "snap/one.json"})
        assert saved.status_code == 200 and saved.json()["path"] == str(inside / "snap" / "one.json")
        assert json.loads((inside / "snap" / "one.json").read_text())["format"] == "mockserver-state"
        for escape in ("../outside.json", str(tmp_path / "outside.json"), "/etc/mockserver-test.json", "."):
            answer = requests.post(url(server, "/__mock/state/save"), json={"path": escape})
            assert answer.status_code == 403, escape
        (inside / "link").symlink_to(tmp_path)
        assert requests.post(url(server, "/__mock/state/save"), json={"path": "link/x.json"}).status_code == 403
    assert sorted(path.name for path in tmp_path.iterdir()) == ["saves"]


def test_scenarios_load_reads_no_file_it_was_not_given(server, tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text('{"not": "a scenario", "password": "hunter2"}')
    for ref in (str(secret), "/etc/passwd", "../../etc/hostname", "secret.json"):
        for path, payload in (("/__mock/scenarios/load", {"scenarios": [ref]}), ("/__mock/reset", {"scenarios": [ref]})):
            answer = requests.post(url(server, path), json=payload)
            assert answer.status_code == 422, (path, ref)
            assert "hunter2" not in answer.text and "root:" not in answer.text
    assert server.state.scenarios == ["default"]


def test_scenarios_come_from_the_directories_given_at_start(tmp_path):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "team.json").write_text(json.dumps({"wallaroo": {"users": [
        {"username": "team@example.com", "email": "team@example.com", "password": "pw"}]}}))
    named = tmp_path / "named.json"
    named.write_text(json.dumps({"wallaroo": {"workspaces": [{"name": "named-ws", "members": []}]}}))
    with MockServer(["default", str(named)], scenario_dirs=[folder]) as server:
        for ref in ("team", str(folder / "team.json"), str(named), "wallaroo-tutorial"):
            answer = requests.post(url(server, "/__mock/scenarios/load"), json={"scenarios": [ref], "replace": True, "as_baseline": False})
            assert answer.status_code == 200, (ref, answer.text)
            assert requests.post(url(server, "/__mock/reset")).status_code == 200
        inline = {"name": "inline", "wallaroo": {"workspaces": [{"name": "inline-ws", "members": []}]}}
        assert requests.post(url(server, "/__mock/reset"), json={"scenarios": [inline]}).status_code == 200


def test_a_save_path_no_file_can_have_is_a_400_that_writes_nothing(tmp_path):
    """A NUL raised ValueError and a name over 255 bytes OSError: both were 500s."""
    inside = tmp_path / "saves"
    inside.mkdir()
    with MockServer(save_dir=inside) as server:
        for path, fragment in (("x\u0000y.json", "NUL"), ("a" * 300 + ".json", "longer than"),
                               ("sub/" + "b" * 256 + "/x.json", "longer than")):
            answer = requests.post(url(server, "/__mock/state/save"), json={"path": path})
            assert answer.status_code == 400, (path[:20], answer.text)
            assert fragment in answer.json()["error"] and answer.json()["status"] == 400
        longest = "c" * (255 - TEMP_NAME_EXTRA - len(".json")) + ".json"  # with its temporary file's extra bytes, 255 at most
        assert requests.post(url(server, "/__mock/state/save"), json={"path": longest}).status_code == 200
        answer = requests.post(url(server, "/__mock/state/save"), json={"path": "c" + longest})
        assert answer.status_code == 400 and "longer than" in answer.json()["error"]
    assert [path.name for path in inside.iterdir()] == [longest]


def test_a_scenario_no_file_can_have_is_an_unknown_scenario(tmp_path):
    """Names and paths over the file system's name limit made ``is_file()`` raise OSError (a 500)."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    with MockServer(scenario_dirs=[folder]) as server:
        for ref, reason in (("a" * 300, "unknown scenario"), ("a" * 5000, "unknown scenario"),
                            (str(folder / ("a" * 300 + ".json")), "no such scenario file"),
                            (str(folder / ("a" * 300)), "not a scenario file"),
                            (str(folder / "x\u0000.json"), "no such scenario file")):
            answer = requests.post(url(server, "/__mock/scenarios/load"), json={"scenarios": [ref]})
            assert answer.status_code == 422, (ref[:40], answer.text[:200])
            assert answer.json()["reason"].startswith(reason)
        assert server.state.scenarios == ["default"]


# -- other sites' pages ------------------------------------------------------------------
@pytest.mark.parametrize("method, path", [("POST", "/__mock/reset"), ("DELETE", "/__mock/faults"),
                                          ("DELETE", "/__mock/requests"), ("POST", "/__mock/clock")])
def test_a_foreign_origin_cannot_change_anything(server, method, path):
    server.add_wallaroo_user(username="kept@example.com", email="kept@example.com")
    for origin in ("http://evil.example", "null", f"http://127.0.0.1:{server.port + 1}"):
        answer = requests.request(method, url(server, path), headers={"Origin": origin})
        assert answer.status_code == 403, origin
        assert answer.json()["status"] == 403
    assert "kept@example.com" in [user.username for user in server.wallaroo.users()]
    same_origin = requests.post(url(server, "/__mock/reset"), headers={"Origin": server.url})
    assert same_origin.status_code == 200


def test_a_body_must_be_json_but_a_bare_post_still_works(server):
    for content_type, data in (("text/plain", '{"scenarios": ["empty"]}'),
                               ("application/x-www-form-urlencoded", "scenarios=empty"),
                               ("multipart/form-data; boundary=x", "--x--")):
        answer = requests.post(url(server, "/__mock/reset"), data=data, headers={"Content-Type": content_type})
        assert answer.status_code == 415, content_type
    assert server.state.scenarios == ["default"]
    # curl -X POST http://127.0.0.1:8080/__mock/reset: no body, no Content-Type
    assert requests.post(url(server, "/__mock/reset")).status_code == 200
    assert requests.post(url(server, "/__mock/reset"), json={"scenarios": ["empty"]}).json()["scenarios"] == ["empty"]


@pytest.mark.parametrize("host", ["evil.example", f"evil.example:{0}", "rebind.attacker.test:8080"])
def test_a_foreign_host_name_is_refused_dns_rebinding(server, host):
    for method, path in (("GET", "/__mock/state"), ("POST", "/__mock/reset"), ("GET", "/__mock/requests")):
        answer = requests.request(method, url(server, path), headers={"Host": host})
        assert answer.status_code == 403, (method, path)
        assert "DNS rebinding" in answer.json()["error"]
    assert requests.get(url(server, "/v1/api/config"), headers={"Host": host}).status_code == 200  # the APIs answer


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]:9", "mockserver:8080", "app.localhost"])
def test_own_addresses_are_accepted(server, host):
    assert requests.get(url(server, "/__mock/requests"), headers={"Host": host}).status_code == 200


def test_allowed_host_names_are_accepted():
    with MockServer(allow_hosts=["mock.ci.example"]) as server:
        assert requests.get(url(server, "/__mock/state"), headers={"Host": "mock.ci.example:80"}).status_code == 200
        assert requests.get(url(server, "/__mock/state"), headers={"Host": "other.ci.example"}).status_code == 403


# -- secrets -----------------------------------------------------------------------------
SECRETS = ("password", "secret_key", "signing_key")


def test_the_state_export_leaves_secrets_out_unless_asked(server):
    credentials = server.modelarts_credentials()
    plain = requests.get(url(server, "/__mock/state"))
    text = plain.text
    for secret in ("developer", credentials["secret_key"]):  # the IAM password is the user name
        assert f'"{secret}"' not in text
    assert not any(f'"{name}"' in text for name in SECRETS) and '"token_signing_key"' not in text
    assert plain.json()["secrets"].startswith("omitted")
    full = requests.get(url(server, "/__mock/state"), params={"secrets": "true"}).json()
    assert credentials["secret_key"] in json.dumps(full) and "secrets" not in full
    refused = requests.put(url(server, "/__mock/state"), json=plain.json())
    assert refused.status_code == 422 and "secrets=true" in refused.json()["reason"]
    assert requests.put(url(server, "/__mock/state"), json=full).status_code == 200


# -- the token -------------------------------------------------------------------------
def test_a_control_token_is_required_and_the_servers_clients_send_it():
    with MockServer(control_token="s3cret-token") as server:
        assert requests.post(url(server, "/__mock/reset")).status_code == 401
        assert requests.get(url(server, "/__mock/state")).status_code == 401
        wrong = requests.post(url(server, "/__mock/reset"), headers={"X-Mockserver-Token": "guess"})
        assert wrong.status_code == 401 and "X-Mockserver-Token" in wrong.json()["error"]
        assert requests.get(url(server, "/__mock/health")).status_code == 200  # readiness probes
        assert requests.post(url(server, "/__mock/reset"), headers={"X-Mockserver-Token": "s3cret-token"}).ok
        assert requests.post(url(server, "/__mock/reset"), headers={"Authorization": "Bearer s3cret-token"}).ok
        assert server.session(None).post("/__mock/reset").status_code == 200
        assert server.session("wallaroo").get("/__mock/requests").status_code == 200
        assert server.session(None, inprocess=True).post("/__mock/reset").status_code == 200
        assert server.test_client().post("/__mock/reset").status_code == 200
        assert server.httpx_client(None).get("/__mock/state").status_code == 200
        # the mocked APIs are not affected
        assert server.session("wallaroo").post("/v1/api/workspaces/list", json={}).status_code == 200


def test_the_plugin_passes_the_token_from_the_environment(pytester, monkeypatch):
    monkeypatch.setenv("MOCKSERVER_CONTROL_TOKEN", "plugin-token")
    pytester.makepyfile("""
        import requests

        def test_token(mockserver):
            assert requests.post(mockserver.url + "/__mock/reset").status_code == 401
            assert mockserver.session(None).post("/__mock/reset").status_code == 200

        def test_token_inprocess(mockserver_inprocess):
            assert mockserver_inprocess.test_client().post("/__mock/reset").status_code == 200
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


# -- the command line ---------------------------------------------------------------------
def start_cli(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-m", "mockserver", "--port", "0", *args], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, **(env or {})})
    first = process.stdout.readline()
    return process, first


def stop_cli(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    return err


def test_a_non_loopback_address_prints_the_real_address_and_a_warning(tmp_path):
    process, first = start_cli(tmp_path, "--host", "0.0.0.0")
    port = re.fullmatch(r"http://127\.0\.0\.1:(\d+)\n", first).group(1)  # scripts read the first line
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    out, err = process.stdout.read(), process.stderr.read()  # small: the pipes never filled
    assert f"listening on http://0.0.0.0:{port}" in out
    assert "warning: listening on every interface" in err and "MOCKSERVER_CONTROL_TOKEN" in err


def test_a_loopback_address_prints_no_warning(tmp_path):
    process, first = start_cli(tmp_path, "--quiet")
    err = stop_cli(process)
    assert first.startswith("http://127.0.0.1:") and "warning" not in err


def test_the_cli_takes_the_token_and_directories_from_flags_and_environment(tmp_path):
    saves = tmp_path / "saves"
    saves.mkdir()
    process, first = start_cli(tmp_path, "--quiet", "--save-dir", str(saves),
                               env={"MOCKSERVER_CONTROL_TOKEN": "cli-token"})
    try:
        base = first.strip()
        assert requests.post(base + "/__mock/reset").status_code == 401
        token = {"X-Mockserver-Token": "cli-token"}
        saved = requests.post(base + "/__mock/state/save", json={"path": "a.json"}, headers=token)
        assert saved.status_code == 200 and (saves / "a.json").is_file()
    finally:
        stop_cli(process)
    result = subprocess.run([sys.executable, "-m", "mockserver", "--check", "--save-dir", str(tmp_path / "nope")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "not a directory" in result.stderr
