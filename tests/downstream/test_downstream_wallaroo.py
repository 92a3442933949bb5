"""A downstream suite, as a team building on Wallaroo would write it.

Nothing here imports the mock's internals: only the ``mockserver`` fixtures and marks
that installing the package provides (no conftest), ``requests`` and the Wallaroo SDK.
The code under test is a small admin client, defined here as the team's own code.
"""

from __future__ import annotations

import pytest
import requests

TOKEN_PATH = "/auth/realms/master/protocol/openid-connect/token"


class WallarooAdmin:
    """The team's code: logs in with a password, logs in again when the token expires."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url
        self.username = username
        self.password = password
        self.http = requests.Session()
        self.token: str | None = None

    def _login(self) -> None:
        response = self.http.post(f"{self.base_url}{TOKEN_PATH}", data={
            "client_id": "sdk-client", "grant_type": "password", "username": self.username,
            "password": self.password})
        response.raise_for_status()
        self.token = response.json()["access_token"]

    def call(self, path: str, body: dict) -> dict:
        if self.token is None:
            self._login()
        response = self.http.post(f"{self.base_url}/v1/api/{path}", json=body,
                                  headers={"Authorization": f"Bearer {self.token}"})
        if response.status_code == 401:  # expired: log in again, once
            self._login()
            response = self.http.post(f"{self.base_url}/v1/api/{path}", json=body,
                                      headers={"Authorization": f"Bearer {self.token}"})
        response.raise_for_status()
        return response.json()

    def create_team_workspace(self, name: str, members: list[str]) -> int:
        workspace_id = self.call("workspaces/create", {"workspace_name": name})["workspace_id"]
        for email in members:
            self.call("workspaces/add_user", {"workspace_id": workspace_id, "email": email,
                                              "user_type": "COLLABORATOR"})
        return workspace_id


@pytest.fixture
def admin(mockserver):
    # the default scenario's platform admin (printed by `mockserver` at start, listed in the docs)
    return WallarooAdmin(mockserver.url, "developer@example.com", "developer")


def test_create_team_workspace(mockserver, admin):
    mockserver.add_wallaroo_user(username="ana@example.com", email="ana@example.com")
    workspace_id = admin.create_team_workspace("team-ana", ["ana@example.com"])

    members = admin.call("workspaces/list_users", {"workspace_id": workspace_id})["users"]
    assert [m["user_type"] for m in members] == ["OWNER", "COLLABORATOR"]
    mockserver.journal.assert_called_once("POST", "/v1/api/workspaces/create", json={"workspace_name": "team-ana"})
    mockserver.journal.assert_called("POST", "/v1/api/workspaces/add_user",
                                     json={"workspace_id": workspace_id, "email": "ana@example.com"}, times=1)
    mockserver.journal.assert_called_once("POST", TOKEN_PATH, form={"grant_type": "password"})
    mockserver.journal.assert_no_unmatched()


def test_adding_an_unknown_member_is_reported(mockserver, admin):
    with pytest.raises(requests.HTTPError) as failure:
        admin.create_team_workspace("team-ghost", ["ghost@example.com"])
    assert failure.value.response.status_code >= 400
    assert set(failure.value.response.json()) == {"msg", "code"}


def test_relogs_in_when_the_token_expires(mockserver, admin):
    mockserver.clock.freeze("2025-01-01T00:00:00Z")
    admin.call("workspaces/list", {})
    mockserver.clock.advance(3601)  # past the access token's lifetime
    admin.call("workspaces/list", {})
    mockserver.journal.assert_called("POST", TOKEN_PATH, times=2)
    mockserver.journal.assert_called("POST", "/v1/api/workspaces/list", status=401, times=1)


def test_survives_a_flaky_gateway(mockserver, admin):
    mockserver.faults.add(path="/v1/api/workspaces/list", status=502, times=1)
    with pytest.raises(requests.HTTPError):
        admin.call("workspaces/list", {})
    assert admin.call("workspaces/list", {})["workspaces"]


@pytest.mark.mockserver_scenario("default", "scenarios/data-team.yaml")
def test_with_the_teams_own_scenario_file(mockserver):
    lead = WallarooAdmin(mockserver.url, "lead@example.com", "lead-pw")
    names = [w["name"] for w in lead.call("workspaces/list", {"user_id": None})["workspaces"]]
    assert "churn-models" in names
    analyst = mockserver.session("wallaroo", "analyst@example.com")
    visible = [w["name"] for w in analyst.post("/v1/api/workspaces/list", json={}).json()["workspaces"]]
    assert "churn-models" in visible


@pytest.mark.mockserver_scenario("wallaroo-tutorial")
def test_against_the_recorded_tutorial_instance(mockserver):
    tutorial = WallarooAdmin(mockserver.url, "john.hummel@wallaroo.ai", "hummel-password")
    workspaces = tutorial.call("workspaces/list", {})["workspaces"]
    assert [w["id"] for w in workspaces] == [8, 14]
    assert tutorial.call("workspaces/create", {"workspace_name": "testapiworkspace-curl"}) == {"workspace_id": 15}


def test_generated_sdk_client(mockserver):
    from wallaroo.wallaroo_ml_ops_api_client.api.user import users_query
    from wallaroo.wallaroo_ml_ops_api_client.models.users_query_body import UsersQueryBody

    client = mockserver.wallaroo_sdk_client("developer@example.com")
    users = users_query.sync(client=client, body=UsersQueryBody()).users
    usernames = {user["username"] for user in users.additional_properties.values()}
    assert {"admin", "developer@example.com"} <= usernames
