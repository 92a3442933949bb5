"""The ``modelarts`` scenario section: strict validation with JSON paths, export/load round trip,
deterministic ids, the built-in identities and the Python helpers of the backend.
"""

from __future__ import annotations

import copy

import pytest
import requests

from mockserver import MockServer
from mockserver.state import ScenarioError
from mockserver.validation import FieldError

from conftest import PROJECT

SAMPLE_PROJECT = "fedcba9876543210fedcba9876543210"


@pytest.fixture(scope="module")
def server() -> MockServer:
    return MockServer()  # in-process: no socket needed for the store-level checks


def load_error(server: MockServer, section: dict) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        server.load_scenarios([{"name": "bad", "modelarts": section}], replace=True)
    return info.value


@pytest.mark.parametrize("section, path", [
    ({"sttings": {}}, "modelarts.sttings"),
    ({"settings": {"token_lifetime": 5}}, "modelarts.settings.token_lifetime"),
    ({"settings": {"delete_delay_seconds": -1}}, "modelarts.settings.delete_delay_seconds"),
    ({"settings": {"auth_type_case": "title"}}, "modelarts.settings.auth_type_case"),
    ({"accounts": [{"name": "a"}, {"name": "a"}]}, "modelarts.accounts[1].name"),
    ({"accounts": [{"name": "a"}], "users": [{"name": "u", "account": "b"}]}, "modelarts.users[0].account"),
    ({"accounts": [{"name": "a"}], "users": [{"name": "u", "account": "a", "pasword": "x"}]},
     "modelarts.users[0].pasword"),
    ({"accounts": [{"name": "a"}], "users": [{"name": "u", "account": "a", "primary": True},
                                             {"name": "v", "account": "a", "primary": True}]},
     "modelarts.users[1].primary"),
    ({"accounts": [{"name": "a"}], "users": [
        {"name": "u", "account": "a", "access_keys": [{"access_key": "K", "secret_key": "S"}]},
        {"name": "v", "account": "a", "access_keys": [{"access_key": "K", "secret_key": "T"}]}]},
     "modelarts.users[1].access_keys[0].access_key"),
    ({"accounts": [{"name": "a"}], "projects": [{"id": "api", "name": "eu-de", "account": "a"}]},
     "modelarts.projects[0].id"),
    ({"accounts": [{"name": "a"}], "projects": [{"name": "eu-de", "account": "a"}],
      "workspaces": [{"project": "eu-de", "name": "w1", "auth_type": "SECRET"}]}, "modelarts.workspaces[0].auth_type"),
    ({"accounts": [{"name": "a"}], "projects": [{"name": "eu-de", "account": "a"}],
      "workspaces": [{"project": "nope", "name": "w1"}]}, "modelarts.workspaces[0].project"),
    ({"accounts": [{"name": "a"}], "projects": [{"name": "eu-de", "account": "a"}],
      "workspaces": [{"project": "eu-de", "name": "w1", "grants": [{"user_name": "ghost"}]}]},
     "modelarts.workspaces[0].grants[0]"),
    ({"accounts": [{"name": "a"}], "projects": [{"name": "eu-de", "account": "a"}],
      "workspaces": [{"project": "eu-de", "name": "w1", "quotas": [{"resource": "x", "quota": 1}]}]},
     "modelarts.workspaces[0].quotas[0].resource"),
    ({"accounts": [{"name": "a"}], "projects": [{"name": "eu-de", "account": "a"}],
      "workspaces": [{"project": "eu-de", "name": "w1", "quotas": [
          {"resource": "exemlProject.gpu_duration", "quota": 60001}]}]},
     "modelarts.workspaces[0].quotas[0].quota"),
    ({"accounts": [{"name": "a"}], "projects": [{"name": "eu-de", "account": "a"}],
      "workspaces": [{"project": "eu-de", "name": "default"}]}, "modelarts.workspaces[0].name"),
    ({"accounts": [{"name": "a"}], "projects": [{"name": "eu-de", "account": "a"}],
      "workspaces": [{"project": "eu-de", "id": "0", "name": "main"}]}, "modelarts.workspaces[0].name"),
    ({"accounts": [{"name": "a"}], "projects": [{"name": "eu-de", "account": "a"}],
      "workspaces": [{"project": "eu-de", "name": "w1"}, {"project": "eu-de", "name": "w1"}]},
     "modelarts.workspaces[1].name"),
    ({"accounts": [{"name": "a"}], "projects": [{"name": "eu-de", "account": "a"}],
      "workspaces": [{"project": "eu-de", "name": "w1", "status": "GONE"}]}, "modelarts.workspaces[0].status"),
])
def test_scenario_mistakes_are_reported_with_their_json_path(server, section, path):
    before = server.export_state()
    error = load_error(server, section)
    assert error.path == path, error
    assert server.export_state()["modelarts"] == before["modelarts"]


def test_default_identities(server):
    server.reset()
    backend = server.modelarts
    assert backend.default_project_id() == PROJECT
    assert backend.credentials() == {
        "user_name": "modelarts-dev", "password": "modelarts-dev", "account": "mock-account",
        "project_id": PROJECT, "region": "eu-de", "access_key": "MOCKACCESSKEY0000001",
        "secret_key": "mock-secret-key-0000000000000000000000001"}
    viewer = backend.credentials("modelarts-viewer")
    assert (viewer["password"], viewer["project_id"], viewer["access_key"], viewer["secret_key"]) == (
        "modelarts-viewer", PROJECT, None, None)
    with pytest.raises(KeyError):
        backend.credentials("nobody")


