"""The high-level ``wallaroo.Client`` against the mock: login, config, REST calls, and the
Keycloak admin endpoints it uses for user lookups and (de)activation.

Every test gets a fresh ``XDG_CACHE_HOME``: the SDK caches its tokens on disk and would
otherwise reuse a token from another test (or another server).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
import wallaroo
from wallaroo.auth import TokenFetchError
from wallaroo.object import InvalidNameError
from wallaroo.wallaroo_ml_ops_api_client.api.workspace import workspaces_list
from wallaroo.wallaroo_ml_ops_api_client.models import WorkspacesListBody, WorkspacesListResponse200

from conftest import ADMIN_ID, DEVELOPER_ID, TOKEN_PATH, password_login

USERS = "/auth/admin/realms/master/users"


@pytest.fixture
def sdk_env(wallaroo_sdk_env):
    """A clean SDK environment: a token cache per login, no credentials from the outside."""
    return wallaroo_sdk_env


def connect(server, sdk_env, username: str = "admin", password: str = "admin") -> wallaroo.Client:
    sdk_env(username, password)
    return wallaroo.Client(api_endpoint=server.url, auth_type="user_password")


def token_posts(server) -> list[dict[str, list[str]]]:
    return [parse_qs(entry.body) for entry in server.journal.find("POST", TOKEN_PATH)]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- construction (the seed tutorials' first step) ----------------------------------------
def test_client_constructs_with_the_default_admin_and_its_header_works(mockserver, sdk_env):
    wl = connect(mockserver, sdk_env)
    assert wl.api_endpoint == mockserver.url
    assert (wl.auth.user_id(), wl.auth.user_email()) == (ADMIN_ID, "admin@keycloak")

    (form,) = token_posts(mockserver)
    assert form == {"client_id": ["sdk-client"], "username": ["admin"], "password": ["admin"],
                    "grant_type": ["password"]}
    (config,) = mockserver.journal.find("GET", "/v1/api/config")
    assert config.status == 200 and "authorization" not in {name.lower() for name in config.headers}

    headers = wl.auth.auth_header()
    assert headers["Authorization"].startswith("Bearer ")
    response = requests.post(f"{wl.api_endpoint}/v1/api/workspaces/list", json={}, headers=headers)
    assert response.status_code == 200
    assert [w["name"] for w in response.json()["workspaces"]] == ["developer@example.com - Default Workspace"]


def test_credentials_file_instead_of_environment(mockserver, sdk_env, monkeypatch, tmp_path):
    credentials = tmp_path / "creds.json"
    credentials.write_text(json.dumps({"username": "developer@example.com", "password": "developer"}))
    monkeypatch.setenv("WALLAROO_SDK_CREDENTIALS", str(credentials))
    wl = wallaroo.Client(api_endpoint=mockserver.url, auth_type="user_password")
    assert (wl.auth.user_id(), wl.auth.user_email()) == (DEVELOPER_ID, "developer@example.com")


def test_wrong_password_fails_construction_with_keycloak_error(mockserver, sdk_env):
    with pytest.raises(TokenFetchError) as raised:
        connect(mockserver, sdk_env, "admin", "wrong")
    prefix, _, body = str(raised.value).partition(" ")
    assert prefix == "[HTTP" and body.startswith("401] ")
    assert json.loads(body[len("401] "):]) == {"error": "invalid_grant", "error_description": "Invalid user credentials"}


def test_token_is_cached_between_clients(mockserver, sdk_env):
    connect(mockserver, sdk_env)
    connect(mockserver, sdk_env)
    assert len(token_posts(mockserver)) == 1


def test_token_auth_type_needs_no_login(mockserver, sdk_env, monkeypatch, tmp_path):
    token_file = tmp_path / "token.json"
    token_file.write_text(json.dumps({"token": mockserver.wallaroo.issue_token("developer@example.com"),
                                      "user_email": "developer@example.com", "user_id": DEVELOPER_ID}))
    monkeypatch.setenv("WALLAROO_SDK_CREDENTIALS", str(token_file))
    wl = wallaroo.Client(api_endpoint=mockserver.url, auth_type="token")
    assert [ws.id() for ws in wl.list_workspaces()] == [1]
    assert token_posts(mockserver) == []


def test_short_lived_tokens_are_refreshed_through_the_refresh_grant(mockserver, sdk_env):
    mockserver.load({"wallaroo": {"settings": {"access_token_lifetime": 5}}})
    wl = connect(mockserver, sdk_env, "developer@example.com", "developer")
    headers = wl.auth.auth_header()  # within 10 s of expiry: the SDK refreshes first
    grants = [form["grant_type"] for form in token_posts(mockserver)]
    assert grants[0] == ["password"] and ["refresh_token"] in grants[1:]
    refresh = [form for form in token_posts(mockserver) if form["grant_type"] == ["refresh_token"]][0]
    assert refresh["client_id"] == ["sdk-client"]
    assert requests.post(f"{mockserver.url}/v1/api/workspaces/list", json={}, headers=headers).status_code == 200


def test_expired_token_on_the_server_clock_is_refused(mockserver, sdk_env):
    wl = connect(mockserver, sdk_env)
    headers = wl.auth.auth_header()
    mockserver.clock.advance(3601)
    response = requests.post(f"{mockserver.url}/v1/api/workspaces/list", json={}, headers=headers)
    assert response.status_code == 401 and response.json() == {"msg": "Jwt is expired", "code": 401}


# -- high-level calls over the MLOps REST API ---------------------------------------------
def test_list_workspaces_and_generated_client_of_the_sdk(mockserver, sdk_env):
    wl = connect(mockserver, sdk_env, "developer@example.com", "developer")
    (workspace,) = wl.list_workspaces()
    assert (workspace.id(), workspace.name(), workspace.created_by(), workspace.archived()) == (
        1, "developer@example.com - Default Workspace", "developer@example.com", False)
    response = workspaces_list.sync_detailed(client=wl.mlops(), body=WorkspacesListBody())
    assert response.status_code == 200 and isinstance(response.parsed, WorkspacesListResponse200)


def test_create_workspace(mockserver, sdk_env):
    wl = connect(mockserver, sdk_env, "developer@example.com", "developer")
    assert wl.create_workspace("sdk-made").id() == 2
    assert [ws.name() for ws in wl.list_workspaces()] == ["developer@example.com - Default Workspace", "sdk-made"]
    with pytest.raises(InvalidNameError):  # checked by the SDK before any request
        wl.create_workspace("not_dns")
    with pytest.raises(Exception, match="Failed to create workspace."):
        wl.create_workspace("sdk-made")  # a duplicate: the server answers 400


def test_keycloak_admin_without_email_cannot_create_a_workspace(mockserver, sdk_env):
    wl = connect(mockserver, sdk_env)
    with pytest.raises(Exception, match="Failed to create workspace."):
        wl.create_workspace("from-admin")


def test_list_users_and_invite_user(mockserver, sdk_env):
    wl = connect(mockserver, sdk_env)
    assert sorted((u.username(), u.email(), u.enabled()) for u in wl.list_users()) == [
        ("admin", "admin@keycloak", True), ("developer@example.com", "developer@example.com", True)]
    invited = wl.invite_user("new.person@example.com", "Pass-word-1")
    assert set(invited) == {"id", "password"} and invited["password"] == "Pass-word-1"
    (invite,) = mockserver.journal.find("POST", "/v1/api/users/invite")
    assert json.loads(invite.body) == {"email": "new.person@example.com", "password": "Pass-word-1"}  # no roles
    again = wl.invite_user("new.person@example.com")  # already there: the SDK returns the existing user
    assert again["id"] == invited["id"]
    assert len(mockserver.journal.find("POST", "/v1/api/users/invite")) == 1


def test_get_user_deactivate_and_activate_through_keycloak_admin_api(mockserver, sdk_env):
    mockserver.wallaroo.add_user(username="carol@example.com", email="carol@example.com", password="carol-pw")
    wl = connect(mockserver, sdk_env, "developer@example.com", "developer")
    carol = wl.get_user_by_email("carol@example.com")
    assert carol is not None and carol.username() == "carol@example.com"
    assert wl.get_user_by_email("nobody@example.com") is None

    wl.deactivate_user("carol@example.com")
    assert mockserver.wallaroo.find_user("carol@example.com").enabled is False
    response = password_login(mockserver.url, "carol@example.com", "carol-pw")
    assert response.status_code == 400
    wl.activate_user("carol@example.com")
    assert mockserver.wallaroo.find_user("carol@example.com").enabled is True
    (put, _) = mockserver.journal.find("PUT", f"{USERS}/{carol.id()}")
    assert put.status == 204


# -- the Keycloak admin endpoints directly ----------------------------------------------
def test_keycloak_user_search(mockserver):
    token = mockserver.wallaroo.issue_token("developer@example.com")
    mockserver.wallaroo.add_user(username="bigdev@example.com", email="bigdev@example.com")

    def search(query: str) -> list[str]:
        response = requests.get(f"{mockserver.url}{USERS}?{query}", headers=bearer(token))
        assert response.status_code == 200
        return [user["username"] for user in response.json()]

    assert search("email=dev") == ["bigdev@example.com", "developer@example.com"]  # substring, by username
    assert search("email=DEVELOPER@example.com&exact=true") == ["developer@example.com"]
    assert search("username=admin") == ["admin"]
    assert search("search=example") == ["bigdev@example.com", "developer@example.com"]
    assert search("email=dev&first=1&max=1") == ["developer@example.com"]
    assert search("email=nobody") == []
    (user,) = requests.get(f"{mockserver.url}{USERS}?email=developer@example.com&exact=true",
                           headers=bearer(token)).json()
    assert user["id"] == DEVELOPER_ID and user["totp"] is False and user["enabled"] is True


def test_keycloak_user_get_and_put(mockserver):
    token = mockserver.wallaroo.issue_token("developer@example.com")
    response = requests.get(f"{mockserver.url}{USERS}/{ADMIN_ID}", headers=bearer(token))
    assert response.status_code == 200 and response.json()["username"] == "admin" and "email" not in response.json()

    representation = requests.get(f"{mockserver.url}{USERS}/{DEVELOPER_ID}", headers=bearer(token)).json()
    representation.update(firstName="Devon", enabled=True, email="dev2@example.com")
    response = requests.put(f"{mockserver.url}{USERS}/{DEVELOPER_ID}", json=representation, headers=bearer(token))
    assert (response.status_code, response.content) == (204, b"")
    assert "Content-Type" not in response.headers
    user = mockserver.wallaroo.find_user(DEVELOPER_ID)
    assert (user.first_name, user.email, user.username) == ("Devon", "dev2@example.com", "developer@example.com")


@pytest.mark.parametrize("method, path, token_of, body, status, expected", [
    ("GET", USERS, None, None, 401, {"error": "HTTP 401 Unauthorized"}),
    ("GET", f"{USERS}/{ADMIN_ID}", "expired", None, 401, {"error": "HTTP 401 Unauthorized"}),
    ("GET", f"{USERS}/no-such-id", "developer@example.com", None, 404, {"error": "User not found"}),
    ("PUT", f"{USERS}/no-such-id", "developer@example.com", {"enabled": False}, 404, {"error": "User not found"}),
    ("PUT", f"{USERS}/{ADMIN_ID}", "regular@example.com", {"enabled": False}, 403, {"error": "HTTP 403 Forbidden"}),
    ("PUT", f"{USERS}/{ADMIN_ID}", "developer@example.com", {"email": "developer@example.com"}, 409,
     {"errorMessage": "User exists with same email"}),
    ("PUT", f"{USERS}/{ADMIN_ID}", "developer@example.com", {"enabled": "no"}, 400, None),
    ("PUT", f"{USERS}/{ADMIN_ID}", "developer@example.com", "[1, 2]", 400, None),
    ("GET", f"{USERS}?first=-1", "developer@example.com", None, 400, None),
])
def test_keycloak_admin_errors(mockserver, method, path, token_of, body, status, expected):
    mockserver.wallaroo.add_user(username="regular@example.com", email="regular@example.com")
    headers: dict[str, Any] = {}
    if token_of == "expired":
        headers = bearer(mockserver.wallaroo.issue_token("developer@example.com", lifetime=1))
        mockserver.clock.advance(2)
    elif token_of is not None:
        headers = bearer(mockserver.wallaroo.issue_token(token_of))
    before = mockserver.export_state()["wallaroo"]
    if isinstance(body, str):
        response = requests.request(method, f"{mockserver.url}{path}", data=body,
                                    headers={**headers, "Content-Type": "application/json"})
    else:
        response = requests.request(method, f"{mockserver.url}{path}", json=body, headers=headers)
    assert response.status_code == status
    if expected is not None:
        assert response.json() == expected
    else:
        assert set(response.json()) == {"error"}
    assert mockserver.export_state()["wallaroo"] == before
