"""Keycloak's admin user API as python-keycloak's ``KeycloakAdmin`` drives it, on the same store as
``users/invite``: count, create (201 + Location, 409), delete, reset password, realm role mappings."""

from __future__ import annotations

import json

import pytest
import requests
from conftest import TOKEN_PATH
from keycloak import KeycloakAdmin, KeycloakOpenID
from keycloak.exceptions import KeycloakDeleteError, KeycloakGetError, KeycloakPostError, KeycloakPutError

pytestmark = pytest.mark.filterwarnings("error")


def admin_client(server, username: str = "admin", password: str = "admin") -> KeycloakAdmin:
    return KeycloakAdmin(server_url=f"{server.url}/auth/", username=username, password=password,
                         realm_name="master")


def openid(server) -> KeycloakOpenID:
    return KeycloakOpenID(server_url=f"{server.url}/auth/", realm_name="master", client_id="sdk-client")


def mlops(server, path: str, body: dict, user: str = "developer@example.com") -> requests.Response:
    return requests.post(f"{server.url}/v1/api/{path}", json=body,
                         headers={"Authorization": f"Bearer {server.wallaroo.issue_token(user)}"})


def test_users_count_is_a_number(mockserver):
    admin = admin_client(mockserver)
    assert admin.users_count() == len(mockserver.wallaroo.users()) == 2
    assert admin.users_count({"email": "developer@"}) == 1


def test_create_login_and_see_everywhere(mockserver):
    admin = admin_client(mockserver)
    user_id = admin.create_user({"username": "Ana@Example.com", "email": "ana@example.com", "enabled": True,
                                 "firstName": "Ana", "lastName": "Lyst",
                                 "credentials": [{"type": "password", "value": "ana-pw", "temporary": False}]})
    assert admin.get_user(user_id)["username"] == "ana@example.com"  # Keycloak lower-cases usernames
    assert admin.get_user_id("ana@example.com") == user_id
    assert admin.users_count() == 3
    # the same user on the MLOps API and in the token endpoint
    users = mlops(mockserver, "users/query", {"user_ids": [user_id]}).json()["users"]
    assert users[user_id]["email"] == "ana@example.com"
    token = openid(mockserver).token("ana@example.com", "ana-pw")
    assert openid(mockserver).decode_token(token["access_token"])["sub"] == user_id


def test_create_answers_201_with_location(mockserver):
    response = requests.post(f"{mockserver.url}/auth/admin/realms/master/users", json={"username": "loc"},
                             headers={"Authorization": f"Bearer {mockserver.wallaroo.issue_token('admin')}"})
    assert response.status_code == 201 and response.content == b""
    assert response.headers["Location"].startswith(f"{mockserver.url}/auth/admin/realms/master/users/")


def test_create_refuses_a_taken_username_or_email_with_409(mockserver):
    admin = admin_client(mockserver)
    with pytest.raises(KeycloakPostError) as taken:
        admin.create_user({"username": "ADMIN", "enabled": True})
    assert taken.value.response_code == 409
    assert b"User exists with same username" in taken.value.response_body
    with pytest.raises(KeycloakPostError) as email:
        admin.create_user({"username": "other", "email": "developer@example.com"})
    assert email.value.response_code == 409 and b"same email" in email.value.response_body
    assert admin.create_user({"username": "admin"}, exist_ok=True) == mockserver.wallaroo.find_user("admin").id
    assert admin.users_count() == 2


def test_an_invited_user_is_the_same_user_in_the_admin_api(mockserver):
    invited = mlops(mockserver, "users/invite", {"email": "inv@example.com", "password": "pw"}).json()["id"]
    admin = admin_client(mockserver)
    assert admin.get_user_id("inv@example.com") == invited
    with pytest.raises(KeycloakPostError) as taken:
        admin.create_user({"username": "inv@example.com"})
    assert taken.value.response_code == 409


