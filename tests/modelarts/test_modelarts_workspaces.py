"""Workspaces: list, create, show, update, delete, through the SDK (AK/SK) and plain HTTP (token).

Covers the response fields, the list parameters (paging, sorting, filters), every
documented validation error, partial updates, the default workspace's protection and
the optional DELETING phase.
"""

from __future__ import annotations

import re

import pytest
import requests
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkmodelarts.v1 import (CreateWorkspaceReq, CreateWorkspaceReqGrants, CreateWorkspaceRequest,
                                        DeleteWorkspaceRequest, ListWorkspaceRequest, ModelArtsClient,
                                        ShowWorkspaceRequest, UpdateWorkspaceReq, UpdateWorkspaceRequest,
                                        ViewWorkspaceResponseGrants)

from conftest import PROJECT, VIEWER_ID, modelarts_sdk

LIST_FIELDS = ["id", "name", "description", "owner", "create_time", "update_time", "enterprise_project_id",
               "enterprise_project_name", "auth_type", "status", "status_info"]


@pytest.fixture
def client(mockserver) -> ModelArtsClient:
    return modelarts_sdk(mockserver)


class Http:
    """Plain HTTP with an IAM token of this server."""

    def __init__(self, mockserver, user: str = "modelarts-dev") -> None:
        self.base = f"{mockserver.url}/v1/{PROJECT}/workspaces"
        self.session = requests.Session()
        self.session.headers["X-Auth-Token"] = mockserver.modelarts.issue_token(user)

    def __getattr__(self, method):
        def call(path: str = "", **kwargs) -> requests.Response:
            return self.session.request(method.upper(), self.base + path, **kwargs)
        return call


@pytest.fixture
def http(mockserver) -> Http:
    return Http(mockserver)


def sdk_error(mockserver, call) -> ClientRequestException:
    with pytest.raises(ClientRequestException) as info:
        call()
    error = info.value
    assert error.request_id == mockserver.journal.last().response["request_id"]
    return error


