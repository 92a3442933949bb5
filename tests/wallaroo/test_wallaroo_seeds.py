"""Replays of the recorded request/response examples of the vendor's tutorials (seeds 000-002).

Each test performs the seed's steps in order, the way the tutorial does (``wallaroo.Client``
for the token, then ``requests``/curl-style calls with ``wl.auth.auth_header()``), and
compares our answers with the recorded ones: exactly where the state allows it.

Seeds 001 and 002 come from two different instances: the user ids seed 001 shows for
john.hummel and john.hansarick are not the ids seed 002 lists. The ``wallaroo-tutorial``
scenario keeps seed 002's ids (users/query must match exactly), so seed 001's member ids
are translated with ``SEED_001_IDS``; everything else is compared as recorded.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

import pytest
import requests
import wallaroo

TUTORIAL = pytest.mark.mockserver_scenario("wallaroo-tutorial")
HUMMEL = "12ea09d1-0f49-405e-bed1-27eb6d10fde4"
HANSARICK = "57d61aed-3058-4327-9e65-a5d39a9718c0"
KEYCLOAK_ADMIN = "1bc88c6d-b476-4e4d-aa1a-a5a3554591d3"
SEED_001_IDS = {"13486fc4-a1a7-43e2-9233-62177d5f739b": HUMMEL, "c54f6f84-e10a-474d-b506-38c8b15f5f54": HANSARICK}


@pytest.fixture
def tutorial_client(wallaroo_login):
    """``wl = wallaroo.Client()`` of the tutorials, logged in as the seeds' user.

    Each login gets its own token cache: the SDK would otherwise reuse the cached token
    of whoever logged in first, whatever the credentials.
    """

    def connect(username: str = "john.hummel@wallaroo.ai", password: str = "hummel-password") -> wallaroo.Client:
        return wallaroo_login(username, password)

    return connect


def via_requests(wl: wallaroo.Client, action: str, data: Any) -> Any:
    """The tutorials' ``requests.post(endpoint, json=data, headers=headers).json()``."""
    response = requests.post(f"{wl.api_endpoint}/v1/api/{action}", json=data, headers=wl.auth.auth_header())
    assert response.status_code == 200, response.text
    return response.json()


def via_curl(wl: wallaroo.Client, action: str, data: str) -> requests.Response:
    """The tutorials' ``curl ... -H "Authorization: ..." -H "Content-Type: application/json" --data '<text>'``."""
    return requests.post(f"{wl.api_endpoint}/v1/api/{action}", data=data.encode(), headers={
        "Authorization": wl.auth.auth_header()["Authorization"], "Content-Type": "application/json"})


def freeze_at(server, iso: str) -> None:
    server.clock.freeze(at=datetime.fromisoformat(iso).timestamp())


def translated(recorded: Any, ids: dict[str, str]) -> Any:
    """Seed 001's user ids replaced by the scenario's (see the module docstring)."""
    text = json.dumps(recorded)
    for old, new in ids.items():
        text = text.replace(old, new)
    return json.loads(text)


# == seed 001: workspace management (2024-07-11) ===========================================
SEED_001_LIST_TEXT = (
    '{"workspaces":[{"id":8,"name":"john.hummel@wallaroo.ai - Default Workspace","created_at":"2024-07-11T15:23:37.011229+00:00","created_by":"john.hummel@wallaroo.ai","archived":false,"models":[],"pipelines":[]},{"id":14,"name":"ccfraudworkspace","created_at":"2024-07-11T16:51:50.885751+00:00","created_by":"13486fc4-a1a7-43e2-9233-62177d5f739b","archived":false,"models":[1],"pipelines":[1]}]}')