def test_delete_removes_the_user_and_their_tokens(mockserver):
    admin = admin_client(mockserver)
    user_id = admin.create_user({"username": "gone@example.com", "email": "gone@example.com", "enabled": True,
                                 "credentials": [{"value": "pw", "temporary": False}]})
    token = openid(mockserver).token("gone@example.com", "pw")
    ws = mlops(mockserver, "workspaces/create", {"workspace_name": "shared-ws"}).json()["workspace_id"]
    assert mlops(mockserver, "workspaces/add_user", {"workspace_id": ws, "user_id": user_id}).status_code == 200
    admin.delete_user(user_id)
    assert admin.users_count() == 2
    with pytest.raises(KeycloakGetError) as missing:
        admin.get_user(user_id)
    assert missing.value.response_code == 404
    members = mlops(mockserver, "workspaces/list_users", {"workspace_id": ws}).json()["users"]
    assert user_id not in [m["user_id"] for m in members]
    response = requests.post(f"{mockserver.url}/v1/api/workspaces/list", json={},
                             headers={"Authorization": f"Bearer {token['access_token']}"})
    assert response.status_code == 401
    with pytest.raises(KeycloakPostError):
        openid(mockserver).refresh_token(token["refresh_token"])
    with pytest.raises(KeycloakDeleteError) as again:
        admin.delete_user(user_id)
    assert again.value.response_code == 404


def test_set_user_password(mockserver):
    admin = admin_client(mockserver)
    user_id = admin.get_user_id("developer@example.com")
    admin.set_user_password(user_id, "fresh-pw", temporary=False)
    assert openid(mockserver).token("developer@example.com", "fresh-pw")["access_token"]
    admin.set_user_password(user_id, "temp-pw", temporary=True)
    with pytest.raises(KeycloakPostError) as pending:
        openid(mockserver).token("developer@example.com", "temp-pw")
    assert b"Account is not fully set up" in pending.value.response_body


def test_a_user_without_a_password_cannot_log_in(mockserver):
    admin_client(mockserver).create_user({"username": "nopw", "enabled": True})
    response = requests.post(f"{mockserver.url}/auth/realms/master/protocol/openid-connect/token",
                             data={"client_id": "sdk-client", "grant_type": "password", "username": "nopw",
                                   "password": ""})
    assert response.status_code == 401 and response.json()["error"] == "invalid_grant"


def test_realm_role_mappings(mockserver):
    admin = admin_client(mockserver)
    user_id = admin.create_user({"username": "role@example.com", "email": "role@example.com", "enabled": True})
    assert [r["name"] for r in admin.get_realm_roles_of_user(user_id)] == ["default-roles-master"]
    assert mlops(mockserver, "users/invite", {"email": "x@example.com"}, user="role@example.com").status_code == 401
    admin.assign_realm_roles(user_id, [admin.get_realm_role("admin")])
    assert "admin" in [r["name"] for r in admin.get_realm_roles_of_user(user_id)]
    assert mlops(mockserver, "users/invite", {"email": "x@example.com"}, user="role@example.com").status_code == 200
    admin.delete_realm_roles_of_user(user_id, [admin.get_realm_role("admin")])
    assert [r["name"] for r in admin.get_realm_roles_of_user(user_id)] == ["default-roles-master"]
    assert {r["name"] for r in admin.get_realm_roles()} >= {"admin", "default-roles-master", "offline_access"}


def test_only_realm_admins_change_users(mockserver):
    mockserver.wallaroo.add_user(username="plain@example.com", email="plain@example.com", password="pw")
    plain = admin_client(mockserver, "plain@example.com", "pw")
    assert plain.users_count() == 3  # reads stay open, as the high-level SDK needs them
    with pytest.raises(KeycloakPostError) as create:
        plain.create_user({"username": "nope"})
    assert create.value.response_code == 403
    with pytest.raises(KeycloakPutError) as reset:
        plain.set_user_password(plain.get_user_id("admin"), "taken-over", temporary=False)
    assert reset.value.response_code == 403
    with pytest.raises(KeycloakDeleteError):
        plain.delete_user(plain.get_user_id("admin"))
    with pytest.raises(KeycloakPostError):
        plain.assign_realm_roles(plain.get_user_id("plain@example.com"), [{"name": "admin"}])
    assert mockserver.wallaroo.find_user("admin") is not None


