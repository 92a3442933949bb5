"""Workspace endpoints: list, create, add_user, list_users, remove_user, validate.

Each behaviour and each error is checked through plain HTTP and through the vendor's
generated client (``wallaroo.wallaroo_ml_ops_api_client``), whose 400/401/500 models
must parse our bodies. A rejected request must leave the store unchanged.
"""

from __future__ import annotations

import importlib
import re
import string
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
import requests
from hypothesis import HealthCheck, given, settings, strategies as st
from wallaroo.wallaroo_ml_ops_api_client.api.workspace import (
    workspaces_add_user,
    workspaces_create,
    workspaces_list,
    workspaces_list_users,
    workspaces_remove_user,
    workspaces_validate,
)
from wallaroo.wallaroo_ml_ops_api_client.models import (
    WorkspacesAddUserBody,
    WorkspacesAddUserResponse200,
    WorkspacesCreateBody,
    WorkspacesCreateResponse200,
    WorkspacesListBody,
    WorkspacesListResponse200,
    WorkspacesListResponse200WorkspacesItem,
    WorkspacesListUsersBody,
    WorkspacesListUsersResponse200,
    WorkspacesRemoveUserBody,
    WorkspacesRemoveUserResponse200,
    WorkspacesValidateResponse200Type0,
    WorkspacesValidateResponse401,
)

from conftest import WallarooCaller, DEVELOPER_ID

ITEM_KEYS = ["id", "name", "created_at", "created_by", "archived", "models", "pipelines"]
KEYCLOAK_MISSING_USER = "Failed to find user in Keycloak: No user was found in Keycloak."


@pytest.fixture
def admin(mockserver, wallaroo_caller) -> WallarooCaller:
    return wallaroo_caller("developer@example.com")


@pytest.fixture
def keycloak_admin(mockserver, wallaroo_caller) -> WallarooCaller:
    return wallaroo_caller("admin")


@pytest.fixture
def alice(mockserver, wallaroo_caller) -> WallarooCaller:
    """A regular (non-admin) user with an email and a default workspace."""
    mockserver.wallaroo.add_user(username="alice@example.com", email="alice@example.com", password="alice-pw")
    return wallaroo_caller("alice@example.com")


@pytest.fixture
def bob(mockserver, wallaroo_caller) -> WallarooCaller:
    mockserver.wallaroo.add_user(username="bob@example.com", email="bob@example.com", password="bob-pw")
    return wallaroo_caller("bob@example.com")


def wallaroo_state(server) -> dict[str, Any]:
    return server.export_state()["wallaroo"]


def names(listing: dict[str, Any]) -> list[str]:
    return [item["name"] for item in listing["workspaces"]]


# -- create and list ------------------------------------------------------------------
def test_create_returns_the_next_small_id_and_list_shows_the_full_item(mockserver, admin):
    mockserver.clock.freeze(at=datetime(2024, 7, 11, 16, 53, 30, 25610, tzinfo=timezone.utc).timestamp())
    assert admin.ok("workspaces/create", {"workspace_name": "team-a"}) == {"workspace_id": 2}
    listing = admin.ok("workspaces/list", {})
    assert listing == {"workspaces": [
        {"id": 1, "name": "developer@example.com - Default Workspace", "created_at": "2025-01-01T00:00:01+00:00",
         "created_by": "developer@example.com", "archived": False, "models": [], "pipelines": []},
        {"id": 2, "name": "team-a", "created_at": "2024-07-11T16:53:30.02561+00:00", "created_by": DEVELOPER_ID,
         "archived": False, "models": [], "pipelines": []},
    ]}
    for item in listing["workspaces"]:
        assert list(item) == ITEM_KEYS
        assert datetime.fromisoformat(item["created_at"]).utcoffset() is not None


def test_ids_are_sequential_and_listing_is_ordered_by_id(mockserver, admin):
    mockserver.wallaroo.add_workspace(id=40, name="imported", members=[{"user": "developer@example.com"}])
    created = [admin.ok("workspaces/create", {"workspace_name": f"ws-{n}"})["workspace_id"] for n in range(3)]
    assert created == [41, 42, 43]
    assert [item["id"] for item in admin.ok("workspaces/list", {})["workspaces"]] == [1, 40, 41, 42, 43]