SEED_001_LIST = json.loads(SEED_001_LIST_TEXT)
SEED_001_LIST_AFTER_CREATE = json.loads(
    '{"workspaces":[{"id":8,"name":"john.hummel@wallaroo.ai - Default Workspace","created_at":"2024-07-11T15:23:37.011229+00:00","created_by":"john.hummel@wallaroo.ai","archived":false,"models":[],"pipelines":[]},{"id":14,"name":"ccfraudworkspace","created_at":"2024-07-11T16:51:50.885751+00:00","created_by":"13486fc4-a1a7-43e2-9233-62177d5f739b","archived":false,"models":[1],"pipelines":[1]},{"id":15,"name":"testapiworkspace-requests","created_at":"2024-07-11T16:53:30.02561+00:00","created_by":"13486fc4-a1a7-43e2-9233-62177d5f739b","archived":false,"models":[],"pipelines":[]},{"id":16,"name":"testapiworkspace-curl","created_at":"2024-07-11T16:53:30.607761+00:00","created_by":"13486fc4-a1a7-43e2-9233-62177d5f739b","archived":false,"models":[],"pipelines":[]}]}')
SEED_001_MEMBERS = json.loads(
    '{"users":[{"user_id":"13486fc4-a1a7-43e2-9233-62177d5f739b","user_type":"OWNER"},{"user_id":"c54f6f84-e10a-474d-b506-38c8b15f5f54","user_type":"COLLABORATOR"}]}')
SEED_001_MEMBERS_AFTER_REMOVE = json.loads(
    '{"users":[{"user_id":"13486fc4-a1a7-43e2-9233-62177d5f739b","user_type":"OWNER"}]}')


@TUTORIAL
def test_seed_001_workspace_management(mockserver, tutorial_client):
    wl = tutorial_client()
    assert wl.api_endpoint == mockserver.url
    assert wl.auth.auth_header()["Authorization"].startswith("Bearer ey")

    # List Workspaces, via Requests and via curl: exactly the recorded list
    assert via_requests(wl, "workspaces/list", {}) == SEED_001_LIST
    assert via_curl(wl, "workspaces/list", "{}").text == SEED_001_LIST_TEXT  # byte for byte, as curl printed it

    # Create Workspace via Requests and via curl, at the recorded instants
    freeze_at(mockserver, "2024-07-11T16:53:30.02561+00:00")
    assert via_requests(wl, "workspaces/create", {"workspace_name": "testapiworkspace-requests"}) == {
        "workspace_id": 15}
    freeze_at(mockserver, "2024-07-11T16:53:30.607761+00:00")
    response = via_curl(wl, "workspaces/create", '{"workspace_name": "testapiworkspace-curl"}')
    assert (response.status_code, response.text) == (200, '{"workspace_id":16}')

    # the curl listing after both creates; workspace 14 keeps the created_by string the
    # scenario recorded for it, the new ones carry the caller's (translated) id
    expected = copy.deepcopy(SEED_001_LIST_AFTER_CREATE)
    for item in expected["workspaces"]:
        if item["id"] in (15, 16):
            item["created_by"] = HUMMEL
    assert via_curl(wl, "workspaces/list", "{}").json() == expected

    # "sampleapiworkspace-requests" was 18 on the recorded instance, whose id 17 went to a
    # workspace the recording never shows; here it is the next id
    freeze_at(mockserver, "2024-07-11T16:59:52.473312+00:00")
    example_workspace_id = via_requests(wl, "workspaces/create",
                                        {"workspace_name": "sampleapiworkspace-requests"})["workspace_id"]
    assert example_workspace_id == 17
    assert via_requests(wl, "workspaces/list", {})["workspaces"][-1] == {
        "id": 17, "name": "sampleapiworkspace-requests", "created_at": "2024-07-11T16:59:52.473312+00:00",
        "created_by": HUMMEL, "archived": False, "models": [], "pipelines": []}

    # Add User to Workspace via Requests, then the same via curl (a silent upsert)
    assert via_requests(wl, "workspaces/add_user",
                        {"email": "john.hansarick@wallaroo.ai", "workspace_id": example_workspace_id}) == {}
    response = via_curl(wl, "workspaces/add_user",
                        f'{{"email": "john.hansarick@wallaroo.ai","workspace_id": {example_workspace_id}}}')
    assert (response.status_code, response.json()) == (200, {})

    # List Users in a Workspace via Requests and via curl
    members = translated(SEED_001_MEMBERS, SEED_001_IDS)
    assert via_requests(wl, "workspaces/list_users", {"workspace_id": example_workspace_id}) == members
    assert via_curl(wl, "workspaces/list_users", f'{{"workspace_id": {example_workspace_id}}}').json() == members

    # Remove User via Requests (1 row), list, remove again via curl (0 rows), list
    assert via_requests(wl, "workspaces/remove_user",
                        {"email": "john.hansarick@wallaroo.ai", "workspace_id": example_workspace_id}) == {
        "affected_rows": 1}
    after = translated(SEED_001_MEMBERS_AFTER_REMOVE, SEED_001_IDS)
    assert via_requests(wl, "workspaces/list_users", {"workspace_id": example_workspace_id}) == after
    response = via_curl(wl, "workspaces/remove_user",
                        f'{{"email": "john.hansarick@wallaroo.ai","workspace_id": {example_workspace_id}}}')
    assert (response.status_code, response.text) == (200, '{"affected_rows":0}')
    assert via_curl(wl, "workspaces/list_users", f'{{"workspace_id": {example_workspace_id}}}').json() == after


