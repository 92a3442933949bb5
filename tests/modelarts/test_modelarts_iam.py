"""IAM: password tokens (``POST /v3/auth/tokens``), token checks on ModelArts, project lookup.

Tokens come back in ``X-Subject-Token``, are project-scoped, expire after the configured
lifetime by the store's clock, survive a store reset, and only open their own project.
"""

from __future__ import annotations

import pytest
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.region.region import Region
from huaweicloudsdkmodelarts.v1 import ListWorkspaceRequest, ModelArtsClient

from conftest import PROJECT

ACCOUNT_ID = "a1b2c3d4e5f60718293a4b5c6d7e8f90"


def password_body(name: str = "modelarts-dev", password: str = "modelarts-dev", *, domain: dict | None = None,
                  scope: dict | None = None) -> dict:
    body: dict = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": name, "password": password, "domain": domain or {"name": "mock-account"}}}}}}
    if scope is not None:
        body["auth"]["scope"] = scope
    return body


def login(mockserver, **kwargs) -> requests.Response:
    return requests.post(f"{mockserver.url}/v3/auth/tokens", json=password_body(**kwargs))


def list_workspaces(mockserver, token: str, project_id: str = PROJECT) -> requests.Response:
    return requests.get(f"{mockserver.url}/v1/{project_id}/workspaces", headers={"X-Auth-Token": token})


def test_password_login_with_project_scope_by_name(mockserver):
    mockserver.clock.freeze(1_750_000_000)
    response = login(mockserver, scope={"project": {"name": "eu-de"}})
    assert response.status_code == 201
    token = response.headers["X-Subject-Token"]
    assert token.startswith("MII")
    body = response.json()["token"]
    assert body["project"] == {"domain": {"id": ACCOUNT_ID, "name": "mock-account"}, "id": PROJECT, "name": "eu-de"}
    assert body["user"]["name"] == "modelarts-dev"
    assert body["user"]["domain"]["id"] == ACCOUNT_ID
    assert body["methods"] == ["password"]
    assert body["issued_at"] == "2025-06-15T15:06:40.000000Z"
    assert body["expires_at"] == "2025-06-16T15:06:40.000000Z"  # 24 h
    modelarts = [service for service in body["catalog"] if service["type"] == "modelarts"]
    assert modelarts[0]["endpoints"][0]["url"] == f"{mockserver.url}/v1/{PROJECT}"
    assert response.headers["X-Request-Id"]
    assert list_workspaces(mockserver, token).status_code == 200


def test_login_by_user_id_and_project_id_without_catalog(mockserver):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "id": "e1f2a3b4c5d6e7f8091a2b3c4d5e6f70", "password": "modelarts-viewer"}}},
        "scope": {"project": {"id": PROJECT}}}}
    response = requests.post(f"{mockserver.url}/v3/auth/tokens?nocatalog=true", json=body)
    assert response.status_code == 201
    assert "catalog" not in response.json()["token"]
    assert response.json()["token"]["user"]["name"] == "modelarts-viewer"
    assert list_workspaces(mockserver, response.headers["X-Subject-Token"]).status_code == 200


@pytest.mark.parametrize("kwargs", [dict(password="wrong"), dict(name="nobody"),
                                    dict(domain={"name": "other-account"})])
def test_wrong_credentials(mockserver, kwargs):
    response = login(mockserver, scope={"project": {"name": "eu-de"}}, **kwargs)
    assert response.status_code == 401
    assert response.json() == {"error": {"code": 401, "message": "The username or password is wrong.",
                                         "title": "Unauthorized"}}
    assert "X-Subject-Token" not in response.headers


def test_scope_to_a_project_of_another_account(mockserver):
    mockserver.load("modelarts-sample")
    response = login(mockserver, scope={"project": {"id": "fedcba9876543210fedcba9876543210"}})
    assert response.status_code == 401
    assert response.json()["error"]["title"] == "Unauthorized"
    assert "has no access to the project" in response.json()["error"]["message"]


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"auth": {}}',
                                  b'{"auth": {"identity": {"methods": ["totp"], "totp": {"id": "x"}}}}',
                                  b'{"auth": {"identity": {"methods": ["password"], "password": {"user": '
                                  b'{"name": "modelarts-dev", "password": "modelarts-dev"}}}}}'])