def test_create_and_list_through_the_generated_client(admin):
    created = workspaces_create.sync_detailed(client=admin.client, body=WorkspacesCreateBody(workspace_name="gen-ws"))
    assert created.status_code == 200
    assert isinstance(created.parsed, WorkspacesCreateResponse200) and created.parsed.workspace_id == 2
    listed = workspaces_list.sync_detailed(client=admin.client, body=WorkspacesListBody())
    assert listed.status_code == 200 and isinstance(listed.parsed, WorkspacesListResponse200)
    assert all(isinstance(item, WorkspacesListResponse200WorkspacesItem) for item in listed.parsed.workspaces)
    item = listed.parsed.workspaces[-1]
    assert (item.id, item.name, item.created_by, item.archived, item.models, item.pipelines) == (
        2, "gen-ws", DEVELOPER_ID, False, [], [])
    assert item.additional_properties == {}


def test_creator_becomes_owner(admin):
    workspace_id = admin.ok("workspaces/create", {"workspace_name": "owned"})["workspace_id"]
    assert admin.ok("workspaces/list_users", {"workspace_id": workspace_id}) == {
        "users": [{"user_id": DEVELOPER_ID, "user_type": "OWNER"}]}


def test_uppercase_names_are_accepted(admin):
    """The SDK's rule allows uppercase, and a real instance held a workspace named 'Test'."""
    assert admin.post("workspaces/create", {"workspace_name": "Test"}).status_code == 200


def test_admin_sees_all_and_others_their_memberships(admin, alice, bob):
    alice_ws = alice.ok("workspaces/create", {"workspace_name": "alice-team"})["workspace_id"]
    bob.ok("workspaces/create", {"workspace_name": "bob-team"})
    assert names(admin.ok("workspaces/list", {})) == [
        "developer@example.com - Default Workspace", "alice@example.com - Default Workspace",
        "bob@example.com - Default Workspace", "alice-team", "bob-team"]
    assert names(alice.ok("workspaces/list", {})) == ["alice@example.com - Default Workspace", "alice-team"]
    admin.ok("workspaces/add_user", {"workspace_id": alice_ws, "email": "bob@example.com"})
    assert names(bob.ok("workspaces/list", {})) == [
        "bob@example.com - Default Workspace", "alice-team", "bob-team"]


def test_user_filter_in_both_historical_forms(mockserver, admin, alice, bob):
    alice_id = mockserver.wallaroo.find_user("alice@example.com").id
    bob_id = mockserver.wallaroo.find_user("bob@example.com").id
    alice.ok("workspaces/create", {"workspace_name": "alice-team"})
    expected = ["alice@example.com - Default Workspace", "alice-team"]
    assert names(admin.ok("workspaces/list", {"user_id": alice_id})) == expected
    assert names(admin.ok("workspaces/list", {"user_ids": [alice_id]})) == expected
    assert names(admin.ok("workspaces/list", {"user_ids": [alice_id, bob_id]})) == [
        "alice@example.com - Default Workspace", "bob@example.com - Default Workspace", "alice-team"]
    assert admin.ok("workspaces/list", {"user_id": None}) == admin.ok("workspaces/list", {})
    assert admin.ok("workspaces/list", {"user_id": "no-such-user"}) == {"workspaces": []}
    listed = workspaces_list.sync_detailed(client=admin.client, body=WorkspacesListBody(user_id=alice_id))
    assert [item.name for item in listed.parsed.workspaces] == expected


def test_user_filter_of_a_non_admin_stays_within_what_they_can_see(mockserver, alice, bob):
    bob_id = mockserver.wallaroo.find_user("bob@example.com").id
    assert alice.ok("workspaces/list", {"user_id": bob_id}) == {"workspaces": []}