# == seed 002: user management ====================================================================
ACCESS = {"view": True, "manage": True, "manageGroupMembership": True, "mapRoles": True, "impersonate": False}
SEED_002_ALL_USERS = {"users": {
    "12ea09d1-0f49-405e-bed1-27eb6d10fde4": {
        "access": ACCESS, "createdTimestamp": 1700496282637, "disableableCredentialTypes": [],
        "email": "john.hummel@wallaroo.ai", "emailVerified": False, "enabled": True, "firstName": "John",
        "id": "12ea09d1-0f49-405e-bed1-27eb6d10fde4", "lastName": "Hansarick", "notBefore": 0,
        "requiredActions": [], "username": "john.hummel@wallaroo.ai"},
    "57d61aed-3058-4327-9e65-a5d39a9718c0": {
        "access": ACCESS, "createdTimestamp": 1701202186276, "disableableCredentialTypes": [],
        "email": "john.hansarick@wallaroo.ai", "emailVerified": True, "enabled": True, "firstName": "John",
        "id": "57d61aed-3058-4327-9e65-a5d39a9718c0", "lastName": "Hansarick", "notBefore": 0,
        "requiredActions": [], "username": "john.hansarick@wallaroo.ai"},
    "1bc88c6d-b476-4e4d-aa1a-a5a3554591d3": {
        "access": ACCESS, "createdTimestamp": 1700495081278, "disableableCredentialTypes": [],
        "emailVerified": False, "enabled": True, "id": "1bc88c6d-b476-4e4d-aa1a-a5a3554591d3", "notBefore": 0,
        "requiredActions": [], "username": "admin"},
}}
SEED_002_ONE_USER = json.loads("""{
"users": {
"57d61aed-3058-4327-9e65-a5d39a9718c0": {
"access": {"manageGroupMembership": true, "mapRoles": true, "impersonate": false, "view": true, "manage": true},
"createdTimestamp": 1701202186276,
"disableableCredentialTypes": [],
"email": "john.hansarick@wallaroo.ai",
"emailVerified": true,
"enabled": true,
"federatedIdentities": [],
"firstName": "John",
"id": "57d61aed-3058-4327-9e65-a5d39a9718c0",
"lastName": "Hansarick",
"notBefore": 0,
"requiredActions": [],
"username": "john.hansarick@wallaroo.ai"
}
}
}""")
# Seed 002 was recorded on an older server: the users tutorial's later recording (2024.4, see
# docs/wallaroo.md section 2) adds lastLogin to every user of users/query and realmRoles to admins
# in a `{}` query, which we serve; the rest is compared with seed 002 exactly.
NEWER_KEYS = ("lastLogin", "realmRoles")


