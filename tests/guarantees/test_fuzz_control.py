"""Fuzzing the control API's effects on later requests (docs/guarantees.md).

A control request that is accepted changes how the server answers afterwards: a fault
rule answers instead of the API, a clock setting moves every timestamp. One fuzzed
request at a time (``test_fuzz_endpoints.py``) cannot see that, so these tests send the
control request and then a request it affects, and hold that second answer to the
contract: a well-formed HTTP answer within the timeout, never a crash of the server.
"""

from __future__ import annotations

import json
import time

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PROJECT
from test_error_shapes import shape_problems

TIMEOUT = 5
FUZZ = settings(deadline=None, derandomize=True, database=None, max_examples=120,
                suppress_health_check=[HealthCheck.too_slow])
IAM_LOGIN = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
    "name": "modelarts-dev", "password": "modelarts-dev", "domain": {"name": "mock-account"}}}},
    "scope": {"project": {"id": PROJECT}}}}
FINITE = st.floats(allow_nan=False, allow_infinity=False)
TARGETS = ["/v1/api/config", f"/v1/{PROJECT}/workspaces", "/v3/projects"]


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:
        session.trust_env = False
        yield session


header_names = st.one_of(st.sampled_from(["X-Custom", "Retry-After", "Content-Type", "Content-Length", "Connection",
                                          "Transfer-Encoding", "Set-Cookie", "X-Request-Id", "a b", "", "X:Y",
                                          "Ünïcode"]),
                         st.text(max_size=12))
header_values = st.one_of(st.text(max_size=20), st.sampled_from(["a\nb", "a\r\nX-Injected: 1", "ü€", "ü", "\x00",
                                                                 "", " padded ", "10000"]))


@FUZZ
@given(status=st.integers(100, 599), headers=st.dictionaries(header_names, header_values, max_size=3),
       body=st.one_of(st.none(), st.text(max_size=20), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2)),
       target=st.sampled_from(TARGETS))
def test_an_accepted_fault_rule_is_always_servable(server, http, status, headers, body, target):
    """Whatever a rule says is checked when it is added, not when it fires: a rule that is
    accepted produces a well-formed answer (a name with a space used to hang the client,
    a line break or a non-Latin-1 value crashed the answer)."""
    server.reset()
    added = http.post(f"{server.url}/__mock/faults", timeout=TIMEOUT,
                      json={"path": target, "status": status, "headers": headers, "body": body})
    assert not shape_problems("POST", "/__mock/faults", added.status_code, added.headers, added.content)
    if added.status_code != 201:
        return
    try:
        response = http.get(server.url + target, timeout=TIMEOUT)
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
        assert status < 200, "only a 1xx status, which cannot be a final answer, may end the connection"
        return
    assert response.status_code == status or status < 200
    if status >= 200:
        lowered = [name.lower() for name in headers]
        for name, value in headers.items():
            if lowered.count(name.lower()) == 1 and name.lower() not in ("content-type", "x-request-id"):
                assert (response.headers.get(name) or "").strip(" \t") == value.strip(" \t"), (name, value)
    assert "Traceback" not in response.text


@FUZZ
@given(document=st.fixed_dictionaries({}, optional={
    "freeze": st.one_of(st.booleans(), FINITE, st.integers(-2**63, 2**63), st.text(max_size=30)),
    "set": st.one_of(st.sampled_from(["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00", 253402300000]),
                     FINITE, st.integers(-2**63, 2**63), st.text(max_size=30)),
    "advance": st.one_of(FINITE, st.integers(-2**63, 2**63)),
    "unfreeze": st.booleans(), "reset": st.booleans()}))
def test_any_accepted_clock_setting_leaves_the_apis_answering(server, http, document):
    """After any clock request the control API accepted, the clock can be read and both APIs
    still answer in their shapes: creates (which stamp times) and logins (which set expiries;
    an IAM token issued at the end of year 9999 used to expire in year 10000, a 500)."""
    server.reset()
    changed = http.post(f"{server.url}/__mock/clock", json=document, timeout=TIMEOUT)
    assert not shape_problems("POST", "/__mock/clock", changed.status_code, changed.headers, changed.content)
    if changed.status_code != 200:
        return
    clock = http.get(f"{server.url}/__mock/clock", timeout=TIMEOUT)
    assert clock.status_code == 200
    json.loads(clock.text)  # strict JSON: no Infinity
    token = {"Authorization": f"Bearer {server.wallaroo.issue_token('developer@example.com')}"}
    for method, path, kwargs in [
            ("POST", "/v1/api/workspaces/create", {"json": {"workspace_name": "timed"}, "headers": token}),
            ("POST", f"/v1/{PROJECT}/workspaces", {"json": {"name": "timed"},
                                                    "headers": {"X-Auth-Token": server.modelarts.issue_token()}}),
            ("POST", "/auth/realms/master/protocol/openid-connect/token",
             {"data": {"grant_type": "password", "client_id": "sdk-client", "username": "admin", "password": "admin"}}),
            ("POST", "/v3/auth/tokens", {"json": IAM_LOGIN})]:
        response = http.request(method, server.url + path, timeout=TIMEOUT, **kwargs)
        problems = shape_problems(method, path, response.status_code, response.headers, response.content)
        assert not problems, (document, path, problems)


def test_a_running_clock_set_to_the_last_second_stays_showable(server, http):
    """The clock may be set to the last second of 9999 and left running; it stops there
    instead of running into year 10000, which no timestamp (and no answer) can show."""
    server.reset()
    assert http.post(f"{server.url}/__mock/clock", json={"set": 253402300799 - 0.05}, timeout=TIMEOUT).ok
    time.sleep(0.1)
    clock = http.get(f"{server.url}/__mock/clock", timeout=TIMEOUT)
    assert (clock.status_code, clock.json()["iso"]) == (200, "9999-12-31T23:59:59.000000+00:00")
    login = http.post(f"{server.url}/v3/auth/tokens", json=IAM_LOGIN, timeout=TIMEOUT)
    assert login.status_code == 201
    assert login.json()["token"]["expires_at"] == "9999-12-31T23:59:59.000000Z"
    server.reset()