# -- members ----------------------------------------------------------------------------
def test_add_list_remove_members(mockserver, admin, alice):
    alice_id = mockserver.wallaroo.find_user("alice@example.com").id
    workspace_id = admin.ok("workspaces/create", {"workspace_name": "shared"})["workspace_id"]
    assert admin.ok("workspaces/add_user", {"email": "alice@example.com", "workspace_id": workspace_id}) == {}
    members = {"users": [{"user_id": DEVELOPER_ID, "user_type": "OWNER"},
                         {"user_id": alice_id, "user_type": "COLLABORATOR"}]}
    assert admin.ok("workspaces/list_users", {"workspace_id": workspace_id}) == members
    assert alice.ok("workspaces/list_users", {"workspace_id": workspace_id}) == members  # members may look

    assert admin.ok("workspaces/remove_user", {"email": "alice@example.com", "workspace_id": workspace_id}) == {
        "affected_rows": 1}
    assert admin.ok("workspaces/remove_user", {"email": "alice@example.com", "workspace_id": workspace_id}) == {
        "affected_rows": 0}
    assert admin.ok("workspaces/list_users", {"workspace_id": workspace_id}) == {
        "users": [{"user_id": DEVELOPER_ID, "user_type": "OWNER"}]}


def test_remove_by_user_id(mockserver, admin, alice):
    alice_id = mockserver.wallaroo.find_user("alice@example.com").id
    admin.ok("workspaces/add_user", {"user_id": alice_id, "workspace_id": 1})
    assert admin.ok("workspaces/remove_user", {"user_id": alice_id, "workspace_id": 1}) == {"affected_rows": 1}
    assert admin.ok("workspaces/remove_user", {"user_id": alice_id, "workspace_id": 1}) == {"affected_rows": 0}
    assert admin.ok("workspaces/remove_user", {"user_id": "not-a-user", "workspace_id": 1}) == {"affected_rows": 0}


def test_re_adding_is_a_silent_upsert_of_the_user_type(mockserver, admin, alice):
    alice_id = mockserver.wallaroo.find_user("alice@example.com").id
    admin.ok("workspaces/add_user", {"email": "alice@example.com", "workspace_id": 1})
    assert admin.ok("workspaces/add_user", {"email": "alice@example.com", "workspace_id": 1}) == {}
    # what ws.add_user in the SDK sends: all five fields, the type in lowercase
    assert admin.ok("workspaces/add_user", {"email": "alice@example.com", "workspace_id": 1, "user_id": alice_id,
                                            "url": "http://localhost:3000", "user_type": "owner"}) == {}
    assert admin.ok("workspaces/list_users", {"workspace_id": 1}) == {"users": [
        {"user_id": DEVELOPER_ID, "user_type": "OWNER"}, {"user_id": alice_id, "user_type": "OWNER"}]}


def test_members_through_the_generated_client(mockserver, admin, alice):
    alice_id = mockserver.wallaroo.find_user("alice@example.com").id
    added = workspaces_add_user.sync_detailed(
        client=admin.client, body=WorkspacesAddUserBody(workspace_id=1, email="alice@example.com",
                                                        url="http://localhost:3000", user_type="COLLABORATOR"))
    assert added.status_code == 200 and isinstance(added.parsed, WorkspacesAddUserResponse200)
    listed = workspaces_list_users.sync_detailed(client=admin.client, body=WorkspacesListUsersBody(workspace_id=1))
    assert listed.status_code == 200 and isinstance(listed.parsed, WorkspacesListUsersResponse200)
    assert [(u.user_id, u.user_type) for u in listed.parsed.users] == [(DEVELOPER_ID, "OWNER"),
                                                                       (alice_id, "COLLABORATOR")]
    for expected in (1, 0):
        removed = workspaces_remove_user.sync_detailed(
            client=admin.client, body=WorkspacesRemoveUserBody(workspace_id=1, user_id=alice_id))
        assert removed.status_code == 200 and isinstance(removed.parsed, WorkspacesRemoveUserResponse200)
        assert removed.parsed.affected_rows == expected


def test_validate(admin, alice):
    response = admin.post("workspaces/validate")  # the generated client sends no body at all
    assert (response.status_code, response.json()) == (200, {})
    parsed = workspaces_validate.sync_detailed(client=admin.client)
    assert parsed.status_code == 200 and isinstance(parsed.parsed, WorkspacesValidateResponse200Type0)
    refused = workspaces_validate.sync_detailed(client=alice.client)
    assert refused.status_code == 401 and isinstance(refused.parsed, WorkspacesValidateResponse401)


