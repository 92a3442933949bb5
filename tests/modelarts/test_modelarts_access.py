"""Workspace access control: PUBLIC, PRIVATE, INTERNAL, ``filter_accessible``, denied IAM actions,
the authorization check (``POST .../auth``) and the IAM user list (``GET .../users/list``).
"""

from __future__ import annotations

import pytest
import requests
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkmodelarts.v1 import (AuthRequests, DeleteWorkspaceRequest, ListUsersRequest, ListWorkspaceRequest,
                                        ModelArtsClient, ShowWorkspaceQuotasRequest, ShowWorkspaceRequest,
                                        UpdateWorkspaceReq, UpdateWorkspaceRequest, ValidateAuthorizationRequest,
                                        ValidateAuthorizationRequestBody)

from conftest import PROJECT, modelarts_sdk


def sdk_client(mockserver, user: str) -> ModelArtsClient:
    key = mockserver.modelarts.add_access_key(user) if user != "modelarts-dev" else \
        {"access_key": "MOCKACCESSKEY0000001", "secret_key": "mock-secret-key-0000000000000000000000001"}
    return modelarts_sdk(mockserver, key["access_key"], key["secret_key"])


def http(mockserver, user: str, method: str, path: str = "", **kwargs) -> requests.Response:
    token = mockserver.modelarts.issue_token(user)
    return requests.request(method, f"{mockserver.url}/v1/{PROJECT}/workspaces{path}",
                            headers={"X-Auth-Token": token}, **kwargs)


@pytest.fixture
def workspaces(mockserver) -> dict[str, str]:
    """One workspace of each kind, created by modelarts-dev (the primary user) or by the viewer."""
    mockserver.modelarts.add_user(name="modelarts-third", account="mock-account")
    add = mockserver.modelarts.add_workspace
    return {
        "public": add(PROJECT, name="open-space", owner="modelarts-third")["id"],
        "private": add(PROJECT, name="dev-private", owner="modelarts-third", auth_type="PRIVATE")["id"],
        "internal": add(PROJECT, name="team-internal", owner="modelarts-third", auth_type="INTERNAL",
                        grants=[{"user_name": "modelarts-viewer"}])["id"],
        "internal-other": add(PROJECT, name="other-internal", owner="modelarts-third", auth_type="INTERNAL",
                              grants=[{"user_name": "modelarts-dev"}])["id"],
        "viewer-private": add(PROJECT, name="viewer-private", owner="modelarts-viewer", auth_type="PRIVATE")["id"],
    }


@pytest.mark.parametrize("user, visible", [
    ("modelarts-dev", {"public", "private", "internal", "internal-other", "viewer-private"}),  # primary user
    ("modelarts-viewer", {"public", "internal", "viewer-private"}),  # grantee and creator
    ("modelarts-third", {"public", "private", "internal", "internal-other"}),  # creator of the rest
])
def test_show_is_allowed_exactly_where_the_rules_say(mockserver, workspaces, user, visible):
    for kind, workspace_id in workspaces.items():
        response = http(mockserver, user, "GET", f"/{workspace_id}")
        if kind in visible:
            assert response.status_code == 200, (user, kind)
        else:
            assert response.status_code == 403, (user, kind)
            assert response.json()["error_code"] == "ModelArts.0108"
            assert response.json()["error_msg"] == ("You are not authorized to perform the "
                                                    "(modelarts:workspace:get) operation.")


def test_denied_update_delete_and_quotas_name_their_action(mockserver, workspaces):
    private = workspaces["private"]
    for method, path, kwargs, action in [
        ("PUT", f"/{private}", {"json": {"description": "x"}}, "modelarts:workspace:update"),
        ("DELETE", f"/{private}", {}, "modelarts:workspace:delete"),
        ("GET", f"/{private}/quotas", {}, "modelarts:workspace:getQuotas"),
        ("PUT", f"/{private}/quotas", {"json": {"quotas": []}}, "modelarts:workspace:updateQuotas"),
    ]:
        response = http(mockserver, "modelarts-viewer", method, path, **kwargs)
        assert response.status_code == 403
        assert response.json()["error_msg"] == f"You are not authorized to perform the ({action}) operation."
    assert http(mockserver, "modelarts-dev", "GET", f"/{private}").json()["description"] == ""


def test_access_rules_through_the_sdk(mockserver, workspaces):
    viewer = sdk_client(mockserver, "modelarts-viewer")
    assert viewer.show_workspace(ShowWorkspaceRequest(workspace_id=workspaces["internal"])).name == "team-internal"
    for call in (lambda: viewer.show_workspace(ShowWorkspaceRequest(workspace_id=workspaces["private"])),
                 lambda: viewer.update_workspace(UpdateWorkspaceRequest(
                     workspace_id=workspaces["private"], body=UpdateWorkspaceReq(description="x"))),
                 lambda: viewer.delete_workspace(DeleteWorkspaceRequest(workspace_id=workspaces["private"])),
                 lambda: viewer.show_workspace_quotas(ShowWorkspaceQuotasRequest(workspace_id=workspaces["private"]))):
        with pytest.raises(ClientRequestException) as info:
            call()
        assert (info.value.status_code, info.value.error_code) == (403, "ModelArts.0108")
        assert info.value.request_id == mockserver.journal.last().response["request_id"]


