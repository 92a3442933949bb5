"""A user's first day: a suite written against the installed package only.

No conftest, nothing imported from the package, no vendor SDK: the ``mockserver`` fixtures
and marks that installing the package provides, with ``requests``, ``httpx`` and PyJWT as
clients. CI copies this folder out of the repository and runs it in a fresh virtual
environment (``pip install .``, newest dependencies) with ``-W error``: any warning from the
package, under any dependency version it allows, fails it (.ci/run).
"""

from __future__ import annotations

import jwt
import pytest
import requests

TOKEN_PATH = "/auth/realms/master/protocol/openid-connect/token"


def login(url: str, username: str, password: str) -> str:
    answer = requests.post(f"{url}{TOKEN_PATH}", timeout=10, data={
        "client_id": "sdk-client", "grant_type": "password", "username": username, "password": password})
    answer.raise_for_status()
    return answer.json()["access_token"]


def workspace_names(url: str, token: str) -> list[str]:
    listed = requests.post(f"{url}/v1/api/workspaces/list", json={}, timeout=10,
                           headers={"Authorization": f"Bearer {token}"})
    listed.raise_for_status()
    return [workspace["name"] for workspace in listed.json()["workspaces"]]


def test_log_in_and_create_a_workspace(mockserver):
    token = login(mockserver.url, "developer@example.com", "developer")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["email"] == "developer@example.com"
    created = requests.post(f"{mockserver.url}/v1/api/workspaces/create", json={"workspace_name": "day-one"},
                            headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert created.status_code == 200
    assert "day-one" in workspace_names(mockserver.url, token)
    mockserver.journal.assert_called_once("POST", TOKEN_PATH, form={"username": "developer@example.com"})


def test_every_test_starts_from_the_scenario(mockserver):
    assert "day-one" not in workspace_names(mockserver.url, mockserver.wallaroo_token())


def test_refresh_a_token(mockserver):
    first = requests.post(f"{mockserver.url}{TOKEN_PATH}", timeout=10, data={
        "client_id": "sdk-client", "grant_type": "password", "username": "developer@example.com",
        "password": "developer"}).json()
    again = requests.post(f"{mockserver.url}{TOKEN_PATH}", timeout=10, data={
        "client_id": "sdk-client", "grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert again.status_code == 200 and again.json()["access_token"]


def test_modelarts_with_an_iam_token(mockserver):
    project = mockserver.modelarts_project_id
    with mockserver.httpx_client("modelarts") as client:
        created = client.post(f"/v1/{project}/workspaces", json={"name": "day_one", "description": "first"})
        assert created.status_code == 200, created.text
        listed = client.get(f"/v1/{project}/workspaces", params={"name": "day_one"}).json()
    assert [workspace["name"] for workspace in listed["workspaces"]] == ["day_one"]


def test_a_wrong_password_is_keycloaks_error(mockserver):
    answer = requests.post(f"{mockserver.url}{TOKEN_PATH}", timeout=10, data={
        "client_id": "sdk-client", "grant_type": "password", "username": "developer@example.com", "password": "x"})
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_grant"


def test_a_typo_in_a_path_names_the_route_meant(mockserver):
    answer = mockserver.session("wallaroo").post("/v1/api/workspace/list", json={})
    assert answer.status_code == 404
    assert "POST /v1/api/workspaces/list" in answer.json()["closest_routes"]


@pytest.mark.mockserver_scenario("wallaroo-tutorial")
def test_a_built_in_scenario(mockserver):
    api = mockserver.session("wallaroo", "john.hummel@wallaroo.ai")
    assert [w["id"] for w in api.post("/v1/api/workspaces/list", json={}).json()["workspaces"]] == [8, 14]


@pytest.mark.mockserver_strict
def test_faults_and_the_clock(mockserver):
    api = mockserver.session("wallaroo")
    mockserver.faults.add(path="/v1/api/workspaces/list", status=503, times=1)
    assert api.post("/v1/api/workspaces/list", json={}).status_code == 503
    assert api.post("/v1/api/workspaces/list", json={}).status_code == 200
    mockserver.clock.freeze("2025-01-01T00:00:00Z")
    frozen = mockserver.session("wallaroo")
    mockserver.clock.advance(3601)
    assert frozen.post("/v1/api/workspaces/list", json={}).status_code == 401


def test_in_process(mockserver_inprocess):
    with mockserver_inprocess.httpx_client("wallaroo") as client:
        assert client.post("/v1/api/workspaces/list", json={}).status_code == 200
    assert mockserver_inprocess.session("wallaroo").post("/v1/api/workspaces/list", json={}).status_code == 200