def as_seed_002(answer: dict) -> dict:
    return {"users": {user_id: {key: value for key, value in user.items() if key not in NEWER_KEYS}
                      for user_id, user in answer["users"].items()}}


NO_EMAIL_ERROR = ('cannot proceed to insert array relations since insert to table \\"workspace\\" affects zero rows')


@TUTORIAL
def test_seed_002_user_management(mockserver, tutorial_client):
    wl = tutorial_client()

    # Get Users via Requests and via curl: exactly the recorded map
    response = via_requests(wl, "users/query", {})
    assert as_seed_002(response) == SEED_002_ALL_USERS
    assert as_seed_002(via_curl(wl, "users/query", "{}").json()) == SEED_002_ALL_USERS
    newer = {user_id: {key: user.get(key, "absent") for key in NEWER_KEYS} for user_id, user in response["users"].items()}
    assert isinstance(newer[HUMMEL].pop("lastLogin"), int)  # logged in by the tutorial's wallaroo.Client()
    assert newer == {HUMMEL: {"realmRoles": ["admin"]},
                     HANSARICK: {"lastLogin": None, "realmRoles": "absent"},
                     KEYCLOAK_ADMIN: {"lastLogin": None, "realmRoles": ["admin"]}}

    # "get the 2nd user": the recorded order puts john.hansarick second, and so do we
    first_user = list(response["users"])[1]
    assert first_user == HANSARICK
    data = {"user_ids": [first_user]}
    assert as_seed_002(via_requests(wl, "users/query", data)) == SEED_002_ONE_USER
    assert as_seed_002(via_curl(wl, "users/query", json.dumps(data)).json()) == SEED_002_ONE_USER
    assert via_requests(wl, "users/query", data)["users"][HANSARICK]["lastLogin"] is None

    # Invite Users via Requests (no recorded output: the documented shape), then via curl,
    # which now finds the email taken
    invited = via_requests(wl, "users/invite", {"email": "example.person@wallaroo.ai", "password": "Example-Password"})
    assert list(invited) == ["id", "password"] and invited["password"] == "Example-Password"
    assert invited["id"] in via_requests(wl, "users/query", {})["users"]
    response = via_curl(wl, "users/invite", '{"email": "example.person@wallaroo.ai","password":"Example-Password"}')
    assert response.status_code == 400
    assert response.json() == {
        "msg": "Bad request: a user with the email 'example.person@wallaroo.ai' already exists.", "code": 400}

    # Deactivate, then Activate, each via Requests and via curl
    assert via_requests(wl, "users/deactivate", {"email": "john.hansarick@wallaroo.ai"}) == {}
    assert via_curl(wl, "users/deactivate", '{"email": "john.hansarick@wallaroo.ai"}').json() == {}
    assert mockserver.wallaroo.find_user(HANSARICK).enabled is False
    assert via_requests(wl, "users/activate", {"email": "john.hansarick@wallaroo.ai"}) == {}
    assert via_curl(wl, "users/activate", '{"email": "john.hansarick@wallaroo.ai"}').json() == {}
    assert via_requests(wl, "users/query", {"user_ids": [HANSARICK]})["users"][HANSARICK]["enabled"] is True


@TUTORIAL
def test_seed_002_troubleshooting_user_without_email(mockserver, tutorial_client):
    """"registered without an appropriate email address": creating a workspace fails."""
    wl = tutorial_client("admin", "admin")
    assert wl.auth.user_email() == "admin@keycloak"  # the SDK's stand-in for a missing email
    response = via_curl(wl, "workspaces/create", '{"workspace_name": "admins-workspace"}')
    assert response.status_code == 400
    assert NO_EMAIL_ERROR in response.json()["msg"] and response.json()["code"] == 400
    with pytest.raises(Exception, match="Failed to create workspace."):
        wl.create_workspace("admins-workspace")
    assert [w["id"] for w in via_requests(wl, "workspaces/list", {})["workspaces"]] == [8, 14]


