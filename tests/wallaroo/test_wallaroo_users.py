"""User endpoints: users/query, users/invite, users/deactivate, users/activate and /v1/api/user.

Through plain HTTP and the vendor's generated client; every error is ``{"msg", "code"}``
with the status the generated client parses, and leaves the store unchanged.
"""

from __future__ import annotations

import importlib
import uuid
from typing import Any

import jwt
import pytest
import requests
from wallaroo.wallaroo_ml_ops_api_client.api.user import (
    users_activate,
    users_deactivate,
    users_edit,
    users_invite,
    users_query,
)
from wallaroo.wallaroo_ml_ops_api_client.models import (
    UsersActivateBody,
    UsersActivateResponse200,
    UsersDeactivateBody,
    UsersDeactivateResponse200,
    UsersDeactivateResponse500,
    UsersEditBody,
    UsersEditResponse200Type0,
    UsersInviteBody,
    UsersInviteResponse200,
    UsersInviteResponse401,
    UsersQueryBody,
    UsersQueryResponse200,
    UsersQueryResponse200UsersAdditionalPropertyType0,
)

from conftest import WallarooCaller, ADMIN_ID, DEVELOPER_ID, password_login

ACCESS = {"manageGroupMembership": True, "view": True, "mapRoles": True, "impersonate": False, "manage": True}


@pytest.fixture
def admin(mockserver, wallaroo_caller) -> WallarooCaller:
    return wallaroo_caller("developer@example.com")


@pytest.fixture
def alice(mockserver, wallaroo_caller) -> WallarooCaller:
    mockserver.wallaroo.add_user(id="a11ce000-0000-4000-8000-000000000001", username="alice@example.com",
                                 email="alice@example.com", password="alice-pw", first_name="Alice",
                                 created_timestamp=1700000000000)
    return wallaroo_caller("alice@example.com")


def login(server, username: str, password: str) -> requests.Response:
    return password_login(server.url, username, password)


def wallaroo_state(server) -> dict[str, Any]:
    return server.export_state()["wallaroo"]


# -- users/query -------------------------------------------------------------------------
def test_query_all_users_keyed_by_id(admin):
    users = admin.ok("users/query", {})["users"]
    assert users == {
        ADMIN_ID: {"access": ACCESS, "createdTimestamp": 1700495081278, "disableableCredentialTypes": [],
                   "emailVerified": False, "enabled": True, "id": ADMIN_ID, "lastLogin": None, "notBefore": 0,
                   "realmRoles": ["admin"], "requiredActions": [], "username": "admin"},
        DEVELOPER_ID: {"access": ACCESS, "createdTimestamp": 1735689601000, "disableableCredentialTypes": [],
                       "email": "developer@example.com", "emailVerified": True, "enabled": True, "firstName": "Dev",
                       "id": DEVELOPER_ID, "lastLogin": None, "lastName": "Eloper", "notBefore": 0,
                       "realmRoles": ["admin"], "requiredActions": [], "username": "developer@example.com"},
    }
    assert list(users[DEVELOPER_ID]) == sorted(users[DEVELOPER_ID])  # the recorded (alphabetical) key order


def test_query_lists_last_login_and_realm_roles_as_recorded(mockserver, admin, alice):
    """The users tutorial (2024.4): ``{}`` gives every user ``lastLogin`` (ms of the last password
    login, or null) and admins ``realmRoles: ["admin"]``; a query by id has ``lastLogin: null`` and
    no ``realmRoles``."""
    alice_id = "a11ce000-0000-4000-8000-000000000001"
    everyone = admin.ok("users/query", {})["users"]
    assert everyone[alice_id]["lastLogin"] is None and "realmRoles" not in everyone[alice_id]
    mockserver.clock.freeze(at=1720716932.504)
    tokens = login(mockserver, "alice@example.com", "alice-pw").json()
    assert admin.ok("users/query", {})["users"][alice_id]["lastLogin"] == 1720716932504
    mockserver.clock.advance(60)
    response = requests.post(f"{mockserver.url}/auth/realms/master/protocol/openid-connect/token",
                             data={"client_id": "sdk-client", "grant_type": "refresh_token",
                                   "refresh_token": tokens["refresh_token"]})
    assert response.status_code == 200
    assert admin.ok("users/query", {})["users"][alice_id]["lastLogin"] == 1720716932504  # a refresh is no login
    assert login(mockserver, "alice@example.com", "wrong").status_code == 401
    assert admin.ok("users/query", {})["users"][alice_id]["lastLogin"] == 1720716932504  # nor a failed one
    login(mockserver, "developer@example.com", "developer")
    by_id = admin.ok("users/query", {"user_ids": [DEVELOPER_ID, alice_id]})["users"]
    for user in by_id.values():
        assert user["lastLogin"] is None and "realmRoles" not in user and user["federatedIdentities"] == []
    # the Keycloak admin API has neither
    keycloak_user = requests.get(f"{mockserver.url}/auth/admin/realms/master/users/{alice_id}",
                                 headers={"Authorization": f"Bearer {admin.token}"}).json()
    assert "lastLogin" not in keycloak_user and "realmRoles" not in keycloak_user