def assert_error(response: requests.Response, status: int, code: str, message: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    hints = body.pop("closest_routes", None)  # only an unknown route's 404 names the closest ones
    assert hints is None or (status == 404 and all(isinstance(hint, str) for hint in hints)), hints
    assert list(body) == ["error_msg", "error_code", "request_id"]
    assert body["error_code"] == code
    assert body["request_id"] == response.headers["X-Request-Id"]
    if message is not None:
        assert body["error_msg"] == message
    return body


# -- list ---------------------------------------------------------------------------
def test_every_project_has_the_default_workspace(http):
    response = http.get()
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["total_count", "count", "workspaces"]
    assert body["total_count"] == body["count"] == 1
    default = body["workspaces"][0]
    assert list(default) == LIST_FIELDS
    assert default == {"id": "0", "name": "default", "description": "", "owner": "modelarts-dev",
                       "create_time": 1735689600000, "update_time": 1735689600000, "enterprise_project_id": "0",
                       "enterprise_project_name": "default", "auth_type": "public", "status": "NORMAL",
                       "status_info": ""}


def test_list_through_the_sdk(mockserver, client):
    mockserver.modelarts.add_workspace(PROJECT, name="alpha")
    body = client.list_workspace(ListWorkspaceRequest())
    assert body.total_count == 2
    assert [w.name for w in body.workspaces] == ["default", "alpha"]  # sort_by name, order desc by default
    assert body.workspaces[0].id == "0" and body.workspaces[0].status_info == ""


def add(mockserver, names_and_times):
    for index, (name, update_time) in enumerate(names_and_times):
        mockserver.modelarts.add_workspace(PROJECT, name=name, create_time=1_700_000_000_000 + index,
                                           update_time=update_time)


def test_sorting_and_order(mockserver, http):
    add(mockserver, [("bravo", 3), ("alpha", 1), ("charlie", 2)])
    names = lambda **params: [w["name"] for w in http.get(params=params).json()["workspaces"]]  # noqa: E731
    assert names() == ["default", "charlie", "bravo", "alpha"]
    assert names(order="asc") == ["alpha", "bravo", "charlie", "default"]
    assert names(sort_by="update_time", order="asc") == ["alpha", "charlie", "bravo", "default"]
    mockserver.modelarts.add_workspace(PROJECT, name="delta", status="DELETE_FAILED")
    assert names(sort_by="status", order="asc")[0] == "delta"


def test_offset_is_a_page_number(mockserver, http):
    add(mockserver, [(f"ws-{index:02d}", index) for index in range(9)])  # 10 with the default one
    page = lambda offset, limit: http.get(params={"offset": offset, "limit": limit, "order": "asc"}).json()  # noqa
    first, second, fourth = page(0, 3), page(1, 3), page(3, 3)
    assert [w["name"] for w in first["workspaces"]] == ["default", "ws-00", "ws-01"]
    assert [w["name"] for w in second["workspaces"]] == ["ws-02", "ws-03", "ws-04"]
    assert [w["name"] for w in fourth["workspaces"]] == ["ws-08"]
    assert (fourth["total_count"], fourth["count"]) == (10, 1)
    beyond = page(4, 3)
    assert (beyond["total_count"], beyond["count"], beyond["workspaces"]) == (10, 0, [])
    # the documented example: limit=2&offset=3 on 10 workspaces returns the 7th and 8th
    assert [w["name"] for w in page(3, 2)["workspaces"]] == ["ws-05", "ws-06"]


def test_name_filter_is_a_case_insensitive_substring_match(mockserver, client):
    add(mockserver, [("team-Alpha", 1), ("alphabet", 2), ("beta", 3)])
    body = client.list_workspace(ListWorkspaceRequest(name="ALPHA", order="asc"))
    assert [w.name for w in body.workspaces] == ["alphabet", "team-Alpha"]
    assert body.total_count == 2


def test_enterprise_project_filter(mockserver, http):
    mockserver.load({"modelarts": {"enterprise_projects": [{"id": "eps-1", "name": "test-eps"}]}})
    mockserver.modelarts.add_workspace(PROJECT, name="in-eps", enterprise_project_id="eps-1")
    body = http.get(params={"enterprise_project_id": "eps-1"}).json()
    assert [(w["name"], w["enterprise_project_name"]) for w in body["workspaces"]] == [("in-eps", "test-eps")]
    assert [w["name"] for w in http.get(params={"enterprise_project_id": "0"}).json()["workspaces"]] == ["default"]


@pytest.mark.parametrize("params, message", [
    ({"sort_by": "owner"}, "Invalid sort_by: owner. Valid values: name, update_time, status."),
    ({"order": "up"}, "Invalid order: up. Valid values: asc, desc."),
    ({"offset": "-1"}, "Invalid offset: -1. It must be an integer greater than or equal to 0."),
    ({"offset": "x"}, "Invalid offset: x. It must be an integer greater than or equal to 0."),
    ({"limit": "0"}, "Invalid limit: 0. It must be an integer greater than or equal to 1."),
    ({"filter_accessible": "yes"}, "Invalid filter_accessible: yes. Valid values: true, false."),
])
def test_invalid_list_parameters(http, params, message):
    assert_error(http.get(params=params), 400, "ModelArts.0104", message)


def test_invalid_sort_through_the_sdk(mockserver, client):
    error = sdk_error(mockserver, lambda: client.list_workspace(ListWorkspaceRequest(sort_by="size")))
    assert (error.status_code, error.error_code) == (400, "ModelArts.0104")


# -- create and show ----------------------------------------------------------------
def test_create_and_show_through_the_sdk(mockserver, client):
    mockserver.clock.freeze()  # at the current time: SDK signatures must stay fresh
    now_ms = mockserver.clock.now_ms()
    created = client.create_workspace(CreateWorkspaceRequest(body=CreateWorkspaceReq(
        name="test-workspace", description="It is a test project", auth_type="internal",
        grants=[CreateWorkspaceReqGrants(user_name="modelarts-viewer")])))
    assert re.fullmatch(r"[0-9a-f]{32}", created.id)
    assert (created.name, created.owner, created.auth_type, created.status) == (
        "test-workspace", "modelarts-dev", "internal", "NORMAL")
    assert created.create_time == created.update_time == now_ms
    assert (created.enterprise_project_id, created.enterprise_project_name) == ("0", "default")
    assert [(g.user_id, g.user_name) for g in created.grants] == [(VIEWER_ID, "modelarts-viewer")]
    shown = client.show_workspace(ShowWorkspaceRequest(workspace_id=created.id))
    assert shown.description == "It is a test project"
    assert [(g.user_id, g.user_name, g.user_type) for g in shown.grants] == [(VIEWER_ID, "modelarts-viewer", "IAM")]


def test_create_response_fields_over_http(http):
    response = http.post(json={"name": "plain_http-ws"})
    assert response.status_code == 200
    body = response.json()
    assert list(body) == LIST_FIELDS + ["grants"]
    assert body["grants"] == [] and body["auth_type"] == "public" and body["status_info"] == ""
    shown = http.get(f"/{body['id']}").json()
    assert list(shown) == LIST_FIELDS + ["grants"]
    assert shown == body


def test_ids_are_deterministic_per_scenario(mockserver, http):
    first = http.post(json={"name": "same-name"}).json()["id"]
    mockserver.reset()
    assert http.post(json={"name": "same-name"}).json()["id"] == first


@pytest.mark.parametrize("auth_type", ["PRIVATE", "private", "Private"])
def test_auth_type_in_any_case_is_echoed_lower_case(http, auth_type):
    body = http.post(json={"name": "cased", "auth_type": auth_type}).json()
    assert body["auth_type"] == "private"


def test_auth_type_case_setting(mockserver, http):
    mockserver.load({"modelarts": {"settings": {"auth_type_case": "upper"}}})
    assert http.post(json={"name": "upper-case", "auth_type": "private"}).json()["auth_type"] == "PRIVATE"


def test_user_id_wins_over_user_name_in_grants(http):
    body = http.post(json={"name": "granted", "auth_type": "INTERNAL",
                           "grants": [{"user_id": VIEWER_ID, "user_name": "someone-else"}]}).json()
    assert body["grants"] == [{"user_id": VIEWER_ID, "user_name": "modelarts-viewer"}]


DEFAULT_NAME_RULE = ("Enter 4 to 64 characters; only letters, digits, hyphens (-) and underscores (_) "
                     "are allowed.")


@pytest.mark.parametrize("body, message", [
    ({"name": "abc"}, f"Invalid workspace name: abc. {DEFAULT_NAME_RULE}"),
    ({"name": "a" * 65}, f"Invalid workspace name: {'a' * 65}. {DEFAULT_NAME_RULE}"),
    ({"name": "has space"}, f"Invalid workspace name: has space. {DEFAULT_NAME_RULE}"),
    ({"name": "dots.not.ok"}, None),
    ({"name": "中文名字"}, None),
    ({"name": "default"}, "Invalid workspace name: default. The name default is reserved for the default workspace."),
    ({}, "Parameter error. name is mandatory."),
    ({"name": "long-desc", "description": "d" * 257}, "Invalid description: 257 characters. Enter 0 to 256 "
                                                      "characters."),
    ({"name": "bad-auth", "auth_type": "SECRET"}, "Invalid auth_type: SECRET. Valid values: PUBLIC, PRIVATE, "
                                                  "INTERNAL."),
    ({"name": "grants-public", "grants": [{"user_name": "modelarts-viewer"}]},
     "Parameter error. grants can be set only when auth_type is INTERNAL."),
    ({"name": "internal-alone", "auth_type": "INTERNAL"}, "Parameter error. grants is mandatory when auth_type is "
                                                          "INTERNAL."),
    ({"name": "grant-nobody", "auth_type": "INTERNAL", "grants": [{"user_name": "nobody"}]},
     "Invalid grants[0]: the IAM user nobody does not exist."),
    ({"name": "grant-empty", "auth_type": "INTERNAL", "grants": [{}]},
     "Invalid grants[0]: either user_id or user_name is required."),
    ({"name": "grant-type", "auth_type": "INTERNAL", "grants": [{"user_name": "x", "user_type": "ROBOT"}]},
     "Invalid grants[0]: user_type ROBOT is invalid. Valid values: IAM, FEDERATE, AGENCY."),
    ({"name": "bad-eps", "enterprise_project_id": "nope"}, "enterprise project: nope not exist."),
])
def test_create_validation_errors(mockserver, http, body, message):
    assert_error(http.post(json=body), 400, "ModelArts.0104", message)
    assert [w["name"] for w in mockserver.modelarts.workspaces(PROJECT)] == ["default"]


@pytest.mark.parametrize("kwargs, code, message_start", [
    (dict(name="abc"), "ModelArts.0104", "Invalid workspace name: abc."),
    (dict(name="default"), "ModelArts.0104", "Invalid workspace name: default."),
    (dict(name="long-desc", description="d" * 257), "ModelArts.0104", "Invalid description"),
    (dict(name="bad-auth", auth_type="everyone"), "ModelArts.0104", "Invalid auth_type: everyone."),
    (dict(name="grants-public", grants=[CreateWorkspaceReqGrants(user_name="modelarts-viewer")]), "ModelArts.0104",
     "Parameter error. grants can be set only"),
    (dict(name=5), "ModelArts.0101", "Invalid Argument. name: expected a string, got integer."),
])
def test_create_errors_through_the_sdk(mockserver, client, kwargs, code, message_start):
    error = sdk_error(mockserver, lambda: client.create_workspace(CreateWorkspaceRequest(
        body=CreateWorkspaceReq(**kwargs))))
    assert (error.status_code, error.error_code) == (400, code)
    assert error.error_msg.startswith(message_start)


def test_description_of_256_characters_is_fine(http):
    assert http.post(json={"name": "long-ok", "description": "d" * 256}).status_code == 200


def test_cjk_names_when_enabled(mockserver, http):
    mockserver.load({"modelarts": {"settings": {"allow_cjk_names": True}}})
    assert http.post(json={"name": "中文名字"}).status_code == 200


def test_duplicate_name_in_the_project(mockserver, client):
    client.create_workspace(CreateWorkspaceRequest(body=CreateWorkspaceReq(name="twice")))
    error = sdk_error(mockserver, lambda: client.create_workspace(
        CreateWorkspaceRequest(body=CreateWorkspaceReq(name="twice"))))
    assert (error.status_code, error.error_code, error.error_msg) == (
        400, "ModelArts.0104", "workspace name: twice already exists.")


def test_federated_grants_are_kept_as_given(http):
    body = http.post(json={"name": "federated", "auth_type": "INTERNAL",
                           "grants": [{"user_name": "fed-user", "user_type": "federate"}]}).json()
    assert body["grants"] == [{"user_id": "", "user_name": "fed-user"}]
    assert http.get(f"/{body['id']}").json()["grants"] == [{"user_id": "", "user_name": "fed-user",
                                                            "user_type": "FEDERATE"}]


def test_workspace_limit_setting(mockserver, http):
    mockserver.load({"modelarts": {"settings": {"max_workspaces_per_project": 2}}})
    assert http.post(json={"name": "second"}).status_code == 200
    assert_error(http.post(json={"name": "third"}), 400, "ModelArts.7006", "workspace number over limit, limit: 2")


@pytest.mark.parametrize("data, reason", [
    (b"{not json", "The request body is not valid JSON"),
    (b"", "The request body is not valid JSON"),
    (b'["name"]', "The request body must be a JSON object, got array."),
    (b'{"name": 5}', "name: expected a string, got integer."),
    (b'{"name": "typed", "grants": {"user_name": "x"}}', "grants: expected an array, got object."),
    (b'{"name": "typed", "auth_type": "INTERNAL", "grants": ["x"]}', "grants[0]: expected an object, got string."),
    (b'{"name": "typed", "description": ["x"]}', "description: expected a string, got array."),
    (b'\xff\xfe', "The request body is not valid JSON"),
])
def test_malformed_bodies_are_0101(mockserver, http, data, reason):
    body = assert_error(http.post(data=data, headers={"Content-Type": "application/json"}), 400, "ModelArts.0101")
    assert body["error_msg"].startswith("Invalid Argument. ")
    assert reason in body["error_msg"]


def test_unknown_workspace(mockserver, client, http):
    assert_error(http.get("/ccd05d1a553b4e188ea878e7dcb85e47"), 400, "ModelArts.0104",
                 "workspace: ccd05d1a553b4e188ea878e7dcb85e47 not exist.")
    error = sdk_error(mockserver, lambda: client.show_workspace(ShowWorkspaceRequest(workspace_id="missing")))
    assert (error.status_code, error.error_code, error.error_msg) == (400, "ModelArts.0104",
                                                                      "workspace: missing not exist.")


def test_unknown_routes_are_gateway_404s(mockserver, http):
    assert_error(http.get("/abc/def/ghi"), 404, "APIG.0101",
                 "The API does not exist or has not been published in the environment.")
    assert_error(http.patch(), 404, "APIG.0101", "The API does not exist.")
    assert_error(http.post("/users/list"), 404, "APIG.0101", "The API does not exist.")


# -- update -----------------------------------------------------------------------------
def test_partial_update_through_the_sdk_moves_update_time(mockserver, client):
    mockserver.clock.freeze()
    now_ms = mockserver.clock.now_ms()
    created = client.create_workspace(CreateWorkspaceRequest(body=CreateWorkspaceReq(
        name="to-update", description="before")))
    mockserver.clock.advance(60)
    answer = client.update_workspace(UpdateWorkspaceRequest(workspace_id=created.id,
                                                            body=UpdateWorkspaceReq(description="after")))
    assert answer.workspace_id == created.id
    shown = client.show_workspace(ShowWorkspaceRequest(workspace_id=created.id))
    assert (shown.name, shown.description, shown.auth_type) == ("to-update", "after", "public")
    assert shown.create_time == now_ms and shown.update_time == now_ms + 60_000


def test_update_name_auth_type_and_grants(mockserver, client, http):
    created = http.post(json={"name": "evolving"}).json()
    client.update_workspace(UpdateWorkspaceRequest(workspace_id=created["id"], body=UpdateWorkspaceReq(
        name="evolved", auth_type="INTERNAL", grants=[ViewWorkspaceResponseGrants(user_name="modelarts-viewer")])))
    shown = http.get(f"/{created['id']}").json()
    assert (shown["name"], shown["auth_type"]) == ("evolved", "internal")
    assert shown["grants"] == [{"user_id": VIEWER_ID, "user_name": "modelarts-viewer", "user_type": "IAM"}]
    # changing only the description keeps the grants; leaving INTERNAL drops them
    assert http.put(f"/{created['id']}", json={"description": "x"}).status_code == 200
    assert len(http.get(f"/{created['id']}").json()["grants"]) == 1
    assert http.put(f"/{created['id']}", json={"auth_type": "public"}).status_code == 200
    assert http.get(f"/{created['id']}").json()["grants"] == []


@pytest.mark.parametrize("body, code, message", [
    ({"name": "x"}, "ModelArts.0104", None),
    ({"name": "default"}, "ModelArts.0104", None),
    ({"name": "taken"}, "ModelArts.0104", "workspace name: taken already exists."),
    ({"description": "d" * 300}, "ModelArts.0104", None),
    ({"auth_type": "open"}, "ModelArts.0104", None),
    ({"grants": [{"user_name": "modelarts-viewer"}]}, "ModelArts.0104",
     "Parameter error. grants can be set only when auth_type is INTERNAL."),
    ({"auth_type": "INTERNAL"}, "ModelArts.0104", "Parameter error. grants is mandatory when auth_type is INTERNAL."),
    ({"name": 12}, "ModelArts.0101", None),
])
def test_update_validation_errors_leave_the_workspace_unchanged(mockserver, http, body, code, message):
    http.post(json={"name": "taken"})
    created = http.post(json={"name": "stable", "description": "same"}).json()
    assert_error(http.put(f"/{created['id']}", json=body), 400, code, message)
    assert http.get(f"/{created['id']}").json() == {**created, "grants": []}


def test_the_default_workspace_cannot_be_renamed_or_deleted(mockserver, client, http):
    error = sdk_error(mockserver, lambda: client.update_workspace(UpdateWorkspaceRequest(
        workspace_id="0", body=UpdateWorkspaceReq(name="renamed"))))
    assert (error.status_code, error.error_code, error.error_msg) == (
        400, "ModelArts.3566", "Forbidden to modify the default workspace.")
    error = sdk_error(mockserver, lambda: client.delete_workspace(DeleteWorkspaceRequest(workspace_id="0")))
    assert (error.status_code, error.error_code) == (400, "ModelArts.3566")
    # its description can change, and naming it "default" again is no rename
    assert http.put("/0", json={"name": "default", "description": "shared"}).status_code == 200
    assert http.get("/0").json()["description"] == "shared"


def test_update_of_unknown_workspace(http):
    assert_error(http.put("/nope", json={"description": "x"}), 400, "ModelArts.0104", "workspace: nope not exist.")


# -- delete ------------------------------------------------------------------------------
def test_delete_is_immediate_by_default(mockserver, client, http):
    created = http.post(json={"name": "short-lived"}).json()
    answer = client.delete_workspace(DeleteWorkspaceRequest(workspace_id=created["id"]))
    assert answer.workspace_id == created["id"]
    assert_error(http.get(f"/{created['id']}"), 400, "ModelArts.0104", f"workspace: {created['id']} not exist.")
    assert http.get().json()["total_count"] == 1
    assert_error(http.delete(f"/{created['id']}"), 400, "ModelArts.0104")


def test_delete_with_a_delay_passes_through_deleting(mockserver, http):
    mockserver.load({"modelarts": {"settings": {"delete_delay_seconds": 30}}})
    created = http.post(json={"name": "slow-delete"}).json()
    mockserver.clock.freeze()
    assert http.delete(f"/{created['id']}").json() == {"workspace_id": created["id"]}
    shown = http.get(f"/{created['id']}").json()
    assert shown["status"] == "DELETING"
    assert http.get(params={"sort_by": "status"}).json()["total_count"] == 2
    assert_error(http.put(f"/{created['id']}", json={"description": "x"}), 400, "ModelArts.7004",
                 f"the status of workspace: {created['id']} is abnormal, can not execute [action: update]")
    assert_error(http.delete(f"/{created['id']}"), 400, "ModelArts.7004")
    assert_error(http.post(json={"name": "slow-delete"}), 400, "ModelArts.0104")  # the name is still taken
    mockserver.clock.advance(30)
    assert_error(http.get(f"/{created['id']}"), 400, "ModelArts.0104")
    assert http.get().json()["total_count"] == 1
    assert http.post(json={"name": "slow-delete"}).status_code == 200


def test_failed_deletions_can_be_retried_but_not_updated(mockserver, http):
    workspace = mockserver.modelarts.add_workspace(PROJECT, name="stuck", status="DELETE_FAILED",
                                                   status_info="Failed to delete the notebooks.")
    shown = http.get(f"/{workspace['id']}").json()
    assert (shown["status"], shown["status_info"]) == ("DELETE_FAILED", "Failed to delete the notebooks.")
    assert_error(http.put(f"/{workspace['id']}", json={"description": "x"}), 400, "ModelArts.7004")
    assert http.delete(f"/{workspace['id']}").status_code == 200