@TUTORIAL
def test_tutorial_scenario_passwords_and_roles(mockserver, tutorial_client):
    """The documented passwords log in; john.hansarick is a regular user with no workspace."""
    hansarick = tutorial_client("john.hansarick@wallaroo.ai", "hansarick-password")
    assert via_requests(hansarick, "workspaces/list", {}) == {"workspaces": []}
    response = via_curl(hansarick, "users/invite", '{"email": "someone@wallaroo.ai"}')
    assert response.status_code == 401
    admin = tutorial_client("admin", "admin")
    assert admin.auth.user_id() == KEYCLOAK_ADMIN


# == seed 000: the older workspace tutorial (2022) ====================================================
SEED_000_CALLER = "5e9c9a2b-7a7f-454a-b8e7-91e3c2d86c9f"
SEED_000_NEW_USER = "da7c2f4c-822e-49eb-93d7-a4b90af9b4ca"
SEED_000_LIST = {"workspaces": [
    {"id": 1, "name": "john.hansarick@wallaroo.ai - Default Workspace", "created_at": "2022-11-23T16:34:47.914362+00:00",
     "created_by": SEED_000_CALLER, "archived": False, "models": [], "pipelines": []},
    {"id": 2, "name": "alohaworkspace", "created_at": "2022-11-23T16:44:28.782225+00:00",
     "created_by": SEED_000_CALLER, "archived": False, "models": [1], "pipelines": [1]},
    {"id": 4, "name": "testapiworkspace-cdf86c3c-8c9a-4bf4-865d-fe0ec00fad7c",
     "created_at": "2022-11-28T16:48:29.622794+00:00", "created_by": SEED_000_CALLER, "archived": False,
     "models": [2, 3, 5, 4, 6, 7, 8, 9], "pipelines": []},
]}


def seed_000_scenario() -> dict[str, Any]:
    """The first recorded instance: the caller owns workspaces 1, 2 and 4; newUser exists."""
    owner = [{"user": SEED_000_CALLER, "user_type": "OWNER"}]
    return {"name": "seed-000", "wallaroo": {
        "users": [
            {"id": SEED_000_CALLER, "username": "john.hansarick@wallaroo.ai", "email": "john.hansarick@wallaroo.ai",
             "password": "pw", "admin": True, "default_workspace": False},
            {"id": SEED_000_NEW_USER, "username": "new.user@wallaroo.ai", "email": "new.user@wallaroo.ai",
             "default_workspace": False},
        ],
        "workspaces": [{**item, "members": owner} for item in SEED_000_LIST["workspaces"]],
    }}