def test_export_loads_back_to_the_same_state():
    server = MockServer(["default", "modelarts-sample"])
    token = server.modelarts.issue_token()
    client = server.test_client()
    created = client.post(f"/v1/{PROJECT}/workspaces", headers={"X-Auth-Token": token},
                          json={"name": "round-trip", "auth_type": "INTERNAL",
                                "grants": [{"user_name": "modelarts-viewer"}]}).get_json()
    client.put(f"/v1/{PROJECT}/workspaces/{created['id']}/quotas", headers={"X-Auth-Token": token},
               json={"quotas": [{"resource": "trainJob.gpu_duration", "quota": 7}]})
    document = server.export_state()
    copy_server = MockServer(["empty"])
    copy_server.import_state(copy.deepcopy(document))
    assert copy_server.export_state()["modelarts"] == document["modelarts"]
    # and the copy goes on with the same id sequence
    second = lambda s: s.test_client().post(  # noqa: E731
        f"/v1/{PROJECT}/workspaces", headers={"X-Auth-Token": s.modelarts.issue_token()}, json={"name": "next-one"})
    assert second(server).get_json()["id"] == second(copy_server).get_json()["id"]


def test_deleting_workspaces_round_trip_with_their_deadline():
    server = MockServer()
    server.load({"modelarts": {"settings": {"delete_delay_seconds": 60}}})
    workspace = server.modelarts.add_workspace(PROJECT, name="going")
    server.test_client().delete(f"/v1/{PROJECT}/workspaces/{workspace['id']}",
                                headers={"X-Auth-Token": server.modelarts.issue_token()})
    exported = server.export_state()["modelarts"]
    (item,) = [w for w in exported["workspaces"] if w["name"] == "going"]
    assert item["status"] == "DELETING" and item["delete_complete_time"] > 0
    copy_server = MockServer(["empty"])
    copy_server.import_state(server.export_state())
    assert copy_server.export_state()["modelarts"] == exported


def test_sample_scenario_loads_alone_and_with_default():
    alone = MockServer(["modelarts-sample"])
    names = [w["name"] for w in alone.modelarts.workspaces(SAMPLE_PROJECT)]
    assert names == ["default", "test-workspace", "alice-private", "team-internal", "stuck-workspace"]
    assert alone.modelarts.default_project_id() == SAMPLE_PROJECT
    both = MockServer(["default", "modelarts-sample"])
    assert both.modelarts.default_project_id() == PROJECT
    sample = both.modelarts.workspaces(SAMPLE_PROJECT)
    assert sample[1]["enterprise_project_name"] == "test-eps"
    assert sample[3]["grants"] == [{"user_id": "8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a", "user_name": "bob",
                                    "user_type": "IAM"}]


def test_sample_scenario_over_http(mockserver):
    mockserver.load("modelarts-sample")
    token = mockserver.modelarts.issue_token("bob")
    url = f"{mockserver.url}/v1/{SAMPLE_PROJECT}/workspaces"
    body = requests.get(url, params={"filter_accessible": "true", "order": "asc"},
                        headers={"X-Auth-Token": token}).json()
    assert [w["name"] for w in body["workspaces"]] == ["default", "stuck-workspace", "team-internal",
                                                       "test-workspace"]
    quotas = requests.get(f"{url}/02862d4c505a47288dc1ae50a2aabca9/quotas", headers={"X-Auth-Token": token}).json()
    assert (quotas["quotas"][0]["quota"], quotas["quotas"][0]["used_quota"]) == (10, 5)
    auditor = mockserver.modelarts.issue_token("auditor")
    assert requests.post(url, json={"name": "nope"}, headers={"X-Auth-Token": auditor}).status_code == 403


def test_helpers_add_users_keys_projects_and_workspaces(server):
    server.reset()
    backend = server.modelarts
    user = backend.add_user(name="helper-user", account="mock-account", password="pw")
    assert user["name"] == "helper-user" and len(user["id"]) == 32
    key = backend.add_access_key("helper-user")
    assert len(key["access_key"]) == 20
    assert backend.credentials("helper-user")["access_key"] == key["access_key"]
    with pytest.raises(ValueError):
        backend.add_access_key("modelarts-viewer", access_key=key["access_key"])
    project = backend.add_project(name="eu-nl", account="mock-account")
    assert [w["id"] for w in backend.workspaces(project["id"])] == ["0"]
    workspace = backend.add_workspace(PROJECT, name="helper-ws", auth_type="private")
    assert workspace["auth_type"] == "private" and workspace["owner"] == "modelarts-dev"
    before = server.export_state()["modelarts"]
    with pytest.raises(FieldError):
        backend.add_workspace(PROJECT, name="helper-ws")  # duplicate: nothing changes
    assert server.export_state()["modelarts"] == before
    with pytest.raises(KeyError):
        backend.add_workspace("no-such-project", name="x")
    token = backend.issue_token("helper-user", project_id=project["id"])
    response = server.test_client().get(f"/v1/{project['id']}/workspaces", headers={"X-Auth-Token": token})
    assert response.get_json()["total_count"] == 1


def test_the_same_scenario_gives_the_same_ids():
    ids = []
    for _ in range(2):
        server = MockServer()
        token = server.modelarts.issue_token()
        ids.append([server.test_client().post(f"/v1/{PROJECT}/workspaces", headers={"X-Auth-Token": token},
                                              json={"name": f"ws-{n}"}).get_json()["id"] for n in range(3)])
    assert ids[0] == ids[1] and len(set(ids[0])) == 3