def test_malformed_login_requests_are_keystone_400s(mockserver, body):
    response = requests.post(f"{mockserver.url}/v3/auth/tokens", data=body,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 400 and error["title"] == "Bad Request"
    assert error["message"].startswith("The request body is invalid")


def test_token_expires_after_its_lifetime_by_the_store_clock(mockserver):
    token = mockserver.modelarts.issue_token()
    mockserver.clock.advance(86400 - 5)
    assert list_workspaces(mockserver, token).status_code == 200
    mockserver.clock.advance(10)
    response = list_workspaces(mockserver, token)
    assert response.status_code == 401
    body = response.json()
    assert body["error_code"] == "APIG.0301"
    assert body["error_msg"].startswith("Incorrect IAM authentication information: token expires, expires_at: ")


def test_token_lifetime_is_a_setting(mockserver):
    mockserver.load({"modelarts": {"settings": {"token_lifetime_seconds": 60}}})
    response = login(mockserver, scope={"project": {"name": "eu-de"}})
    token = response.headers["X-Subject-Token"]
    mockserver.clock.advance(61)
    assert list_workspaces(mockserver, token).status_code == 401


@pytest.mark.parametrize("token", ["garbage", "MIIabc.def", "MII" + "A" * 40])
def test_forged_tokens_cannot_be_decrypted(mockserver, token):
    response = list_workspaces(mockserver, token)
    assert response.status_code == 401
    assert response.json()["error_msg"] == "Incorrect IAM authentication information: decrypt token fail"


def test_tampered_token_payload_is_rejected(mockserver):
    token = mockserver.modelarts.issue_token()
    payload, _, mac = token.partition(".")
    assert list_workspaces(mockserver, payload[:-2] + "AA." + mac).status_code == 401


def test_tokens_survive_a_reset_but_not_a_new_signing_key(mockserver):
    token = mockserver.modelarts.issue_token("modelarts-viewer")
    mockserver.reset()
    assert list_workspaces(mockserver, token).status_code == 200
    mockserver.load({"modelarts": {"settings": {"token_signing_key": "another-key-of-at-least-32-bytes!"}}})
    assert list_workspaces(mockserver, token).status_code == 401


def test_token_of_another_project_is_forbidden(mockserver):
    mockserver.modelarts.add_project(id="abcdefabcdefabcdefabcdefabcdef00", name="eu-nl", account="mock-account")
    token = mockserver.modelarts.issue_token(project_id="abcdefabcdefabcdefabcdefabcdef00")
    assert list_workspaces(mockserver, token, "abcdefabcdefabcdefabcdefabcdef00").status_code == 200
    response = list_workspaces(mockserver, token, PROJECT)
    assert response.status_code == 403
    assert response.json()["error_code"] == "ModelArts.0210"
    assert response.json()["error_msg"] == "The project id in the request URL does not match the token."


def test_domain_scoped_and_unscoped_tokens_do_not_open_modelarts(mockserver):
    domain = login(mockserver, scope={"domain": {"name": "mock-account"}})
    assert domain.status_code == 201
    assert domain.json()["token"]["domain"]["name"] == "mock-account"
    unscoped = login(mockserver)
    assert unscoped.status_code == 201
    for response in (domain, unscoped):
        answer = list_workspaces(mockserver, response.headers["X-Subject-Token"])
        assert answer.status_code == 401
        assert answer.json()["error_code"] == "ModelArts.0212"


def test_list_projects_by_name_with_a_token(mockserver):
    token = mockserver.modelarts.issue_token()
    response = requests.get(f"{mockserver.url}/v3/projects", params={"name": "eu-de"},
                            headers={"X-Auth-Token": token})
    assert response.status_code == 200
    projects = response.json()["projects"]
    assert [(p["id"], p["name"], p["domain_id"]) for p in projects] == [(PROJECT, "eu-de", ACCOUNT_ID)]
    missing = requests.get(f"{mockserver.url}/v3/projects", params={"name": "eu-nl"}, headers={"X-Auth-Token": token})
    assert missing.json()["projects"] == []


def test_list_projects_requires_authentication(mockserver):
    response = requests.get(f"{mockserver.url}/v3/projects")
    assert response.status_code == 401
    assert response.json()["error"]["title"] == "Unauthorized"


def test_sdk_looks_up_the_project_id_of_its_region_through_iam(mockserver):
    # a fresh key: the SDK caches the project id of each AK and region for the process
    key = mockserver.modelarts.add_access_key("modelarts-viewer")
    credentials = BasicCredentials(key["access_key"], key["secret_key"]).with_iam_endpoint(mockserver.url)
    client = (ModelArtsClient.new_builder().with_http_config(HttpConfig.get_default_config())
              .with_credentials(credentials).with_region(Region("eu-de", mockserver.url)).build())
    assert client.list_workspace(ListWorkspaceRequest()).total_count == 1
    lookup = mockserver.journal.last("GET", "/v3/projects")
    assert lookup.args == {"name": "eu-de"} and lookup.status == 200
    assert mockserver.journal.last("GET", f"/v1/{PROJECT}/workspaces").status == 200


def test_unknown_iam_route_is_a_keystone_404(mockserver):
    response = requests.get(f"{mockserver.url}/v3/users", headers={"X-Auth-Token": "x"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == 404