# -- permissions -------------------------------------------------------------------------
def test_only_owners_and_admins_change_members(mockserver, admin, alice, bob):
    workspace_id = alice.ok("workspaces/create", {"workspace_name": "alice-team"})["workspace_id"]
    msg_member = f"A permissions error occurred: you are not a member of workspace {workspace_id}."
    msg_owner = (f"A permissions error occurred: only an OWNER of workspace {workspace_id} (or an admin) "
                 "may change its members.")
    body = {"workspace_id": workspace_id, "email": "bob@example.com"}
    for action in ("workspaces/add_user", "workspaces/remove_user"):
        response = bob.post(action, body)
        assert (response.status_code, response.json()) == (401, {"msg": msg_member, "code": 401})
    response = bob.post("workspaces/list_users", {"workspace_id": workspace_id})
    assert (response.status_code, response.json()) == (401, {"msg": msg_member, "code": 401})

    alice.ok("workspaces/add_user", body)  # the owner adds bob as a collaborator
    assert bob.post("workspaces/list_users", {"workspace_id": workspace_id}).status_code == 200
    for action in ("workspaces/add_user", "workspaces/remove_user"):
        response = bob.post(action, body)
        assert (response.status_code, response.json()) == (401, {"msg": msg_owner, "code": 401})
    assert admin.ok("workspaces/remove_user", body) == {"affected_rows": 1}  # admins manage any workspace


def test_names_are_unique_instance_wide_even_when_invisible(admin, alice):
    admin.ok("workspaces/create", {"workspace_name": "hidden-team"})
    assert "hidden-team" not in names(alice.ok("workspaces/list", {}))
    response = alice.post("workspaces/create", {"workspace_name": "hidden-team"})
    assert response.status_code == 400
    assert "workspace_name_key" in response.json()["msg"]


def test_user_without_email_cannot_create_a_workspace(keycloak_admin):
    response = keycloak_admin.post("workspaces/create", {"workspace_name": "from-admin"})
    assert response.status_code == 400
    assert response.json() == {"code": 400, "msg": (
        "Failed to create workspace: GraphQL error: [\"cannot proceed to insert array relations since insert to "
        "table \\\"workspace\\\" affects zero rows\"] (the calling user has no email address)")}
    assert "from-admin" not in names(keycloak_admin.ok("workspaces/list", {}))


# -- the error table, through both clients ------------------------------------------------
def invalid_name(name: str) -> str:
    return (f"Bad request: workspace name '{name}' is invalid: it must be DNS-compatible (ASCII letters, digits and "
            "dashes), start with a letter, not end with a dash, and be shorter than 64 characters.")


def bad_body(reason: str) -> str:
    return f"Failed to deserialize the JSON body into the target type: {reason}"


DUPLICATE = ("Failed to create workspace: GraphQL error: [\"Uniqueness violation. duplicate key value violates unique "
             "constraint \\\"workspace_name_key\\\"\"] (a workspace named 'developer@example.com - Default Workspace' "
             "already exists)")