# == look-alike names (docs/wallaroo.md, "Look-alike names"): as users/invite does ===========
LOOK_ALIKE_USERNAMES = ["admin\u200b", "ad\u202emin", "\u2066admin\u2069", "admin\u00ad", "admin\ufeff", "ad\x07min",
                        "dev\u200d@example.com"]


@pytest.mark.parametrize("username", LOOK_ALIKE_USERNAMES)
def test_create_refuses_a_username_with_invisible_characters(mockserver, username):
    admin = admin_client(mockserver)
    assert admin.users_count() == 2  # logged in (a login is recorded: users/query's lastLogin) before the snapshot
    before = mockserver.export_state()["wallaroo"]
    with pytest.raises(KeycloakPostError) as refused:
        admin.create_user({"username": username, "enabled": True,
                           "credentials": [{"type": "password", "value": "pw", "temporary": False}]})
    assert refused.value.response_code == 400
    # Keycloak's user-profile answer for a username it will not take
    assert json.loads(refused.value.response_body) == {
        "field": "username", "errorMessage": "error-username-invalid-character", "params": ["username"]}
    assert mockserver.export_state()["wallaroo"] == before
    assert admin.users_count() == 2
    assert requests.post(f"{mockserver.url}{TOKEN_PATH}", data={
        "client_id": "sdk-client", "grant_type": "password", "username": username, "password": "pw"}).status_code == 401


@pytest.mark.parametrize("email", ["admin\u200b@example.com", "ad\u202emin@example.com", "dev\ufeff@example.com"])
def test_create_refuses_an_email_with_invisible_characters(mockserver, email):
    admin = admin_client(mockserver)
    with pytest.raises(KeycloakPostError) as refused:
        admin.create_user({"username": "fresh-name", "email": email, "enabled": True})
    assert refused.value.response_code == 400
    assert json.loads(refused.value.response_body) == {"errorMessage": "invalidEmailMessage"}
    assert admin.users_count() == 2


def test_usernames_and_emails_are_stored_and_compared_in_nfc(mockserver):
    admin = admin_client(mockserver)
    decomposed, composed = "zoe\u0308", "zo\u00eb"
    user_id = admin.create_user({"username": decomposed, "email": f"{decomposed}@example.com", "enabled": True,
                                 "credentials": [{"type": "password", "value": "pw", "temporary": False}]})
    stored = admin.get_user(user_id)
    assert (stored["username"], stored["email"]) == (composed, f"{composed}@example.com")
    # the same name written the other way, or in capitals, is taken (409, Keycloak's shape)
    for username in (composed, composed.upper(), decomposed.upper()):
        with pytest.raises(KeycloakPostError) as taken:
            admin.create_user({"username": username})
        assert taken.value.response_code == 409
        assert json.loads(taken.value.response_body) == {"errorMessage": "User exists with same username"}
    with pytest.raises(KeycloakPostError) as email_taken:
        admin.create_user({"username": "someone-else", "email": f"{composed.upper()}@example.com"})
    assert email_taken.value.response_code == 409
    assert json.loads(email_taken.value.response_body) == {"errorMessage": "User exists with same email"}
    # and on the MLOps API: the email is one login, and users/invite sees it taken
    again = mlops(mockserver, "users/invite", {"email": f"{composed}@example.com"})
    assert again.status_code == 400 and "already exists" in again.json()["msg"]
    for login in (composed, decomposed, f"{composed.upper()}@example.com"):
        token = openid(mockserver).token(login, "pw")
        assert openid(mockserver).decode_token(token["access_token"])["sub"] == user_id
    assert admin.get_user_id(composed) == user_id


# -- search filters: as Keycloak's UsersResource reads them -------------------------------
@pytest.fixture
def three_users(mockserver):
    """admin (enabled, email unverified, no email), developer (enabled, verified, Dev Eloper) and
    a disabled, unverified Carol."""
    mockserver.wallaroo.add_user(username="carol@example.com", email="carol@example.com", first_name="Carol",
                                 last_name="Eloper", enabled=False, email_verified=False)
    return admin_client(mockserver)


