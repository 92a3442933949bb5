"""Scenario files: built-ins, JSON and YAML, precise error messages, determinism, round trips."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mockserver import MockServer, ScenarioError
from mockserver import scenarios as scenario_files

REQUIRED_BUILTINS = {"default", "empty", "wallaroo-tutorial", "modelarts-sample"}


def data_of(server: MockServer) -> dict:
    """The state document without what legitimately differs between servers."""
    document = server.export_state()
    document.pop("clock")
    return document


def test_the_required_builtins_exist():
    assert REQUIRED_BUILTINS <= set(scenario_files.builtin_names())


@pytest.mark.parametrize("name", scenario_files.builtin_names())
def test_every_builtin_loads_and_is_described(name):
    server = MockServer([name])
    assert server.state.scenarios == [name]
    described = {item["name"]: item for item in scenario_files.describe_builtin()}
    assert described[name]["description"], "every built-in says what it contains"
    assert not described[name]["description"].startswith("(invalid")


def test_empty_has_no_data_at_all():
    document = MockServer(["empty"]).export_state()
    assert document["wallaroo"]["users"] == [] and document["wallaroo"]["workspaces"] == []
    assert document["modelarts"]["users"] == [] and document["modelarts"]["projects"] == []


@pytest.mark.parametrize("name", sorted(REQUIRED_BUILTINS))
def test_the_same_scenario_gives_the_same_ids(name):
    assert data_of(MockServer([name])) == data_of(MockServer([name]))


def test_workspace_ids_made_at_run_time_repeat_after_reset_user_ids_do_not(mockserver):
    """Workspace ids come from the counter again; a user id never does, so a token of a user a
    reset removed cannot act as the next one (docs/guarantees.md)."""
    def make() -> tuple:
        wallaroo = mockserver.session("wallaroo")
        workspace_id = wallaroo.post("/v1/api/workspaces/create", json={"workspace_name": "det"}).json()["workspace_id"]
        invited = wallaroo.post("/v1/api/users/invite", json={"email": "new@example.com", "password": "pw"}).json()
        return workspace_id, invited["id"]

    first = make()
    mockserver.reset()
    second = make()
    assert second[0] == first[0] and second[1] != first[1]


def test_yaml_and_json_scenarios_are_equivalent(tmp_path):
    document = {"wallaroo": {"users": [{"username": "yaml@example.com", "email": "yaml@example.com",
                                        "password": "pw"}],
                             "workspaces": [{"name": "from-yaml", "members": [{"user": "yaml@example.com",
                                                                               "user_type": "OWNER"}]}]}}
    (tmp_path / "s.json").write_text(json.dumps(document))
    (tmp_path / "s.yaml").write_text("""
# comments are allowed in YAML scenarios
wallaroo:
  users:
    - {username: yaml@example.com, email: yaml@example.com, password: pw}
  workspaces:
    - name: from-yaml
      members:
        - {user: yaml@example.com, user_type: OWNER}
