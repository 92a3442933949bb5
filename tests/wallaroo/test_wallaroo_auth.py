"""Keycloak-compatible login and the bearer-token check in front of every /v1/api call.

Drives the token endpoint with the form fields the ``wallaroo`` SDK sends, and the
MLOps API through the SDK's generated client and plain ``requests``.
"""

from __future__ import annotations

import time

import jwt
import pytest
import requests
from wallaroo.wallaroo_ml_ops_api_client import AuthenticatedClient, Client
from wallaroo.wallaroo_ml_ops_api_client.api.workspace import workspaces_list
from wallaroo.wallaroo_ml_ops_api_client.models import (
    WorkspacesListBody,
    WorkspacesListResponse200,
    WorkspacesListResponse401,
)

from conftest import ADMIN_ID, DEVELOPER_ID, TOKEN_PATH

HASURA = "https://hasura.io/jwt/claims"


def token_request(server, **form: str) -> requests.Response:
    return requests.post(f"{server.url}{TOKEN_PATH}", data=form)


def password_login(server, username: str, password: str, client_id: str = "sdk-client") -> requests.Response:
    return token_request(server, client_id=client_id, grant_type="password", username=username, password=password)


def access_token(server, username: str, password: str) -> str:
    response = password_login(server, username, password)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def list_workspaces(server, authorization: str | None) -> requests.Response:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return requests.post(f"{server.url}/v1/api/workspaces/list", json={}, headers=headers)


def assert_unauthorized(response: requests.Response, msg: str) -> None:
    assert response.status_code == 401
    assert response.json() == {"msg": msg, "code": 401}


def sign(server, claims: dict) -> str:
    """A token signed with the server's own realm key (RS256, its ``kid``)."""
    key = server.wallaroo.realm.signing_key()
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


@pytest.fixture
def regular_user(mockserver):
    """A non-admin user with an email (the default scenario has only admins)."""
    return mockserver.wallaroo.add_user(username="regular@example.com", email="regular@example.com",
                                        password="regular-pw")


# -- password grant ----------------------------------------------------------------
def test_password_grant_returns_keycloak_token_response(mockserver):
    response = password_login(mockserver, "developer@example.com", "developer")
    assert response.status_code == 200
    body = response.json()
    assert {"access_token", "expires_in", "refresh_token", "refresh_expires_in", "token_type"} <= set(body)
    assert body["expires_in"] == 3600 and body["refresh_expires_in"] == 1800
    assert body["token_type"] == "Bearer"

    claims = jwt.decode(body["access_token"], options={"verify_signature": False})  # as the SDK does
    assert claims["sub"] == DEVELOPER_ID
    assert claims["email"] == "developer@example.com"
    assert claims["preferred_username"] == "developer@example.com"
    assert claims["typ"] == "Bearer" and claims["azp"] == "sdk-client"
    assert claims["exp"] - claims["iat"] == 3600
    assert abs(claims["iat"] - time.time()) < 60
    assert claims[HASURA]["x-hasura-user-id"] == DEVELOPER_ID
    assert claims[HASURA]["x-hasura-user-email"] == "developer@example.com"
    assert claims[HASURA]["x-hasura-default-role"] == "admin_user"
    assert "admin" in claims["realm_access"]["roles"]


def test_keycloak_admin_has_no_email_claim(mockserver):
    claims = jwt.decode(access_token(mockserver, "admin", "admin"), options={"verify_signature": False})
    assert claims["sub"] == ADMIN_ID
    assert claims["preferred_username"] == "admin"
    assert "email" not in claims and "x-hasura-user-email" not in claims[HASURA]


def test_regular_user_token_has_user_role(mockserver, regular_user):
    claims = jwt.decode(access_token(mockserver, "regular@example.com", "regular-pw"),
                        options={"verify_signature": False})
    assert claims[HASURA]["x-hasura-default-role"] == "user"
    assert claims[HASURA]["x-hasura-allowed-roles"] == ["user"]
    assert "admin" not in claims["realm_access"]["roles"]


def test_login_by_username_is_case_insensitive_but_not_by_id(mockserver):
    assert password_login(mockserver, "Developer@Example.COM", "developer").status_code == 200
    response = password_login(mockserver, DEVELOPER_ID, "developer")
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_grant", "error_description": "Invalid user credentials"}


def test_token_endpoint_accepts_api_client(mockserver):
    response = password_login(mockserver, "developer@example.com", "developer", client_id="api-client")
    assert response.status_code == 200
    assert jwt.decode(response.json()["access_token"], options={"verify_signature": False})["azp"] == "api-client"