ERROR_CASES = [
    ("workspaces/create", {"workspace_name": "Bad_Name"}, 400, invalid_name("Bad_Name")),
    ("workspaces/create", {"workspace_name": "9lives"}, 400, invalid_name("9lives")),
    ("workspaces/create", {"workspace_name": "trailing-"}, 400, invalid_name("trailing-")),
    ("workspaces/create", {"workspace_name": "a" * 64}, 400, invalid_name("a" * 64)),
    ("workspaces/create", {"workspace_name": ""}, 400, invalid_name("")),
    ("workspaces/create", {"workspace_name": "new\n"}, 400, invalid_name("new\n")),
    ("workspaces/create", {"workspace_name": "developer@example.com - Default Workspace"}, 400,
     invalid_name("developer@example.com - Default Workspace")),
    ("workspaces/create", {"workspace_name": 7}, 400, bad_body("workspace_name: expected a string, got integer")),
    ("workspaces/create", {"workspace_name": None}, 400, bad_body("workspace_name: must not be null")),
    ("workspaces/create", {}, 400, bad_body("workspace_name: missing required field")),
    ("workspaces/list", {"user_id": 5}, 400, bad_body("user_id: expected a string, got integer")),
    ("workspaces/list", {"user_ids": "abc"}, 400, bad_body("user_ids: expected an array, got string")),
    ("workspaces/list", {"user_ids": [1]}, 400, bad_body("user_ids[0]: expected a string, got integer")),
    ("workspaces/add_user", {"workspace_id": 99, "email": "developer@example.com"}, 400,
     "Bad request: workspace 99 was not found."),
    ("workspaces/add_user", {"workspace_id": 1, "email": "nobody@example.com"}, 500, KEYCLOAK_MISSING_USER),
    ("workspaces/add_user", {"workspace_id": 1, "user_id": "no-such-id"}, 500, KEYCLOAK_MISSING_USER),
    ("workspaces/add_user", {"workspace_id": 1}, 400, "Bad request: either email or user_id is required."),
    ("workspaces/add_user", {"workspace_id": 1, "email": None, "user_id": None}, 400,
     "Bad request: either email or user_id is required."),
    ("workspaces/add_user", {"workspace_id": 1, "email": "developer@example.com", "user_type": "VIEWER"}, 400,
     "Bad request: invalid user_type 'VIEWER'; expected OWNER or COLLABORATOR."),
    ("workspaces/add_user", {"workspace_id": "1", "email": "developer@example.com"}, 400,
     bad_body("workspace_id: expected an integer, got string")),
    ("workspaces/add_user", {"workspace_id": 1.0, "email": "developer@example.com"}, 400,
     bad_body("workspace_id: expected an integer, got number")),
    ("workspaces/add_user", {"workspace_id": -1, "email": "developer@example.com"}, 400,
     bad_body("workspace_id: must be at least 0, got -1")),
    ("workspaces/add_user", {"email": "developer@example.com"}, 400, bad_body("workspace_id: missing required field")),
    ("workspaces/list_users", {"workspace_id": 99}, 400, "Bad request: workspace 99 was not found."),
    ("workspaces/list_users", {"workspace_id": True}, 400, bad_body("workspace_id: expected an integer, got boolean")),
    ("workspaces/list_users", {}, 400, bad_body("workspace_id: missing required field")),
    ("workspaces/remove_user", {"workspace_id": 1, "email": "nobody@example.com"}, 500, KEYCLOAK_MISSING_USER),
    ("workspaces/remove_user", {"workspace_id": 1}, 400, "Bad request: either email or user_id is required."),
    ("workspaces/remove_user", {"workspace_id": 99, "user_id": DEVELOPER_ID}, 400,
     "Bad request: workspace 99 was not found."),
    ("workspaces/remove_user", {"workspace_id": 1, "email": 3}, 400, bad_body("email: expected a string, got integer")),
]


def generated(action: str):
    """The generated module and body model of an endpoint, by the client's naming scheme."""
    module_name = "workspaces_" + action.split("/")[1]
    module = importlib.import_module(f"wallaroo.wallaroo_ml_ops_api_client.api.workspace.{module_name}")
    models = importlib.import_module("wallaroo.wallaroo_ml_ops_api_client.models")
    prefix = "".join(part.capitalize() for part in module_name.split("_"))
    return module, getattr(models, f"{prefix}Body"), prefix, models


@pytest.mark.parametrize("action, body, status, msg", ERROR_CASES,
                         ids=[f"{case[0]}:{case[3][:40]}" for case in ERROR_CASES])
def test_error_table_over_plain_http(mockserver, admin, action, body, status, msg):
    before = wallaroo_state(mockserver)
    response = admin.post(action, body)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"msg": msg, "code": status}
    assert wallaroo_state(mockserver) == before


@pytest.mark.parametrize("action, body, status, msg", ERROR_CASES,
                         ids=[f"{case[0]}:{case[3][:40]}" for case in ERROR_CASES])