""")
    from_json = MockServer([str(tmp_path / "s.json")])
    from_yaml = MockServer([tmp_path / "s.yaml"])
    assert from_json.state.scenarios == ["s"] and from_yaml.state.scenarios == ["s"]
    assert data_of(from_json) == data_of(from_yaml)


def test_scenarios_combine_in_order():
    extra = {"name": "extra", "wallaroo": {"users": [{"username": "extra@example.com", "email": "extra@example.com"}]}}
    server = MockServer(["default", extra])
    assert server.state.scenarios == ["default", "extra"]
    assert server.wallaroo.find_user("extra@example.com") is not None
    assert server.wallaroo.find_user("developer@example.com") is not None


# -- mistakes ----------------------------------------------------------------------------------
def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def rejected(ref) -> ScenarioError:
    with pytest.raises(ScenarioError) as failure:
        MockServer([ref])
    return failure.value


def test_a_mistake_names_the_file_the_path_and_the_problem(tmp_path):
    path = write(tmp_path, "bad.json", json.dumps({"wallaroo": {"users": [
        {"username": "ok@example.com", "email": "ok@example.com"}, {"username": "x", "email": "not-an-email"}]}}))
    error = rejected(path)
    assert (error.source, error.path) == (path, "wallaroo.users[1].email")
    assert "not an email address" in error.message
    assert str(error) == f"{path}: at wallaroo.users[1].email: {error.message}"


def test_a_wrong_type_deep_in_a_yaml_file(tmp_path):
    path = write(tmp_path, "bad.yaml", "wallaroo:\n  workspaces:\n    - name: w\n      archived: 'no'\n")
    error = rejected(path)
    assert (error.path, error.message) == ("wallaroo.workspaces[0].archived", "expected a boolean, got string")


def test_a_modelarts_mistake_names_its_path(tmp_path):
    path = write(tmp_path, "bad.json", json.dumps({"modelarts": {"projects": [{"id": "p", "name": "eu-de",
                                                                              "account": 7}]}}))
    error = rejected(path)
    assert error.source == path and error.path.startswith("modelarts.projects[0]")


def test_an_unknown_section_or_field_is_a_typo(tmp_path):
    error = rejected(write(tmp_path, "typo.json", '{"walaroo": {}}'))
    assert error.path == "walaroo" and "unknown section" in error.message
    error = rejected(write(tmp_path, "typo2.json", '{"wallaroo": {"users": [{"usrname": "x"}]}}'))
    assert error.path == "wallaroo.users[0].usrname" and "unknown field" in error.message


def test_syntax_errors_name_the_line(tmp_path):
    error = rejected(write(tmp_path, "syntax.json", '{\n  "wallaroo": {\n    "users": [,]\n  }\n}'))
    assert "invalid JSON" in error.message and "line 3" in error.message
    error = rejected(write(tmp_path, "syntax.yaml", "wallaroo:\n  users: [\n"))
    assert "invalid YAML" in error.message


@pytest.mark.parametrize("text", ["[]", '"default"', "null"])
def test_a_scenario_must_be_an_object(tmp_path, text):
    assert "must be a JSON object" in rejected(write(tmp_path, "notobj.json", text)).message


def test_unknown_names_and_missing_files(tmp_path):
    error = rejected("no-such-scenario")
    assert "unknown scenario; built-in scenarios are: " in error.message and "default" in error.message
    assert "no such scenario file" in rejected(str(tmp_path / "missing.json")).message


def test_a_rejected_scenario_leaves_the_state_untouched():
    server = MockServer(["default"])
    before = data_of(server)
    bad = {"wallaroo": {"users": [{"username": "fine@example.com", "email": "fine@example.com"},
                                  {"username": "x", "email": "not-an-email"}]}}  # the second item is rejected
    with pytest.raises(ScenarioError):
        server.load(bad)
    with pytest.raises(ScenarioError):
        server.load_scenarios([bad], replace=True)
    assert data_of(server) == before
    server.reset()
    assert data_of(server) == before, "the baseline is untouched too"


# -- round trips and cache keys -----------------------------------------------------------------
def test_a_saved_state_is_a_scenario(tmp_path):
    server = MockServer(["default"])
    server.add_wallaroo_user(username="kept@example.com", email="kept@example.com")
    saved = server.save_state(tmp_path / "state.json")
    reloaded = MockServer([str(saved)])
    expected, actual = data_of(server), data_of(reloaded)
    expected.pop("scenarios"), actual.pop("scenarios")
    assert actual == expected


def test_cache_key_changes_when_a_file_changes(tmp_path):
    path = write(tmp_path, "k.json", "{}")
    key = scenario_files.cache_key([path, "default", {"name": "inline"}])
    assert key == scenario_files.cache_key([path, "default", {"name": "inline"}])
    assert key != scenario_files.cache_key([path, "default", {"name": "other"}])
    Path(path).write_text('{"name": "k2"}')
    os.utime(path, ns=(1, 1))
    assert key != scenario_files.cache_key([path, "default", {"name": "inline"}])


@pytest.mark.parametrize("text, line, key", [
    ("wallaroo:\n  users: []\n  users:\n    - {username: a@example.com}\n", 3, "users"),
    ("wallaroo:\n  workspaces:\n    - name: first\n      name: second\n", 4, "name"),
])
def test_a_yaml_key_given_twice_is_refused_with_its_line(tmp_path, text, line, key):
    """JSON refuses a repeated member; YAML did not, and silently kept the last one."""
    path = write(tmp_path, "twice.yaml", text)
    error = rejected(path)
    assert error.line == line and f"duplicate key '{key}'" in error.message, str(error)
    assert "\n" not in str(error)


def test_yaml_merge_keys_may_still_override(tmp_path):
    path = write(tmp_path, "merge.yaml", "wallaroo:\n  users:\n    - &base {username: a@example.com, email: a@example.com}\n"
                 "    - {<<: *base, username: b@example.com, email: b@example.com}\n")
    assert {u.username for u in MockServer([path]).wallaroo.users()} == {"a@example.com", "b@example.com"}