def usernames(users: list[dict]) -> list[str]:
    return [user["username"] for user in users]


def test_search_filters_on_flags_and_names(mockserver, three_users):
    admin = three_users
    assert usernames(admin.get_users({"enabled": False})) == ["carol@example.com"]
    assert usernames(admin.get_users({"enabled": True})) == ["admin", "developer@example.com"]
    assert usernames(admin.get_users({"emailVerified": True})) == ["developer@example.com"]
    assert usernames(admin.get_users({"emailVerified": False})) == ["admin", "carol@example.com"]
    assert usernames(admin.get_users({"firstName": "car"})) == ["carol@example.com"]  # substring, any case
    assert usernames(admin.get_users({"lastName": "ELOPER"})) == ["carol@example.com", "developer@example.com"]
    assert usernames(admin.get_users({"lastName": "elop", "exact": True})) == []
    assert usernames(admin.get_users({"lastName": "eloper", "exact": True})) == [
        "carol@example.com", "developer@example.com"]
    assert usernames(admin.get_users({"lastName": "eloper", "enabled": True})) == ["developer@example.com"]
    assert admin.users_count({"enabled": False}) == 1
    assert admin.users_count({"emailVerified": False, "lastName": "eloper"}) == 1


def test_search_goes_with_enabled_only_as_in_keycloak(mockserver, three_users):
    admin = three_users
    assert usernames(admin.get_users({"search": "eloper", "enabled": False})) == ["carol@example.com"]
    # with `search`, Keycloak ignores the field filters
    assert usernames(admin.get_users({"search": "eloper", "firstName": "nobody"})) == [
        "carol@example.com", "developer@example.com"]
    carol = mockserver.wallaroo.find_user("carol@example.com").id
    assert usernames(admin.get_users({"search": f"id:{carol}"})) == ["carol@example.com"]
    assert admin.users_count({"search": "id:no-such-id"}) == 0


def test_q_attribute_search_and_identity_provider_filters(mockserver, three_users):
    admin = three_users
    assert admin.get_users({"q": "department:sales"}) == []  # nobody has user attributes
    assert usernames(admin.get_users({"q": "firstName:carol"})) == ["carol@example.com"]
    assert usernames(admin.get_users({"q": 'lastName:"eloper" enabled:true'})) == ["developer@example.com"]
    assert len(admin.get_users({"q": "no pairs here"})) == 3  # nothing to filter on
    assert admin.users_count({"q": "department:sales"}) == 0
    assert admin.get_users({"idpAlias": "github"}) == [] and admin.get_users({"idpUserId": "42"}) == []
    assert admin.users_count({"idpAlias": "github"}) == 0


def test_brief_representation(mockserver, three_users):
    admin = three_users
    (brief,) = admin.get_users({"username": "developer@example.com", "exact": True, "briefRepresentation": True})
    assert sorted(brief) == ["access", "createdTimestamp", "email", "emailVerified", "enabled", "firstName", "id",
                             "lastName", "username"]
    assert brief["id"] == mockserver.wallaroo.find_user("developer@example.com").id
    (full,) = admin.get_users({"username": "developer@example.com", "exact": True, "briefRepresentation": False})
    assert {"totp", "requiredActions", "notBefore"} <= set(full)


def test_flag_values_read_as_java_booleans(mockserver, three_users):
    """JAX-RS converts a Boolean parameter with Boolean.valueOf: anything but "true" is false."""
    token = mockserver.wallaroo.issue_token("admin")
    url = f"{mockserver.url}/auth/admin/realms/master/users"
    for query, expected in (("enabled=maybe", ["carol@example.com"]), ("enabled=TRUE", ["admin", "developer@example.com"]),
                            ("enabled=", ["admin", "carol@example.com", "developer@example.com"])):
        response = requests.get(f"{url}?{query}", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200 and usernames(response.json()) == expected, query
    response = requests.get(f"{url}/count?enabled=false", headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json()) == (200, 1)