def test_query_by_ids_adds_federated_identities_and_maps_unknown_ids_to_null(admin):
    users = admin.ok("users/query", {"user_ids": [DEVELOPER_ID, "no-such-id"]})["users"]
    assert list(users) == [DEVELOPER_ID, "no-such-id"]
    assert users["no-such-id"] is None
    assert users[DEVELOPER_ID]["federatedIdentities"] == []
    assert admin.ok("users/query", {"user_ids": []}) == {"users": {}}
    assert admin.ok("users/query", {"user_ids": None}) == admin.ok("users/query", {})


def test_query_through_the_generated_client(admin):
    response = users_query.sync_detailed(client=admin.client, body=UsersQueryBody(user_ids=[DEVELOPER_ID, "nope"]))
    assert response.status_code == 200 and isinstance(response.parsed, UsersQueryResponse200)
    users = response.parsed.users.additional_properties
    assert isinstance(users[DEVELOPER_ID], UsersQueryResponse200UsersAdditionalPropertyType0)
    assert users[DEVELOPER_ID]["email"] == "developer@example.com"
    assert users["nope"] is None
    everyone = users_query.sync_detailed(client=admin.client, body=UsersQueryBody())
    assert set(everyone.parsed.users.additional_properties) == {ADMIN_ID, DEVELOPER_ID}


def test_regular_users_may_query(alice):
    """The SDK's invite_user and get_email_by_id call it for any user."""
    assert len(alice.ok("users/query", {})["users"]) == 3


# -- users/invite ------------------------------------------------------------------------
def test_invite_without_roles_generates_a_password_and_a_default_workspace(mockserver, admin):
    mockserver.clock.freeze(at=1720716810.5)
    created = admin.ok("users/invite", {"email": "New.Person@Example.com"})
    assert list(created) == ["id", "password"]
    assert uuid.UUID(created["id"]).version == 4
    assert isinstance(created["password"], str) and len(created["password"]) >= 8

    user = admin.ok("users/query", {"user_ids": [created["id"]]})["users"][created["id"]]
    assert (user["username"], user["email"], user["enabled"], user["createdTimestamp"]) == (
        "new.person@example.com", "new.person@example.com", True, 1720716810500)
    workspaces = admin.ok("workspaces/list", {"user_id": created["id"]})["workspaces"]
    assert workspaces == [{"id": 2, "name": "new.person@example.com - Default Workspace",
                           "created_at": "2024-07-11T16:53:30.5+00:00", "created_by": "new.person@example.com",
                           "archived": False, "models": [], "pipelines": []}]
    assert admin.ok("workspaces/list_users", {"workspace_id": 2}) == {
        "users": [{"user_id": created["id"], "user_type": "OWNER"}]}

    response = login(mockserver, "new.person@example.com", created["password"])
    assert response.status_code == 200
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert claims["sub"] == created["id"] and claims["email"] == "new.person@example.com"


def test_invite_with_password_and_admin_role(mockserver, admin, wallaroo_caller):
    created = admin.ok("users/invite", {"email": "boss@example.com", "password": "Example-Password",
                                        "roles": ["admin"]})
    assert created["password"] == "Example-Password"
    boss = wallaroo_caller("boss@example.com")
    assert boss.ok("users/invite", {"email": "worker@example.com"})["id"]  # admins may invite


def test_invite_with_require_reset_blocks_password_login(mockserver, admin):
    admin.ok("users/invite", {"email": "reset@example.com", "password": "pw-1", "require_reset": True})
    response = login(mockserver, "reset@example.com", "pw-1")
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "Account is not fully set up"}


def test_a_user_removed_by_a_reset_is_never_impersonated_by_a_later_one(mockserver, admin, wallaroo_caller):
    """Ids of invited users are random: the next invite after a reset is someone else."""
    first = admin.ok("users/invite", {"email": "one@example.com", "password": "x"})["id"]
    old_token = mockserver.wallaroo.issue_token("one@example.com")
    mockserver.reset()
    admin = wallaroo_caller("developer@example.com")
    assert admin.ok("users/invite", {"email": "two@example.com", "password": "x"})["id"] != first
    response = requests.post(f"{mockserver.url}/v1/api/workspaces/list", json={},
                             headers={"Authorization": f"Bearer {old_token}"})
    assert response.status_code == 401
    assert response.json()["msg"] == "Jwt verification fails: the token's user does not exist"


