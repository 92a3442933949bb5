"""Fault injection: latency, a status/body override and dropped connections, for N or a share of requests."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
import requests

from mockserver.faults import FaultInjector

LIST = "/v1/api/workspaces/list"


# -- rules -----------------------------------------------------------------------------
@pytest.mark.parametrize("options, message", [
    ({}, "at least one effect"),
    ({"latency_ms": -1}, "between 0 and 60000"),
    ({"latency_ms": 60_001}, "between 0 and 60000"),
    ({"status": 99}, "200-599"),
    ({"status": 100}, "200-599"),
    ({"status": 600}, "200-599"),
    ({"status": 500, "times": 0}, "times must be at least 1"),
    ({"status": 500, "probability": 0}, r"probability must be in \(0, 1\]"),
    ({"status": 500, "probability": 1.5}, r"probability must be in \(0, 1\]"),
    ({"status": 500, "drop": True}, "not both"),
    ({"latency_ms": 5, "body": {"x": 1}}, "need a status"),
    ({"status": 500, "path": "v1/api"}, "must start with '/'"),
])
def test_invalid_rules_are_refused(options, message):
    injector = FaultInjector()
    with pytest.raises(ValueError, match=message):
        injector.add(**options)
    assert injector.rules() == []


def test_rules_match_by_method_path_glob_and_api():
    injector = FaultInjector()
    rule = injector.add(method="post", path="/v1/*/workspaces/**", api="modelarts", status=500)
    assert rule.method == "POST"
    assert injector.take("POST", "/v1/p/workspaces/w/quotas", "modelarts") is rule
    assert injector.take("GET", "/v1/p/workspaces/w/quotas", "modelarts") is None
    assert injector.take("POST", "/v1/p/workspaces/w", "wallaroo") is None
    assert injector.take("POST", "/v1/p/other", "modelarts") is None


def test_times_limits_a_rule_and_then_removes_it():
    injector = FaultInjector()
    rule = injector.add(status=503, times=2)
    assert rule.remaining == 2
    assert injector.take("GET", "/x", "wallaroo") is rule
    assert injector.take("GET", "/x", "wallaroo") is rule
    assert rule.fired == 2 and rule.remaining == 0
    assert injector.take("GET", "/x", "wallaroo") is None
    assert injector.rules() == []


def test_probability_draws_are_seeded_and_restart_on_clear():
    def draws(injector: FaultInjector) -> list[bool]:
        injector.add(status=500, probability=0.5)
        return [injector.take("GET", "/x", "wallaroo") is not None for _ in range(40)]

    injector = FaultInjector(seed=7)
    first = draws(injector)
    injector.clear()
    assert draws(injector) == first, "a cleared injector repeats the same sequence"
    assert 5 < sum(first) < 35
    assert draws(FaultInjector(seed=8)) != first


def test_probability_and_times_together_fire_on_a_share_until_the_limit():
    injector = FaultInjector(seed=1)
    injector.add(status=500, probability=0.5, times=3)
    fired = sum(injector.take("GET", "/x", None) is not None for _ in range(100))
    assert fired == 3


def test_first_added_rule_wins_and_rules_can_be_removed():
    injector = FaultInjector()
    first = injector.add(status=500)
    second = injector.add(status=502)
    assert injector.take("GET", "/x", None) is first
    assert injector.remove(first.id)
    assert not injector.remove(first.id)
    assert injector.take("GET", "/x", None) is second
    injector.clear()
    assert injector.add(status=500).id == "1", "ids restart after clear, so a test sees the same ids"


def test_the_control_api_is_never_faulted():
    injector = FaultInjector()
    injector.add(drop=True)
    assert injector.take("GET", "/__mock/faults", "control") is None
    assert injector.take("GET", "/__mock/health", None) is None


def test_add_from_json_validates_with_paths():
    injector = FaultInjector()
    with pytest.raises(ValueError, match="headers.X-A: header values must be strings"):
        injector.add_from_json({"status": 500, "headers": {"X-A": 1}})
    with pytest.raises(ValueError, match="unknown field"):
        injector.add_from_json({"status": 500, "statuss": 1})
    with pytest.raises(ValueError, match="times: expected an integer"):
        injector.add_from_json({"status": 500, "times": True})
    rule = injector.add_from_json({"status": 429, "body": "slow down", "headers": {"Retry-After": "1"}, "times": 1})
    assert rule.to_dict() == {"id": "1", "method": None, "path": None, "api": None, "latency_ms": 0.0, "status": 429,
                              "body": "slow down", "headers": {"Retry-After": "1"}, "drop": False, "times": 1,
                              "probability": None, "fired": 0, "remaining": 1}


# -- through the server ------------------------------------------------------------------
def test_status_fault_answers_in_the_shape_of_the_api_then_recovers(mockserver):
    session = mockserver.session("wallaroo")
    mockserver.faults.add(path=LIST, status=503, times=1)
    failed = session.post(LIST, json={})
    assert failed.status_code == 503
    assert failed.json() == {"msg": "Fault injected by the mock server.", "code": 503}
    assert session.post(LIST, json={}).status_code == 200
    entry = mockserver.journal.assert_called_once("POST", LIST, status=503)
    assert entry.fault == "1"


def test_status_fault_with_a_custom_json_or_text_body_and_headers(mockserver):
    session = mockserver.session("wallaroo")
    mockserver.faults.add(path=LIST, status=500, body={"msg": "boom", "code": 500}, times=1)
    mockserver.faults.add(path=LIST, status=429, body="slow down", headers={"Retry-After": "3"}, times=1)
    assert session.post(LIST, json={}).json() == {"msg": "boom", "code": 500}
    throttled = session.post(LIST, json={})
    assert (throttled.status_code, throttled.text, throttled.headers["Retry-After"]) == (429, "slow down", "3")
    assert throttled.headers["Content-Type"].startswith("text/plain")


def test_a_faulted_request_changes_nothing(mockserver):
    session = mockserver.session("wallaroo")
    mockserver.faults.add(path="/v1/api/workspaces/create", status=500, times=1)
    assert session.post("/v1/api/workspaces/create", json={"workspace_name": "never"}).status_code == 500
    names = [w["name"] for w in session.post(LIST, json={}).json()["workspaces"]]
    assert "never" not in names


def test_latency_delays_the_real_answer(mockserver):
    session = mockserver.session("wallaroo")
    mockserver.faults.add(path=LIST, latency_ms=150, times=1)
    started = time.perf_counter()
    response = session.post(LIST, json={})
    assert time.perf_counter() - started >= 0.15
    assert response.status_code == 200 and response.json()["workspaces"]


def test_dropped_connection_over_the_socket(mockserver):
    mockserver.faults.add(method="POST", path=LIST, drop=True, times=1)
    # granian may have sent the status line before it drops: a broken answer, not a clean reset
    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        requests.post(f"{mockserver.url}{LIST}", json={}, headers=mockserver.wallaroo_headers(), timeout=5)
    assert requests.post(f"{mockserver.url}{LIST}", json={}, headers=mockserver.wallaroo_headers()).ok
    dropped = mockserver.journal.assert_called("POST", LIST)[0]
    assert dropped.status is None and dropped.fault == "1"


def test_dropped_connection_in_process(mockserver_inprocess):
    mockserver_inprocess.faults.add(path=LIST, drop=True, times=2)
    with pytest.raises(requests.ConnectionError):
        mockserver_inprocess.session("wallaroo").post(LIST, json={})
    with mockserver_inprocess.httpx_client("wallaroo") as client, pytest.raises(httpx.RemoteProtocolError):
        client.post(LIST, json={})
    assert mockserver_inprocess.session("wallaroo").post(LIST, json={}).ok


def test_share_of_requests_is_repeatable_per_test(mockserver_inprocess):
    def run() -> list[int]:
        mockserver_inprocess.faults.add(path=LIST, status=500, probability=0.3)
        session = mockserver_inprocess.session("wallaroo")
        return [session.post(LIST, json={}).status_code for _ in range(30)]

    first = run()
    mockserver_inprocess.reset()
    assert run() == first
    assert set(first) == {200, 500}


def test_faults_are_cleared_by_reset(mockserver):
    mockserver.faults.add(status=500)
    mockserver.reset()
    assert mockserver.faults.rules() == []
    assert mockserver.session("wallaroo").post(LIST, json={}).ok


CREATE = "/v1/api/workspaces/create"


def _hold_a_create(mockserver, name: str) -> tuple[threading.Thread, list[requests.Response]]:
    """A workspace create sent from a thread and held by a 5 s latency fault (returns once held)."""
    mockserver.faults.add(path=CREATE, latency_ms=5000)
    answers: list[requests.Response] = []
    held = threading.Thread(target=lambda: answers.append(requests.post(
        f"{mockserver.url}{CREATE}", json={"workspace_name": name}, headers=mockserver.wallaroo_headers(),
        timeout=10)))
    held.start()
    deadline = time.monotonic() + 5
    while not mockserver.faults.rules()[0].fired and time.monotonic() < deadline:
        time.sleep(0.02)
    return held, answers


def test_a_request_a_reset_releases_is_not_carried_out_into_the_next_tests_data(mockserver):
    """A request held by a latency fault, whose client gave up, was carried out after the
    reset: in the next test's fresh data, and in its journal."""
    held, answers = _hold_a_create(mockserver, "from-the-last-test")
    started = time.perf_counter()
    mockserver.reset()  # what the fixture does before the next test
    held.join(10)
    assert time.perf_counter() - started < 2, "the reset released it at once"
    answer = answers[0]
    assert answer.status_code == 503 and answer.json() == {
        "msg": "The mock server was reset while a latency fault held this request; it was not carried out.",
        "code": 503}
    names = [w["name"] for w in mockserver.session("wallaroo").post(LIST, json={}).json()["workspaces"]]
    assert "from-the-last-test" not in names
    assert mockserver.journal.count(path=CREATE) == 0


def test_clearing_the_faults_alone_lets_held_requests_go_on(mockserver):
    """Without a reset the data is the same test's: a released request is carried out."""
    held, answers = _hold_a_create(mockserver, "released")
    mockserver.faults.clear()
    held.join(10)
    assert answers[0].status_code == 200, answers[0].text
    assert mockserver.journal.count(path=CREATE) == 1


def test_modelarts_sdk_sees_an_injected_error_as_its_own_exception(mockserver):
    from huaweicloudsdkcore.exceptions.exceptions import ServerResponseException
    from huaweicloudsdkmodelarts.v1 import ListWorkspaceRequest

    mockserver.faults.add(api="modelarts", path="/v1/*/workspaces", status=503, times=1)
    client = mockserver.modelarts_sdk_client()
    with pytest.raises(ServerResponseException) as failure:
        client.list_workspace(ListWorkspaceRequest())
    assert failure.value.status_code == 503
    assert failure.value.request_id, "the X-Request-Id header is set on injected errors too"
    assert client.list_workspace(ListWorkspaceRequest()).total_count >= 1