@pytest.mark.parametrize("form, status, error, description", [
    ({"client_id": "sdk-client", "grant_type": "password", "username": "developer@example.com", "password": "nope"},
     401, "invalid_grant", "Invalid user credentials"),
    ({"client_id": "sdk-client", "grant_type": "password", "username": "nobody@example.com", "password": "x"},
     401, "invalid_grant", "Invalid user credentials"),
    ({"client_id": "sdk-client", "grant_type": "password", "username": "developer@example.com"},
     401, "invalid_grant", "Invalid user credentials"),
    ({"client_id": "sdk-client", "grant_type": "password", "password": "developer"},
     401, "invalid_request", "Missing parameter: username"),
    ({"client_id": "no-such-client", "grant_type": "password", "username": "admin", "password": "admin"},
     401, "invalid_client", "Invalid client or Invalid client credentials"),
    ({"grant_type": "password", "username": "admin", "password": "admin"},
     401, "invalid_client", "Missing form parameter: client_id"),
    ({"client_id": "sdk-client", "username": "admin", "password": "admin"},
     400, "invalid_request", "Missing form parameter: grant_type"),
    ({"client_id": "sdk-client", "grant_type": "implicit"},
     400, "unsupported_grant_type", "Unsupported grant_type"),
    ({"client_id": "sdk-client", "grant_type": "refresh_token"},
     400, "invalid_request", "Missing form parameter: refresh_token"),
    ({"client_id": "sdk-client", "grant_type": "refresh_token", "refresh_token": "not-a-jwt"},
     400, "invalid_grant", "Invalid refresh token"),
])
def test_token_endpoint_errors_have_keycloak_bodies(mockserver, form, status, error, description):
    response = token_request(mockserver, **form)
    assert response.status_code == status
    assert response.json() == {"error": error, "error_description": description}


def test_token_endpoint_wants_a_form_not_json(mockserver):
    response = requests.post(f"{mockserver.url}{TOKEN_PATH}",
                             json={"client_id": "sdk-client", "grant_type": "password", "username": "admin",
                                   "password": "admin"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_unknown_keycloak_path_and_method_answer_in_keycloak_shape(mockserver):
    response = requests.get(f"{mockserver.url}{TOKEN_PATH}")
    assert response.status_code == 405
    assert set(response.json()) == {"error", "error_description"}
    response = requests.get(f"{mockserver.url}/auth/realms/other/nothing")
    assert response.status_code == 404
    assert set(response.json()) == {"error", "error_description"}


# -- refresh grant -----------------------------------------------------------------
def test_refresh_grant_issues_new_tokens(mockserver):
    first = password_login(mockserver, "developer@example.com", "developer").json()
    mockserver.clock.advance(120)
    response = token_request(mockserver, client_id="sdk-client", grant_type="refresh_token",
                             refresh_token=first["refresh_token"])
    assert response.status_code == 200
    second = response.json()
    old = jwt.decode(first["access_token"], options={"verify_signature": False})
    new = jwt.decode(second["access_token"], options={"verify_signature": False})
    assert new["sub"] == old["sub"] and new["exp"] >= old["exp"] + 120
    assert new["sid"] == old["sid"]  # the same Keycloak session
    assert list_workspaces(mockserver, f"Bearer {second['access_token']}").status_code == 200


def test_refresh_token_expires(mockserver):
    refresh = password_login(mockserver, "developer@example.com", "developer").json()["refresh_token"]
    mockserver.clock.advance(1801)
    response = token_request(mockserver, client_id="sdk-client", grant_type="refresh_token", refresh_token=refresh)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "Token is not active"}


def test_access_token_is_not_a_refresh_token(mockserver):
    access = access_token(mockserver, "developer@example.com", "developer")
    response = token_request(mockserver, client_id="sdk-client", grant_type="refresh_token", refresh_token=access)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "Invalid refresh token"}


def test_refresh_with_another_client_is_rejected(mockserver):
    refresh = password_login(mockserver, "developer@example.com", "developer").json()["refresh_token"]
    response = token_request(mockserver, client_id="api-client", grant_type="refresh_token", refresh_token=refresh)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_forged_refresh_token_is_rejected(mockserver):
    refresh = password_login(mockserver, "developer@example.com", "developer").json()["refresh_token"]
    claims = jwt.decode(refresh, options={"verify_signature": False})
    forged = jwt.encode(claims, "another-key", algorithm="HS256")
    response = token_request(mockserver, client_id="sdk-client", grant_type="refresh_token", refresh_token=forged)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "Invalid refresh token"}


# -- the bearer check on /v1/api -------------------------------------------------------
def test_config_needs_no_token(mockserver):
    response = requests.get(f"{mockserver.url}/v1/api/config")
    assert response.status_code == 200
    assert response.json() == {"default_arch": "x86"}  # what the SDK reads before an upload


def test_valid_token_is_accepted(mockserver):
    token = access_token(mockserver, "developer@example.com", "developer")
    assert list_workspaces(mockserver, f"Bearer {token}").status_code == 200
    assert list_workspaces(mockserver, f"bearer {token}").status_code == 200  # the scheme is case-insensitive