def test_invite_through_the_generated_client(admin):
    response = users_invite.sync_detailed(client=admin.client,
                                          body=UsersInviteBody(email="gen@example.com", roles=[]))
    assert response.status_code == 200 and isinstance(response.parsed, UsersInviteResponse200)
    assert response.parsed.id and response.parsed.password


def test_non_admin_cannot_invite(mockserver, alice):
    before = wallaroo_state(mockserver)
    response = users_invite.sync_detailed(client=alice.client, body=UsersInviteBody(email="x@example.com", roles=[]))
    assert response.status_code == 401 and isinstance(response.parsed, UsersInviteResponse401)
    assert response.parsed.msg == "A permissions error occurred: this operation requires the admin role."
    assert wallaroo_state(mockserver) == before


# -- deactivate / activate ---------------------------------------------------------------
def test_deactivate_and_activate(mockserver, admin, alice):
    assert admin.ok("users/deactivate", {"email": "alice@example.com"}) == {}
    assert admin.ok("users/query", {"user_ids": [alice.server.wallaroo.find_user("alice@example.com").id]})[
        "users"]["a11ce000-0000-4000-8000-000000000001"]["enabled"] is False
    assert login(mockserver, "alice@example.com", "alice-pw").status_code == 400
    assert admin.ok("users/deactivate", {"email": "alice@example.com"}) == {}  # idempotent
    assert admin.ok("users/activate", {"email": "ALICE@example.com"}) == {}
    assert login(mockserver, "alice@example.com", "alice-pw").status_code == 200


def test_deactivate_and_activate_through_the_generated_client(admin, alice):
    response = users_deactivate.sync_detailed(client=admin.client, body=UsersDeactivateBody("alice@example.com"))
    assert response.status_code == 200 and isinstance(response.parsed, UsersDeactivateResponse200)
    response = users_activate.sync_detailed(client=admin.client, body=UsersActivateBody("alice@example.com"))
    assert response.status_code == 200 and isinstance(response.parsed, UsersActivateResponse200)
    response = users_deactivate.sync_detailed(client=admin.client, body=UsersDeactivateBody("testperson@example.com"))
    assert response.status_code == 500 and isinstance(response.parsed, UsersDeactivateResponse500)
    assert (response.parsed.msg, response.parsed.code) == ("error querying keycloak server", 500)


# -- /v1/api/user (edit) -------------------------------------------------------------------
def test_edit_user(mockserver, admin, alice):
    alice_id = "a11ce000-0000-4000-8000-000000000001"
    body = {"id": alice_id, "firstName": "Alicia", "lastName": "Liddell", "email": "alicia@example.com",
            "enabled": True, "isAdmin": True}
    assert admin.ok("user", body) == {}
    user = admin.ok("users/query", {"user_ids": [alice_id]})["users"][alice_id]
    assert (user["firstName"], user["lastName"], user["email"], user["username"]) == (
        "Alicia", "Liddell", "alicia@example.com", "alice@example.com")
    # the new email logs in, and so does the unchanged username; the new role shows in the token
    response = login(mockserver, "alicia@example.com", "alice-pw")
    assert response.status_code == 200
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert claims["https://hasura.io/jwt/claims"]["x-hasura-default-role"] == "admin_user"
    assert login(mockserver, "alice@example.com", "alice-pw").status_code == 200


def test_edit_through_the_generated_client_sends_camel_case(admin, alice):
    body = UsersEditBody(id="a11ce000-0000-4000-8000-000000000001", first_name="A", last_name="B",
                         email="alice@example.com", enabled=False, is_admin=False)
    response = users_edit.sync_detailed(client=admin.client, body=body)
    assert response.status_code == 200 and isinstance(response.parsed, UsersEditResponse200Type0)
    assert admin.ok("users/query", {"user_ids": [body.id]})["users"][body.id]["enabled"] is False


# -- the error table, through both clients ---------------------------------------------------
def bad_body(reason: str) -> str:
    return f"Failed to deserialize the JSON body into the target type: {reason}"


NOT_ADMIN = "A permissions error occurred: this operation requires the admin role."
EDIT_OK = {"id": "a11ce000-0000-4000-8000-000000000001", "firstName": "A", "lastName": "B",
           "email": "alice@example.com", "enabled": True, "isAdmin": False}