def test_filter_accessible_hides_what_the_caller_cannot_open(mockserver, workspaces):
    viewer = sdk_client(mockserver, "modelarts-viewer")
    everything = viewer.list_workspace(ListWorkspaceRequest())
    assert everything.total_count == 6  # all of them, plus default, without the filter
    accessible = viewer.list_workspace(ListWorkspaceRequest(filter_accessible=True, order="asc"))
    assert [w.name for w in accessible.workspaces] == ["default", "open-space", "team-internal", "viewer-private"]
    assert accessible.total_count == accessible.count == 4
    explicit_false = http(mockserver, "modelarts-viewer", "GET", params={"filter_accessible": "false"}).json()
    assert explicit_false["total_count"] == 6


def test_the_creator_keeps_access_to_a_private_workspace_after_updates(mockserver):
    created = http(mockserver, "modelarts-viewer", "POST", json={"name": "mine-only", "auth_type": "PRIVATE"}).json()
    assert created["owner"] == "modelarts-viewer"
    assert http(mockserver, "modelarts-viewer", "PUT", f"/{created['id']}", json={"name": "still-mine"}).status_code \
        == 200
    assert http(mockserver, "modelarts-dev", "GET", f"/{created['id']}").json()["name"] == "still-mine"


def test_revoking_a_grant_revokes_access(mockserver, workspaces):
    internal = workspaces["internal"]
    assert http(mockserver, "modelarts-viewer", "GET", f"/{internal}").status_code == 200
    response = http(mockserver, "modelarts-dev", "PUT", f"/{internal}",
                    json={"grants": [{"user_id": "d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f"}]})
    assert response.status_code == 200
    assert http(mockserver, "modelarts-viewer", "GET", f"/{internal}").status_code == 403


def test_denied_actions_of_a_user(mockserver):
    mockserver.modelarts.add_user(name="read-only", account="mock-account",
                                  denied_actions=["modelarts:workspace:create", "modelarts:workspace:update*"])
    response = http(mockserver, "read-only", "POST", json={"name": "not-allowed"})
    assert response.status_code == 403
    assert response.json()["error_msg"] == "You are not authorized to perform the (modelarts:workspace:create) " \
                                           "operation."
    assert http(mockserver, "read-only", "GET").status_code == 200
    assert http(mockserver, "read-only", "PUT", "/0", json={"description": "x"}).status_code == 403
    assert http(mockserver, "modelarts-dev", "GET", "/0").json()["description"] == ""


# -- POST .../workspaces/{id}/auth -----------------------------------------------------------
def test_validate_authorization_through_the_sdk(mockserver, workspaces):
    mockserver.modelarts.add_user(name="no-delete", account="mock-account",
                                  denied_actions=["modelarts:workspace:delete"])
    requests_body = ValidateAuthorizationRequestBody(requests=[
        AuthRequests(action_id="1", action="modelarts:workspace:get"),
        AuthRequests(action_id="2", action="modelarts:workspace:delete", resource="workspace"),
        AuthRequests(action_id="3", action="obs:bucket:listBucket", service_attributes={"region": "eu-de"}),
    ])

    def verdicts(user: str, workspace_id: str) -> list[str]:
        answer = sdk_client(mockserver, user).validate_authorization(
            ValidateAuthorizationRequest(workspace_id=workspace_id, body=requests_body))
        assert [r.action_id for r in answer.results] == ["1", "2", "3"]
        return [r.verdict for r in answer.results]

    assert verdicts("modelarts-dev", workspaces["private"]) == ["allow", "allow", "allow"]
    assert verdicts("modelarts-viewer", workspaces["private"]) == ["deny", "deny", "allow"]
    assert verdicts("no-delete", workspaces["public"]) == ["allow", "deny", "allow"]


def test_validate_authorization_errors(mockserver):
    assert http(mockserver, "modelarts-dev", "POST", "/nope/auth", json={"requests": []}).json()["error_msg"] == \
        "workspace: nope not exist."
    response = http(mockserver, "modelarts-dev", "POST", "/0/auth", json={})
    assert (response.status_code, response.json()["error_msg"]) == (400, "Parameter error. requests is mandatory.")
    response = http(mockserver, "modelarts-dev", "POST", "/0/auth",
                    json={"requests": [{"action_id": "1", "action": "not an action"}]})
    assert response.json()["error_code"] == "ModelArts.0104"
    response = http(mockserver, "modelarts-dev", "POST", "/0/auth", json={"requests": [{"action": 3}]})
    assert response.json()["error_code"] == "ModelArts.0101"
    response = http(mockserver, "modelarts-dev", "POST", "/0/auth", json={"requests": [{"action": "a:b:c"}]})
    assert response.json()["error_msg"] == "Parameter error. requests[0].action_id is mandatory."
    response = http(mockserver, "modelarts-dev", "POST", "/0/auth", json={"requests": []})
    assert response.json() == {"results": []}


# -- GET .../workspaces/users/list ----------------------------------------------------------
def test_list_users_is_not_routed_as_a_workspace_id(mockserver):
    mockserver.load("modelarts-sample")  # users of another account stay out
    answer = sdk_client(mockserver, "modelarts-dev").list_users(ListUsersRequest())
    assert [u.user_name for u in answer.users] == ["modelarts-dev", "modelarts-viewer"]
    response = http(mockserver, "modelarts-viewer", "GET", "/users/list")
    assert response.json() == {"users": [{"userName": "modelarts-dev"}, {"userName": "modelarts-viewer"}]}


def test_list_users_denied_without_the_iam_permission(mockserver):
    mockserver.modelarts.add_user(name="no-iam", account="mock-account", denied_actions=["iam:*"])
    response = http(mockserver, "no-iam", "GET", "/users/list")
    assert response.status_code == 400
    assert response.json()["error_code"] == "ModelArts.7003"
    assert response.json()["error_msg"] == "no permission to get iam user list, please check permission"
