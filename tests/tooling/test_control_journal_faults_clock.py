"""Control API: the request journal, fault injection and the clock (``/__mock/``)."""

from __future__ import annotations

import pytest
import requests

LIST = "/v1/api/workspaces/list"
CREATE = "/v1/api/workspaces/create"


@pytest.fixture
def control(mockserver):
    return mockserver.session(None)


@pytest.fixture
def wallaroo(mockserver):
    return mockserver.session("wallaroo")


def assert_error(response, status: int, fragment: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status and fragment in body["error"], body


# -- journal ----------------------------------------------------------------------------------
def test_list_requests_leaves_out_control_calls_unless_asked(control, wallaroo):
    wallaroo.post(LIST, json={})
    body = control.get("/__mock/requests").json()
    assert body["count"] == 1
    (entry,) = body["requests"]
    assert (entry["seq"], entry["method"], entry["path"], entry["status"], entry["api"]) == (1, "POST", LIST, 200, "wallaroo")
    assert entry["json"] == {} and entry["response"]["workspaces"]
    everything = control.get("/__mock/requests?include_control=true").json()
    # the first listing is there; the second is journaled only once it has answered
    assert [e["path"] for e in everything["requests"]] == [LIST, "/__mock/requests"]


def test_list_requests_filters_and_limit(control, wallaroo):
    wallaroo.post(LIST, json={})
    wallaroo.post(CREATE, json={"workspace_name": "a1"})
    wallaroo.post(CREATE, json={"workspace_name": "a1"})  # a duplicate: an error
    by_path = control.get("/__mock/requests", params={"path": "/v1/api/workspaces/*"}).json()
    assert by_path["count"] == 3
    created = control.get("/__mock/requests", params={"path": CREATE, "status": 200}).json()
    assert [e["json"] for e in created["requests"]] == [{"workspace_name": "a1"}]
    failed = control.get("/__mock/requests", params={"method": "post", "api": "wallaroo", "status": 400}).json()
    assert failed["count"] == 1
    last_two = control.get("/__mock/requests", params={"limit": 2}).json()
    assert [e["seq"] for e in last_two["requests"]] == [2, 3]
    assert control.get("/__mock/requests", params={"limit": 0}).json()["count"] == 0


@pytest.mark.parametrize("query, fragment", [
    ("status=abc", "status: expected an integer"),
    ("limit=x", "limit: expected an integer"),
    ("limit=-1", "limit: must be at least 0"),
    ("include_control=perhaps", "include_control"),
])
def test_list_requests_validation(control, query, fragment):
    assert_error(control.get(f"/__mock/requests?{query}"), 400, fragment)


def test_find_requests_by_body_with_near_misses(control, wallaroo):
    wallaroo.post(CREATE, json={"workspace_name": "alpha"})
    found = control.post("/__mock/requests/find", json={"method": "POST", "path": CREATE,
                                                        "json": {"workspace_name": "alpha"}}).json()
    assert found["count"] == 1 and "near_misses" not in found
    missed = control.post("/__mock/requests/find", json={"path": CREATE, "json": {"workspace_name": "beta"}}).json()
    assert missed["count"] == 0
    (near,) = missed["near_misses"]
    assert near["request"]["json"] == {"workspace_name": "alpha"}
    assert near["problems"] == ['json.workspace_name: expected "beta", got "alpha"']


def test_find_requests_by_headers_and_query(mockserver, control):
    session = mockserver.session("modelarts")
    session.get(f"/v1/{mockserver.modelarts_project_id}/workspaces", params={"limit": "5"})
    found = control.post("/__mock/requests/find", json={"path": "/v1/*/workspaces", "query": {"limit": "5"},
                                                        "headers": {"x-auth-token": session.headers["X-Auth-Token"]}})
    assert found.json()["count"] == 1


@pytest.mark.parametrize("payload, fragment", [
    ([], "expected an object"),
    ({"methd": "GET"}, "unknown field"),
    ({"status": "200"}, "status: expected an integer"),
    ({"query": {"a": 1}}, "query.a: expected a string"),
    ({"headers": "x"}, "headers: expected an object"),
])
def test_find_requests_validation(control, payload, fragment):
    assert_error(control.post("/__mock/requests/find", json=payload), 400, fragment)


def test_unmatched_requests_with_a_report(control, mockserver):
    requests.post(f"{mockserver.url}/v1/api/workspaces/lists", json={})
    body = control.get("/__mock/requests/unmatched").json()
    assert body["count"] == 1 and body["requests"][0]["path"] == "/v1/api/workspaces/lists"
    assert "did you mean: POST /v1/api/workspaces/list" in body["report"]


def test_clear_requests(control, wallaroo, mockserver):
    wallaroo.post(LIST, json={})
    assert control.delete("/__mock/requests").json() == {"status": "cleared"}
    assert [e.path for e in mockserver.journal] == ["/__mock/requests"], "only the clearing request remains"


# -- faults -----------------------------------------------------------------------------------
def test_fault_lifecycle(control, wallaroo):
    created = control.post("/__mock/faults", json={"path": LIST, "status": 503, "times": 2})
    assert created.status_code == 201
    rule = created.json()
    assert (rule["id"], rule["status"], rule["times"], rule["remaining"], rule["fired"]) == ("1", 503, 2, 2, 0)
    assert wallaroo.post(LIST, json={}).status_code == 503
    (listed,) = control.get("/__mock/faults").json()["faults"]
    assert (listed["fired"], listed["remaining"]) == (1, 1)
    assert control.delete("/__mock/faults/1").json() == {"status": "deleted", "id": "1"}
    assert wallaroo.post(LIST, json={}).status_code == 200
    assert_error(control.delete("/__mock/faults/1"), 404, "no fault rule with id 1")


def test_clear_faults(control, wallaroo):
    control.post("/__mock/faults", json={"status": 500})
    control.post("/__mock/faults", json={"latency_ms": 1})
    assert len(control.get("/__mock/faults").json()["faults"]) == 2
    assert control.delete("/__mock/faults").json() == {"status": "cleared"}
    assert control.get("/__mock/faults").json()["faults"] == []
    assert wallaroo.post(LIST, json={}).ok


def test_a_catch_all_fault_does_not_lock_out_the_control_api(control, wallaroo):
    control.post("/__mock/faults", json={"drop": True})
    # granian may have sent the status line before it drops: a broken answer, not a clean reset
    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        wallaroo.post(LIST, json={})
    assert control.delete("/__mock/faults").status_code == 200
    assert wallaroo.post(LIST, json={}).ok


def test_a_fault_on_the_modelarts_api_answers_in_its_shape(mockserver, control):
    control.post("/__mock/faults", json={"api": "modelarts", "method": "GET", "status": 500, "times": 1})
    response = mockserver.session("modelarts").get(f"/v1/{mockserver.modelarts_project_id}/workspaces")
    assert response.status_code == 500
    assert set(response.json()) >= {"error_code", "error_msg"}
    assert response.headers["X-Request-Id"]


@pytest.mark.parametrize("payload, fragment", [
    ({}, "at least one effect"),
    ({"status": "500"}, "status: expected an integer"),
    ({"status": 500, "api": "s3"}, "api: expected one of wallaroo, modelarts"),
    ({"status": 500, "probability": 2}, "probability"),
    ({"drop": True, "status": 500}, "not both"),
    ({"status": 500, "colour": "red"}, "unknown field"),
    ([1], "expected an object"),
])
def test_fault_validation(control, payload, fragment):
    assert_error(control.post("/__mock/faults", json=payload), 400, fragment)
    assert control.get("/__mock/faults").json()["faults"] == []


# -- clock ------------------------------------------------------------------------------------
def test_clock_freeze_advance_set_unfreeze_reset(control, mockserver):
    body = control.post("/__mock/clock", json={"freeze": "2025-01-01T00:00:00Z"}).json()
    assert body == {"now": 1735689600.0, "iso": "2025-01-01T00:00:00.000000+00:00", "frozen": True,
                    "offset_seconds": 0.0}
    assert control.post("/__mock/clock", json={"advance": 90.5}).json()["now"] == 1735689690.5
    assert control.post("/__mock/clock", json={"set": 1767225600}).json()["iso"].startswith("2026-01-01T00:00:00")
    assert control.get("/__mock/clock").json()["frozen"] is True
    running = control.post("/__mock/clock", json={"unfreeze": True}).json()
    assert running["frozen"] is False and running["offset_seconds"] != 0
    assert control.post("/__mock/clock", json={"reset": True}).json()["offset_seconds"] == 0
    assert mockserver.clock.frozen is False


def test_clock_operations_apply_in_order_in_one_request(control):
    body = control.post("/__mock/clock", json={"reset": True, "freeze": True, "set": "2025-06-01T00:00:00+02:00",
                                               "advance": 7200}).json()
    assert body["iso"] == "2025-06-01T00:00:00.000000+00:00"


@pytest.mark.parametrize("payload, fragment", [
    ({}, "expected at least one of"),
    ({"freeze": "2025-01-01T00:00:00"}, "no UTC offset"),
    ({"freeze": "2025-01-01T00:00:00Z", "set": "soon"}, "set: 'soon' is not an ISO 8601 timestamp"),
    ({"freeze": True, "set": None}, "set: expected epoch seconds"),
    ({"freeze": True, "advance": "1h"}, "advance: expected a number"),
    ({"freeze": True, "advance": 1e12}, "100 years"),
    ({"unfreeze": "yes"}, "unfreeze: expected a boolean"),
    ({"rewind": 1}, "unknown field"),
    ({"freeze": -5}, "between 0 and"),
])
def test_a_rejected_clock_request_changes_nothing(control, mockserver, payload, fragment):
    assert_error(control.post("/__mock/clock", json=payload), 400, fragment)
    assert mockserver.clock.frozen is False
    assert control.get("/__mock/clock").json()["offset_seconds"] == 0
