"""An unknown route of a mocked API answers 404 in that API's own error shape, plus the closest
routes in one extra member (``closest_routes``) that the vendors' clients do not read."""

from __future__ import annotations




def test_wallaroo_unknown_route_names_the_closest_ones(mockserver):
    answer = mockserver.session("wallaroo").post("/v1/api/workspace/list", json={})
    assert answer.status_code == 404
    assert answer.json() == {"msg": "No route for POST /v1/api/workspace/list.", "code": 404,
                             "closest_routes": ["POST /v1/api/workspaces/list", "POST /v1/api/workspaces/list_users"]}


def test_modelarts_unknown_route_names_routes_with_their_variables(mockserver):
    project = mockserver.modelarts_project_id
    answer = mockserver.session("modelarts").get(f"/v1/{project}/workspaces/abc/quota")
    body = answer.json()
    assert answer.status_code == 404
    assert [body["error_code"], body["request_id"]] == ["APIG.0101", answer.headers["X-Request-Id"]]
    assert "GET /v1/{project_id}/workspaces/{workspace_id}/quotas" in body["closest_routes"]


def test_nothing_close_adds_nothing(mockserver):
    answer = mockserver.session("wallaroo").post("/v1/api/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", json={})
    assert answer.json() == {"msg": "No route for POST /v1/api/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz.", "code": 404}


def test_the_wallaroo_sdk_still_reads_the_error(mockserver):
    """The generated client parses {msg, code} and ignores the extra member."""
    from wallaroo.wallaroo_ml_ops_api_client.models.workspaces_list_response_500 import WorkspacesListResponse500

    body = mockserver.session("wallaroo").post("/v1/api/workspace/list", json={}).json()
    parsed = WorkspacesListResponse500.from_dict(body)
    assert (parsed.msg, parsed.code) == ("No route for POST /v1/api/workspace/list.", 404)