@pytest.mark.parametrize("authorization, msg", [
    (None, "Jwt is missing"),
    ("", "Jwt is missing"),
    ("Bearer", "Jwt is missing: the Authorization header must be 'Bearer <access token>'"),
    ("Basic YWRtaW46YWRtaW4=", "Jwt is missing: the Authorization header must be 'Bearer <access token>'"),
    ("Bearer not.a.jwt", "Jwt verification fails"),
    ("Bearer definitely_an_access_token", "Jwt verification fails"),  # the SDK's test_auth token
])
def test_missing_or_malformed_authorization(mockserver, authorization, msg):
    assert_unauthorized(list_workspaces(mockserver, authorization), msg)


def test_forged_signature_is_rejected(mockserver):
    token = access_token(mockserver, "developer@example.com", "developer")
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode(claims, "not-the-server-key", algorithm="HS256")
    assert_unauthorized(list_workspaces(mockserver, f"Bearer {forged}"), "Jwt verification fails")
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert_unauthorized(list_workspaces(mockserver, f"Bearer {unsigned}"), "Jwt verification fails")
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    assert_unauthorized(list_workspaces(mockserver, f"Bearer {tampered}"), "Jwt verification fails")


def test_refresh_token_used_as_bearer_is_rejected(mockserver):
    refresh = password_login(mockserver, "developer@example.com", "developer").json()["refresh_token"]
    assert_unauthorized(list_workspaces(mockserver, f"Bearer {refresh}"), "Jwt verification fails")


def test_access_token_expires_with_the_mock_clock(mockserver):
    mockserver.clock.freeze(at=1_800_000_000)  # a whole second: exp is iat + 3600 in whole seconds
    token = access_token(mockserver, "developer@example.com", "developer")
    mockserver.clock.advance(3599)
    assert list_workspaces(mockserver, f"Bearer {token}").status_code == 200
    mockserver.clock.advance(2)
    assert_unauthorized(list_workspaces(mockserver, f"Bearer {token}"), "Jwt is expired")


def test_token_of_unknown_user_is_rejected(mockserver):
    claims = jwt.decode(access_token(mockserver, "admin", "admin"), options={"verify_signature": False})
    claims["sub"] = "00000000-0000-4000-8000-000000000000"
    token = sign(mockserver, claims)
    assert_unauthorized(list_workspaces(mockserver, f"Bearer {token}"),
                        "Jwt verification fails: the token's user does not exist")


def test_deactivated_user_token_login_and_refresh_fail_until_activated(mockserver, regular_user):
    login = password_login(mockserver, "regular@example.com", "regular-pw").json()
    admin = f"Bearer {access_token(mockserver, 'developer@example.com', 'developer')}"
    response = requests.post(f"{mockserver.url}/v1/api/users/deactivate", json={"email": "regular@example.com"},
                             headers={"Authorization": admin})
    assert (response.status_code, response.json()) == (200, {})

    assert_unauthorized(list_workspaces(mockserver, f"Bearer {login['access_token']}"),
                        "Jwt verification fails: the user account is disabled")
    response = password_login(mockserver, "regular@example.com", "regular-pw")
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "Account disabled"}
    response = token_request(mockserver, client_id="sdk-client", grant_type="refresh_token",
                             refresh_token=login["refresh_token"])
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"

    response = requests.post(f"{mockserver.url}/v1/api/users/activate", json={"email": "regular@example.com"},
                             headers={"Authorization": admin})
    assert (response.status_code, response.json()) == (200, {})
    assert list_workspaces(mockserver, f"Bearer {login['access_token']}").status_code == 200
    assert password_login(mockserver, "regular@example.com", "regular-pw").status_code == 200


def test_issue_token_helper_tokens_are_accepted(mockserver):
    token = mockserver.wallaroo.issue_token("admin")
    assert list_workspaces(mockserver, f"Bearer {token}").status_code == 200


# -- the same through the vendor's generated client ---------------------------------------
def test_generated_client_with_a_valid_token(mockserver):
    token = access_token(mockserver, "developer@example.com", "developer")
    with AuthenticatedClient(base_url=mockserver.url, token=token) as client:
        response = workspaces_list.sync_detailed(client=client, body=WorkspacesListBody())
    assert response.status_code == 200
    assert isinstance(response.parsed, WorkspacesListResponse200)


@pytest.mark.parametrize("case", ["no-header", "forged", "expired", "refresh-as-bearer", "test-auth-token"])
def test_generated_client_parses_every_401(mockserver, case):
    login = password_login(mockserver, "developer@example.com", "developer").json()
    if case == "no-header":
        client = Client(base_url=mockserver.url)
    else:
        token = {
            "forged": jwt.encode(jwt.decode(login["access_token"], options={"verify_signature": False}), "k",
                                 algorithm="HS256"),
            "expired": login["access_token"],
            "refresh-as-bearer": login["refresh_token"],
            "test-auth-token": "definitely_an_access_token",
        }[case]
        client = AuthenticatedClient(base_url=mockserver.url, token=token)
    if case == "expired":
        mockserver.clock.advance(3601)
    with client:
        response = workspaces_list.sync_detailed(client=client, body=WorkspacesListBody())
    assert response.status_code == 401
    assert isinstance(response.parsed, WorkspacesListResponse401)
    assert response.parsed.code == 401 and response.parsed.msg
