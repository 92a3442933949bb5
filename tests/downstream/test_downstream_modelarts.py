"""A downstream suite for ModelArts, written as a team using the Huawei Cloud SDK would.

Only the documented fixtures and marks are used; the code under test is the team's own
``ensure_workspace`` helper with a retry on server errors.
"""

from __future__ import annotations

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException, ServerResponseException
from huaweicloudsdkmodelarts.v1 import (CreateWorkspaceReq, CreateWorkspaceRequest, DeleteWorkspaceRequest,
                                        ListWorkspaceRequest, ShowWorkspaceRequest)


def ensure_workspace(client, name: str, description: str = "", attempts: int = 3) -> str:
    """The team's code: the id of the workspace called ``name``, created if missing."""
    for attempt in range(attempts):
        try:
            for workspace in client.list_workspace(ListWorkspaceRequest(name=name)).workspaces or []:
                if workspace.name == name:
                    return workspace.id
            created = client.create_workspace(CreateWorkspaceRequest(
                body=CreateWorkspaceReq(name=name, description=description)))
            return created.id
        except ServerResponseException:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def test_creates_a_missing_workspace_once(mockserver):
    client = mockserver.modelarts_sdk_client()
    first = ensure_workspace(client, "feature-store", "features")
    assert ensure_workspace(client, "feature-store") == first
    mockserver.journal.assert_called_once("POST", "/v1/*/workspaces", json={"name": "feature-store"})
    shown = client.show_workspace(ShowWorkspaceRequest(workspace_id=first))
    assert (shown.name, shown.description, shown.status) == ("feature-store", "features", "NORMAL")


def test_retries_a_server_error(mockserver):
    mockserver.faults.add(method="GET", path="/v1/*/workspaces", status=503, times=2)
    workspace_id = ensure_workspace(mockserver.modelarts_sdk_client(), "retried")
    assert workspace_id
    mockserver.journal.assert_called("GET", "/v1/*/workspaces", status=503, times=2)


def test_gives_up_after_three_server_errors(mockserver):
    mockserver.faults.add(method="GET", path="/v1/*/workspaces", status=500, times=3)
    with pytest.raises(ServerResponseException) as failure:
        ensure_workspace(mockserver.modelarts_sdk_client(), "doomed")
    assert failure.value.status_code == 500
    mockserver.journal.assert_not_called("POST")


def test_client_errors_are_not_retried(mockserver):
    client = mockserver.modelarts_sdk_client()
    with pytest.raises(ClientRequestException) as failure:
        client.delete_workspace(DeleteWorkspaceRequest(workspace_id="does-not-exist"))
    assert failure.value.status_code == 400 and failure.value.error_code.startswith("ModelArts.")
    assert failure.value.request_id


def test_token_auth_with_plain_requests(mockserver):
    session = mockserver.session("modelarts")
    listed = session.get(f"/v1/{mockserver.modelarts_project_id}/workspaces").json()
    assert listed["total_count"] == len(listed["workspaces"]) >= 1
    credentials = mockserver.modelarts_credentials()
    assert credentials["user_name"] == "modelarts-dev" and credentials["access_key"]


def test_workspace_added_for_one_test(mockserver):
    mockserver.add_modelarts_workspace(name="prepared", description="made by the test")
    assert ensure_workspace(mockserver.modelarts_sdk_client(), "prepared")
    mockserver.journal.assert_not_called("POST")


@pytest.mark.mockserver_scenario("default", "scenarios/data-team.yaml")
def test_with_the_teams_own_scenario_file(mockserver):
    assert ensure_workspace(mockserver.modelarts_sdk_client(), "churn-training")
    mockserver.journal.assert_not_called("POST")


@pytest.mark.mockserver_scenario("modelarts-sample")
def test_against_the_documented_sample_account(mockserver):
    client = mockserver.modelarts_sdk_client("testUser")
    names = {w.name for w in client.list_workspace(ListWorkspaceRequest()).workspaces}
    assert {"default", "test-workspace"} <= names