def test_error_table_through_the_generated_client(mockserver, admin, action, body, status, msg):
    """The vendor's client parses each error into its ``<Op>Response<status>`` model."""
    module, body_model, prefix, models = generated(action)
    try:
        request_body = body_model.from_dict(body)
    except KeyError:
        # the generated models cannot even build a body without its required member;
        # send it raw through the same client and parse the answer with its parser
        raw = admin.client.get_httpx_client().post(f"/v1/api/{action}", json=body)
        parsed = module._parse_response(client=admin.client, response=raw)
        status_code = raw.status_code
    else:
        response = module.sync_detailed(client=admin.client, body=request_body)
        parsed, status_code = response.parsed, response.status_code
    assert status_code == status
    assert isinstance(parsed, getattr(models, f"{prefix}Response{status}"))
    assert (parsed.msg, parsed.code) == (msg, status)


def test_duplicate_name_error(mockserver, admin):
    before = wallaroo_state(mockserver)
    response = admin.post("workspaces/create", {"workspace_name": "dup-name"})
    assert response.status_code == 200
    response = workspaces_create.sync_detailed(client=admin.client, body=WorkspacesCreateBody("dup-name"))
    assert response.status_code == 400
    assert response.parsed.msg == DUPLICATE.replace("developer@example.com - Default Workspace", "dup-name")
    assert len(wallaroo_state(mockserver)["workspaces"]) == len(before["workspaces"]) + 1


@pytest.mark.parametrize("raw, reason", [
    ("{", "Expecting property name enclosed in double quotes at line 1 column 2"),
    ("", "the request body is empty; a JSON object is required"),
    ("{\"workspace_name\": NaN}", "NaN is not valid JSON"),
])
def test_malformed_json_is_400(mockserver, admin, raw, reason):
    before = wallaroo_state(mockserver)
    response = admin.post("workspaces/create", raw=raw)
    assert response.status_code == 400
    assert response.json() == {"msg": f"Failed to parse the request body as JSON: {reason}", "code": 400}
    assert wallaroo_state(mockserver) == before


@pytest.mark.parametrize("raw", ["[]", "null", "\"text\"", "12"])
def test_non_object_body_is_400(admin, raw):
    response = admin.post("workspaces/list", raw=raw)
    assert response.status_code == 400
    assert response.json()["code"] == 400
    assert response.json()["msg"].startswith("Failed to deserialize the JSON body into the target type: invalid type")


def test_unknown_route_and_wrong_method_keep_the_error_shape(mockserver, admin):
    response = admin.post("workspaces/archive", {"workspace_id": 1})
    assert response.status_code == 404 and response.json()["code"] == 404 and "msg" in response.json()
    response = requests.get(f"{mockserver.url}/v1/api/workspaces/list")
    assert response.status_code == 405 and response.json()["code"] == 405 and "msg" in response.json()


def test_auth_is_checked_before_the_body(mockserver):
    response = requests.post(f"{mockserver.url}/v1/api/workspaces/create", data="{",
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 401


# -- naming rule as a property -----------------------------------------------------------------
NAME_ORACLE = re.compile(r"[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?")
NAME_ALPHABET = string.ascii_letters + string.digits + "-_. @é"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(alphabet=NAME_ALPHABET, max_size=70) | st.from_regex(r"[a-z][a-z0-9-]{0,70}", fullmatch=True))
def test_server_accepts_exactly_the_dns_compliant_names(mockserver, name):
    token = mockserver.wallaroo.issue_token("developer@example.com")
    existing = {workspace.name for workspace in mockserver.wallaroo.data.workspaces.values()}
    with httpx.Client(transport=mockserver.httpx_transport(), base_url="http://mock") as client:
        response = client.post("/v1/api/workspaces/create", json={"workspace_name": name},
                               headers={"Authorization": f"Bearer {token}"})
    if not (NAME_ORACLE.fullmatch(name) and len(name) < 64):
        assert (response.status_code, response.json()["msg"]) == (400, invalid_name(name))
    elif name in existing:  # hypothesis may try a name twice
        assert response.status_code == 400 and "workspace_name_key" in response.json()["msg"]
    else:
        assert response.status_code == 200, (name, response.text)