# (path, caller, body, status, msg)
ERROR_CASES = [
    ("users/query", "admin", {"user_ids": "x"}, 400, bad_body("user_ids: expected an array, got string")),
    ("users/query", "admin", {"user_ids": [1]}, 400, bad_body("user_ids[0]: expected a string, got integer")),
    ("users/invite", "admin", {"email": "developer@example.com"}, 400,
     "Bad request: a user with the email 'developer@example.com' already exists."),
    ("users/invite", "admin", {"email": "Developer@Example.com", "roles": []}, 400,
     "Bad request: a user with the email 'Developer@Example.com' already exists."),
    ("users/invite", "admin", {"email": "not-an-email", "roles": []}, 400,
     "Bad request: 'not-an-email' is not a valid email address."),
    ("users/invite", "admin", {"email": "a\u0000b@example.com"}, 400,
     "Bad request: 'a\u0000b@example.com' is not a valid email address."),
    ("users/invite", "admin", {"roles": []}, 400, bad_body("email: missing required field")),
    ("users/invite", "admin", {"email": "x@example.com", "roles": "admin"}, 400,
     bad_body("roles: expected an array, got string")),
    ("users/invite", "admin", {"email": "x@example.com", "roles": [], "require_reset": "yes"}, 400,
     bad_body("require_reset: expected a boolean, got string")),
    ("users/invite", "alice", {"email": "x@example.com", "roles": []}, 401, NOT_ADMIN),
    ("users/deactivate", "admin", {"email": "testperson@example.com"}, 500, "error querying keycloak server"),
    ("users/activate", "admin", {"email": "testperson@example.com"}, 500, "error querying keycloak server"),
    ("users/deactivate", "admin", {"email": "admin"}, 500, "error querying keycloak server"),
    ("users/deactivate", "admin", {}, 400, bad_body("email: missing required field")),
    ("users/activate", "admin", {"email": None}, 400, bad_body("email: must not be null")),
    ("users/deactivate", "alice", {"email": "developer@example.com"}, 401, NOT_ADMIN),
    ("users/activate", "alice", {"email": "alice@example.com"}, 401, NOT_ADMIN),
    ("user", "admin", {**EDIT_OK, "id": "nope"}, 400, "Bad request: no user with the id 'nope' was found."),
    ("user", "admin", {**EDIT_OK, "email": "bad"}, 400, "Bad request: 'bad' is not a valid email address."),
    ("user", "admin", {**EDIT_OK, "email": "developer@example.com"}, 400,
     "Bad request: a user with the email 'developer@example.com' already exists."),
    ("user", "admin", {**EDIT_OK, "enabled": "true"}, 400, bad_body("enabled: expected a boolean, got string")),
    ("user", "admin", {key: value for key, value in EDIT_OK.items() if key != "isAdmin"}, 400,
     bad_body("isAdmin: missing required field")),
    ("user", "admin", {**{k: v for k, v in EDIT_OK.items() if k != "firstName"}, "first_name": "A"}, 400,
     bad_body("firstName: missing required field")),
    ("user", "alice", EDIT_OK, 401, NOT_ADMIN),
]
IDS = [f"{case[0]}:{case[1]}:{case[4][:40]}" for case in ERROR_CASES]


def generated(path: str):
    module_name = "users_edit" if path == "user" else path.replace("/", "_")
    module = importlib.import_module(f"wallaroo.wallaroo_ml_ops_api_client.api.user.{module_name}")
    models = importlib.import_module("wallaroo.wallaroo_ml_ops_api_client.models")
    prefix = "".join(part.capitalize() for part in module_name.split("_"))
    return module, getattr(models, f"{prefix}Body"), prefix, models


@pytest.mark.parametrize("path, who, body, status, msg", ERROR_CASES, ids=IDS)
def test_error_table_over_plain_http(mockserver, admin, alice, path, who, body, status, msg):
    caller = {"admin": admin, "alice": alice}[who]
    before = wallaroo_state(mockserver)
    response = caller.post(path, body)
    assert response.status_code == status
    assert response.json() == {"msg": msg, "code": status}
    assert wallaroo_state(mockserver) == before


@pytest.mark.parametrize("path, who, body, status, msg", ERROR_CASES, ids=IDS)
def test_error_table_through_the_generated_client(mockserver, admin, alice, path, who, body, status, msg):
    caller = {"admin": admin, "alice": alice}[who]
    module, body_model, prefix, models = generated(path)
    try:
        request_body = body_model.from_dict(body)
    except KeyError:  # the model cannot be built without a required member: send it raw, parse it
        raw = caller.client.get_httpx_client().post("/v1/api/" + path, json=body)
        status_code, parsed = raw.status_code, module._parse_response(client=caller.client, response=raw)
    else:
        response = module.sync_detailed(client=caller.client, body=request_body)
        status_code, parsed = response.status_code, response.parsed
    assert status_code == status
    assert isinstance(parsed, getattr(models, f"{prefix}Response{status}"))
    assert (parsed.msg, parsed.code) == (msg, status)