@pytest.mark.mockserver_scenario(seed_000_scenario())
def test_seed_000_list_add_list_remove(mockserver):
    headers = {"Authorization": f"Bearer {mockserver.wallaroo.issue_token(SEED_000_CALLER)}"}

    def post(action: str, data: dict[str, Any]) -> Any:
        response = requests.post(f"{mockserver.url}/v1/api/{action}", json=data, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    # List workspaces by user id, then all: both exactly the recorded list
    assert post("workspaces/list", {"user_id": SEED_000_CALLER}) == SEED_000_LIST
    assert post("workspaces/list", {}) == SEED_000_LIST

    example_workspace_id = post("workspaces/create", {
        "workspace_name": "testapiworkspace-e9e386a7-8146-4ead-b4c6-a2580af70083"})["workspace_id"]
    assert example_workspace_id == 5
    assert post("workspaces/add_user", {"email": "new.user@wallaroo.ai", "workspace_id": example_workspace_id}) == {}
    assert post("workspaces/list_users", {"workspace_id": example_workspace_id}) == {"users": [
        {"user_id": SEED_000_CALLER, "user_type": "OWNER"}, {"user_id": SEED_000_NEW_USER, "user_type": "COLLABORATOR"}]}
    assert post("workspaces/remove_user", {"email": "new.user@wallaroo.ai", "workspace_id": example_workspace_id}) == {
        "affected_rows": 1}
    assert post("workspaces/list_users", {"workspace_id": example_workspace_id}) == {"users": [
        {"user_id": SEED_000_CALLER, "user_type": "OWNER"}]}


SEED_000_SECOND_CALLER = "01a797f9-1357-4506-a4d2-8ab9c4681103"
SEED_000_SECOND_LIST = {"workspaces": [
    {"id": 15, "name": "john.hansarick@wallaroo.ai - Default Workspace", "created_at": "2022-12-16T20:23:23.150058+00:00",
     "created_by": SEED_000_SECOND_CALLER, "archived": False, "models": [], "pipelines": []},
    {"id": 28, "name": "alohaworkspace", "created_at": "2022-12-16T21:00:01.614796+00:00",
     "created_by": SEED_000_SECOND_CALLER, "archived": False, "models": [2], "pipelines": [4]},
    {"id": 29, "name": "abtestworkspace", "created_at": "2022-12-16T21:03:08.785538+00:00",
     "created_by": SEED_000_SECOND_CALLER, "archived": False, "models": [3, 5, 4, 6], "pipelines": [6]},
    {"id": 618487, "name": "sdkquickworkspace", "created_at": "2022-12-20T15:56:22.088161+00:00",
     "created_by": SEED_000_SECOND_CALLER, "archived": False, "models": [48], "pipelines": [76]},
    {"id": 618489, "name": "testapiworkspace-e9e386a7-8146-4ead-b4c6-a2580af70083",
     "created_at": "2022-12-20T19:34:30.392835+00:00", "created_by": SEED_000_SECOND_CALLER, "archived": False,
     "models": [], "pipelines": []},
]}


def seed_000_second_scenario() -> dict[str, Any]:
    """The second recorded instance (a SaaS one with large ids), before the create."""
    owner = [{"user": SEED_000_SECOND_CALLER, "user_type": "OWNER"}]
    return {"name": "seed-000-saas", "wallaroo": {
        "users": [{"id": SEED_000_SECOND_CALLER, "username": "john.hansarick@wallaroo.ai",
                   "email": "john.hansarick@wallaroo.ai", "password": "pw", "admin": True,
                   "default_workspace": False}],
        "workspaces": [{**item, "members": owner} for item in SEED_000_SECOND_LIST["workspaces"][:-1]],
        "next_workspace_id": 618489,
    }}


@pytest.mark.mockserver_scenario(seed_000_second_scenario())
def test_seed_000_create_then_list_on_an_instance_with_large_ids(mockserver):
    headers = {"Authorization": f"Bearer {mockserver.wallaroo.issue_token(SEED_000_SECOND_CALLER)}"}
    freeze_at(mockserver, "2022-12-20T19:34:30.392835+00:00")
    response = requests.post(f"{mockserver.url}/v1/api/workspaces/create", headers=headers,
                             json={"workspace_name": "testapiworkspace-e9e386a7-8146-4ead-b4c6-a2580af70083"})
    assert (response.status_code, response.json()) == (200, {"workspace_id": 618489})
    response = requests.post(f"{mockserver.url}/v1/api/workspaces/list", json={}, headers=headers)
    assert response.json() == SEED_000_SECOND_LIST


def test_loading_the_tutorial_scenario_inside_a_test(mockserver):
    """The other way in: load it for this test only; the next reset is back to the default."""
    mockserver.load_scenarios(["wallaroo-tutorial"], replace=True, as_baseline=False)
    assert mockserver.wallaroo.find_user("john.hummel@wallaroo.ai") is not None
    assert mockserver.wallaroo.data.next_workspace_id == 15
    mockserver.reset()
    assert mockserver.wallaroo.find_user("john.hummel@wallaroo.ai") is None
    assert mockserver.wallaroo.find_user("developer@example.com") is not None
