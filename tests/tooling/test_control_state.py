"""Control API: health, reset, state export/import/save, and scenario loading (``/__mock/``)."""

from __future__ import annotations

import json

import pytest
import requests

WORKSPACES_LIST = "/v1/api/workspaces/list"


@pytest.fixture
def control(mockserver):
    """A session on the control API of the session server (no auth needed)."""
    return mockserver.session(None)


@pytest.fixture
def save_dir(mockserver, tmp_path, monkeypatch):
    """Saves by path go only into a directory given at start: give the session server one."""
    monkeypatch.setattr(mockserver.control_policy, "save_dir", tmp_path.resolve())
    return tmp_path.resolve()


def state_of(control) -> dict:
    document = control.get("/__mock/state?secrets=true").json()
    document.pop("clock")
    return document


def workspace_names(mockserver) -> list[str]:
    response = mockserver.session("wallaroo").post(WORKSPACES_LIST, json={})
    return [w["name"] for w in response.json()["workspaces"]]


def assert_control_error(response, status: int, fragment: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == status and fragment in body["error"], body
    return body


# -- health and unknown routes ------------------------------------------------------------
def test_health(control):
    body = control.get("/__mock/health").json()
    assert body["status"] == "ok"
    assert body["apis"] == ["wallaroo", "modelarts"]
    assert body["scenarios"] == ["default"]
    assert isinstance(body["version"], str) and isinstance(body["time"], float)


def test_unknown_control_routes_and_methods_answer_in_the_control_shape(control):
    assert_control_error(control.get("/__mock/nothing"), 404, "No route for GET /__mock/nothing")
    response = control.post("/__mock/health")
    assert_control_error(response, 405, "Method POST is not allowed")
    assert "GET" in response.headers["Allow"]


# -- reset -------------------------------------------------------------------------------
def test_reset_restores_data_and_clears_journal_faults_and_clock(mockserver, control):
    mockserver.session("wallaroo").post("/v1/api/workspaces/create", json={"workspace_name": "temp"})
    mockserver.faults.add(path="/nowhere", status=500)
    mockserver.clock.freeze(0)
    body = control.post("/__mock/reset").json()
    assert body == {"status": "reset", "scenarios": ["default"]}
    assert "temp" not in workspace_names(mockserver)
    assert mockserver.faults.rules() == [] and not mockserver.clock.frozen
    assert [e.path for e in mockserver.journal] == ["/__mock/reset", WORKSPACES_LIST]


def test_reset_to_other_scenarios(mockserver, control):
    body = control.post("/__mock/reset", json={"scenarios": ["wallaroo-tutorial"]}).json()
    assert body["scenarios"] == ["wallaroo-tutorial"]
    assert mockserver.wallaroo.find_user("john.hummel@wallaroo.ai") is not None
    mockserver.add_wallaroo_user(username="gone@example.com", email="gone@example.com")
    control.post("/__mock/reset")
    assert mockserver.wallaroo.find_user("gone@example.com") is None, "the new scenarios are the baseline"
    assert mockserver.state.scenarios == ["wallaroo-tutorial"]


def test_reset_with_a_bad_scenario_changes_nothing(mockserver, control):
    mockserver.add_wallaroo_user(username="kept@example.com", email="kept@example.com")
    before = state_of(control)
    body = assert_control_error(control.post("/__mock/reset", json={"scenarios": ["nope"]}), 422, "unknown scenario")
    assert body["source"] == "nope"
    assert_control_error(control.post("/__mock/reset", json={"scenarios": "default"}), 400,
                         "scenarios: expected an array")
    assert_control_error(control.post("/__mock/reset", json={"scenarios": [1]}), 400, "scenarios[0]")
    assert_control_error(control.post("/__mock/reset", json={"scenario": []}), 400, "unknown field")
    assert state_of(control) == before


# -- state ----------------------------------------------------------------------------------
def test_get_state_is_a_versioned_document(control):
    document = control.get("/__mock/state?secrets=true").json()
    assert list(document)[:4] == ["format", "version", "scenarios", "clock"]
    assert (document["format"], document["version"], document["scenarios"]) == ("mockserver-state", 1, ["default"])
    assert {"wallaroo", "modelarts"} <= set(document)
    assert {u["username"] for u in document["wallaroo"]["users"]} >= {"admin", "developer@example.com"}


def test_put_state_replaces_everything_and_reset_still_returns_to_the_scenarios(mockserver, control):
    document = control.get("/__mock/state?secrets=true").json()
    document["wallaroo"]["workspaces"].append({"name": "imported", "members": []})
    assert control.put("/__mock/state", json=document).json()["status"] == "imported"
    assert "imported" in workspace_names(mockserver)
    control.post("/__mock/reset")
    assert "imported" not in workspace_names(mockserver)


def test_put_state_as_baseline(mockserver, control):
    document = control.get("/__mock/state?secrets=true").json()
    document["wallaroo"]["workspaces"].append({"name": "baseline-ws", "members": []})
    assert control.put("/__mock/state?as_baseline=true", json=document).status_code == 200
    control.post("/__mock/reset")
    assert "baseline-ws" in workspace_names(mockserver)


@pytest.mark.parametrize("mutate, status, path, fragment", [
    (lambda d: d.update(version=2), 422, "version", "unsupported version 2"),
    (lambda d: d.update(format="other"), 422, "format", "expected 'mockserver-state'"),
    (lambda d: d.update(scenarios="default"), 422, "scenarios", "expected an array of strings"),
    (lambda d: d["wallaroo"]["users"].append({"username": "bad", "email": "not-an-email"}), 422,
     "wallaroo.users[3].email", "not an email address"),
    (lambda d: d["wallaroo"]["workspaces"].append({"name": 5}), 422, "wallaroo.workspaces[2].name", "string"),
    (lambda d: d.update(surprise={}), 422, "surprise", "unknown section"),
])
def test_a_rejected_import_leaves_the_state_untouched(mockserver, control, mutate, status, path, fragment):
    mockserver.add_wallaroo_user(username="before@example.com", email="before@example.com")
    before = state_of(control)
    document = control.get("/__mock/state?secrets=true").json()
    mutate(document)
    body = assert_control_error(control.put("/__mock/state", json=document), status, fragment)
    assert body["path"] == path and body["source"] == "PUT /__mock/state" and fragment in body["reason"]
    assert state_of(control) == before


def test_put_state_with_a_body_that_is_not_a_document(mockserver, control):
    before = state_of(control)
    assert_control_error(control.put("/__mock/state", json=[1]), 422, "must be a JSON object")
    assert_control_error(control.put("/__mock/state", data="{oops", headers={"Content-Type": "application/json"}),
                         400, "line 1 column 2")
    assert_control_error(control.put("/__mock/state"), 400, "empty")
    assert_control_error(control.put("/__mock/state?as_baseline=maybe", json={}), 400, "as_baseline")
    assert state_of(control) == before


def test_save_state_to_a_path(control, save_dir):
    target = save_dir / "sub" / "saved.json"
    body = control.post("/__mock/state/save", json={"path": "sub/saved.json"}).json()
    assert body == {"status": "saved", "path": str(target)}
    saved = json.loads(target.read_text())
    saved.pop("clock")
    baseline = saved.pop("baseline")  # what a reset returns to, kept for the next start
    assert saved == state_of(control)
    assert baseline["scenarios"] == saved["scenarios"]
    assert {key: baseline[key] for key in ("wallaroo", "modelarts")} == {
        key: saved[key] for key in ("wallaroo", "modelarts")}, "nothing changed since the reset"


def test_save_state_without_a_state_file_or_path_is_a_conflict(control):
    assert_control_error(control.post("/__mock/state/save"), 409, "--state-file")
    assert_control_error(control.post("/__mock/state/save", json={"path": 3}), 400, "path: expected a string")
    assert_control_error(control.post("/__mock/state/save", json={"file": "x"}), 400, "unknown field")


def test_save_state_failure_is_reported(control, save_dir):
    blocker = save_dir / "file"
    blocker.write_text("")
    body = assert_control_error(control.post("/__mock/state/save", json={"path": str(blocker / "state.json")}),
                                500, "cannot save the state")
    assert str(blocker) in body["error"]


def test_save_state_to_the_servers_state_file(mockserver_factory, tmp_path):
    state_file = tmp_path / "state.json"
    server = mockserver_factory(state_file=state_file)
    server.add_wallaroo_user(username="persisted@example.com", email="persisted@example.com")
    body = requests.post(f"{server.url}/__mock/state/save").json()
    assert body == {"status": "saved", "path": str(state_file)}
    users = json.loads(state_file.read_text())["wallaroo"]["users"]
    assert "persisted@example.com" in [u["username"] for u in users]
    assert not list(tmp_path.glob(".state.json.*")), "no temporary file is left behind"


# -- scenarios --------------------------------------------------------------------------------
def test_list_scenarios(control):
    body = control.get("/__mock/scenarios").json()
    assert {"default", "empty", "wallaroo-tutorial", "modelarts-sample"} <= set(body["builtin"])
    assert body["loaded"] == ["default"]
    assert [item["name"] for item in body["descriptions"]] == body["builtin"]
    assert all(item["description"] for item in body["descriptions"])


def test_load_a_scenario_on_top(mockserver, control):
    inline = {"name": "extra", "wallaroo": {"workspaces": [{"name": "extra-ws",
                                                            "members": [{"user": "developer@example.com"}]}]}}
    body = control.post("/__mock/scenarios/load", json={"scenarios": [inline]}).json()
    assert body == {"status": "loaded", "scenarios": ["default", "extra"]}
    assert "extra-ws" in workspace_names(mockserver)
    control.post("/__mock/reset")
    assert "extra-ws" in workspace_names(mockserver), "as_baseline defaults to true"


def test_load_a_scenario_for_now_only(mockserver, control):
    inline = {"name": "temp", "wallaroo": {"workspaces": [{"name": "temp-ws"}]}}
    control.post("/__mock/scenarios/load", json={"scenarios": [inline], "as_baseline": False})
    assert mockserver.wallaroo.data.workspace_names.get("temp-ws") is not None
    control.post("/__mock/reset")
    assert mockserver.wallaroo.data.workspace_names.get("temp-ws") is None


def test_load_scenarios_replacing_the_state(mockserver, control):
    body = control.post("/__mock/scenarios/load", json={"scenarios": ["empty"], "replace": True}).json()
    assert body["scenarios"] == ["empty"]
    assert mockserver.wallaroo.users() == []


@pytest.mark.parametrize("payload, status, fragment", [
    ({}, 400, "scenarios: missing required field"),
    ({"scenarios": None}, 400, "scenarios: must not be null"),
    ({"scenarios": "default"}, 400, "expected an array"),
    ({"scenarios": [3]}, 400, "scenarios[0]: expected a name, a path or a scenario object"),
    ({"scenarios": ["default"], "replace": "yes"}, 400, "replace: expected a boolean"),
    ({"scenarios": ["default"], "extra": 1}, 400, "unknown field"),
    ({"scenarios": ["missing-one"]}, 422, "unknown scenario"),
    ({"scenarios": [{"wallaroo": {"users": [{"email": "x"}]}}]}, 422, "not an email address"),
])
def test_load_scenarios_validation(mockserver, control, payload, status, fragment):
    before = state_of(control)
    assert_control_error(control.post("/__mock/scenarios/load", json=payload), status, fragment)
    assert state_of(control) == before


def test_a_rejected_inline_scenario_names_the_path(control):
    body = control.post("/__mock/scenarios/load", json={"scenarios": [
        {"name": "broken", "wallaroo": {"users": [{"username": "a", "email": "bad"}]}}]}).json()
    assert (body["source"], body["path"]) == ("broken", "wallaroo.users[0].email")
