"""The Wallaroo section of scenario files: the built-in scenarios, validation, export/import."""

from __future__ import annotations

import pytest
import requests

from mockserver import MockServer
from mockserver.state import ScenarioError

from conftest import ADMIN_ID, DEVELOPER_ID, password_login


def login(server, username: str, password: str) -> requests.Response:
    return password_login(server.url, username, password)


def test_default_scenario_has_the_keycloak_admin_and_a_platform_admin(mockserver):
    admin = mockserver.wallaroo.find_user("admin")
    assert (admin.id, admin.email, admin.admin, admin.password) == (ADMIN_ID, None, True, "admin")
    developer = mockserver.wallaroo.find_user("developer@example.com")
    assert (developer.id, developer.admin, developer.password) == (DEVELOPER_ID, True, "developer")
    assert login(mockserver, "admin", "admin").status_code == 200
    assert login(mockserver, "developer@example.com", "developer").status_code == 200
    (workspace,) = mockserver.export_state()["wallaroo"]["workspaces"]
    assert workspace == {"id": 1, "name": "developer@example.com - Default Workspace",
                         "created_at": "2025-01-01T00:00:01+00:00", "created_by": "developer@example.com",
                         "archived": False, "models": [], "pipelines": [],
                         "members": [{"user": DEVELOPER_ID, "user_type": "OWNER"}]}


@pytest.mark.mockserver_scenario("wallaroo-tutorial")
def test_tutorial_scenario_content(mockserver):
    state = mockserver.export_state()["wallaroo"]
    assert [user["username"] for user in state["users"]] == [
        "john.hummel@wallaroo.ai", "john.hansarick@wallaroo.ai", "admin"]
    assert [(w["id"], w["name"]) for w in state["workspaces"]] == [
        (8, "john.hummel@wallaroo.ai - Default Workspace"), (14, "ccfraudworkspace")]
    assert state["next_workspace_id"] == 15
    for username, password in [("john.hummel@wallaroo.ai", "hummel-password"),
                               ("john.hansarick@wallaroo.ai", "hansarick-password"), ("admin", "admin")]:
        assert login(mockserver, username, password).status_code == 200


def test_export_import_round_trip_keeps_every_wallaroo_detail(mockserver):
    token = mockserver.wallaroo.issue_token("developer@example.com")
    headers = {"Authorization": f"Bearer {token}"}
    requests.post(f"{mockserver.url}/v1/api/users/invite", json={"email": "x@example.com", "password": "p",
                                                                 "require_reset": True}, headers=headers)
    requests.post(f"{mockserver.url}/v1/api/workspaces/create", json={"workspace_name": "kept"}, headers=headers)
    document = mockserver.export_state()
    with MockServer(["empty"]) as other:
        other.import_state(document)
        assert other.export_state()["wallaroo"] == document["wallaroo"]
        # the next ids continue where the exported store was
        other_token = other.wallaroo.issue_token("developer@example.com")
        response = requests.post(f"{other.url}/v1/api/workspaces/create", json={"workspace_name": "next"},
                                 headers={"Authorization": f"Bearer {other_token}"})
        assert response.json() == {"workspace_id": 4}


@pytest.mark.parametrize("section, path, message", [
    ({"users": [{"password": "x"}]}, "wallaroo.users[0].username", "a user needs a username or an email"),
    ({"users": [{"username": "a", "email": "not-an-email"}]}, "wallaroo.users[0].email", "is not an email"),
    ({"users": [{"username": "a", "id": "x"}, {"username": "b", "id": "x"}]}, "wallaroo.users[1].id",
     "user id 'x' (a) is already defined by an earlier item of this scenario with other values: username: 'a' before, "
     "'b' here"),
    ({"users": [{"username": "a@example.com"}, {"username": "b", "email": "A@example.com"}]}, "wallaroo.users[1]",
     "a user with the username or email 'a@example.com' is already defined by an earlier item of this scenario"),
    ({"users": [{"username": "a", "nickname": "x"}]}, "wallaroo.users[0].nickname", "unknown field"),
    ({"workspaces": [{"name": "w", "members": [{"user": "ghost"}]}]}, "wallaroo.workspaces[0].members[0].user",
     "no user"),
    ({"workspaces": [{"name": "w", "created_at": "2024-07-11"}]}, "wallaroo.workspaces[0].created_at",
     "with an offset"),
    ({"workspaces": [{"name": "w", "created_at": "2024-07-11T10:00:00"}]}, "wallaroo.workspaces[0].created_at",
     "with an offset"),
    ({"workspaces": [{"name": "w"}, {"name": "w", "archived": True}]}, "wallaroo.workspaces[1].name",
     "workspace 'w' is already defined by an earlier item of this scenario with other values: archived"),
    ({"workspaces": [{"name": "w", "id": 3}, {"name": "v", "id": 3}]}, "wallaroo.workspaces[1].id",
     "workspace id 3 ('w') is already defined"),
    ({"workspaces": [{"name": "w", "models": ["1"]}]}, "wallaroo.workspaces[0].models[0]", "expected an integer"),
    ({"settings": {"access_token_lifetime": 0}}, "wallaroo.settings.access_token_lifetime", "at least 1"),
])
def test_invalid_wallaroo_sections_name_the_path_and_change_nothing(mockserver, section, path, message):
    before = mockserver.export_state()["wallaroo"]
    with pytest.raises(ScenarioError) as raised:
        mockserver.load({"name": "broken", "wallaroo": section})
    assert raised.value.path == path
    assert message in raised.value.message
    assert mockserver.export_state()["wallaroo"] == before


def test_scenario_users_get_a_default_workspace_unless_told_otherwise(mockserver):
    mockserver.load({"wallaroo": {"users": [
        {"username": "with@example.com", "email": "with@example.com", "created_timestamp": 1720716810000},
        {"username": "without@example.com", "email": "without@example.com", "default_workspace": False},
        {"username": "no-email"},
    ]}})
    names = {w["name"]: w for w in mockserver.export_state()["wallaroo"]["workspaces"]}
    assert names["with@example.com - Default Workspace"]["created_at"] == "2024-07-11T16:53:30+00:00"
    assert names["with@example.com - Default Workspace"]["created_by"] == "with@example.com"
    assert "without@example.com - Default Workspace" not in names
    assert len(names) == 2
    # the password of a scenario user without one is its username
    assert login(mockserver, "no-email", "no-email").status_code == 200
