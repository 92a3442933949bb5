"""Whatever arrives, /v1/api answers in its own error shape with 400, 401 or a recorded 500,
and concurrent calls keep ids unique and sequential."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import requests
from hypothesis import HealthCheck, given, settings, strategies as st

ACTIONS = ["workspaces/list", "workspaces/create", "workspaces/add_user", "workspaces/list_users",
           "workspaces/remove_user", "workspaces/validate", "users/query", "users/invite", "users/deactivate",
           "users/activate", "user"]
RECORDED_500 = {"Failed to find user in Keycloak: No user was found in Keycloak.", "error querying keycloak server"}
KEYS = ["workspace_id", "workspace_name", "email", "user_id", "user_ids", "user_type", "url", "roles", "password",
        "require_reset", "id", "firstName", "lastName", "enabled", "isAdmin"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2**63) | st.floats(allow_nan=False) | st.text(max_size=12)
    | st.sampled_from(["developer@example.com", "admin", "3c9a2e57-6a1f-4d0b-8f2e-5b7d1c4e9a01", "OWNER"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6)
bodies = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=5) | json_values


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(action=st.sampled_from(ACTIONS), body=bodies, as_admin=st.booleans())
def test_any_json_body_gets_a_parsable_answer(mockserver, action, body, as_admin):
    token = mockserver.wallaroo.issue_token("developer@example.com" if as_admin else "plain@example.com")
    with httpx.Client(transport=mockserver.httpx_transport(), base_url="http://mock") as client:
        before = mockserver.export_state()["wallaroo"]
        response = client.post(f"/v1/api/{action}", content=json.dumps(body),
                               headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    answer = response.json()
    assert response.status_code in (200, 400, 401, 500), answer
    if response.status_code != 200:
        assert answer == {"msg": answer["msg"], "code": response.status_code}
        assert isinstance(answer["msg"], str) and answer["msg"]
        assert mockserver.export_state()["wallaroo"] == before
    if response.status_code == 500:
        assert answer["msg"] in RECORDED_500


@pytest.fixture(autouse=True)
def plain_user(mockserver):
    mockserver.wallaroo.add_user(username="plain@example.com", email="plain@example.com", password="plain")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=40), action=st.sampled_from(ACTIONS))
def test_any_bytes_get_a_parsable_answer(mockserver, raw, action):
    token = mockserver.wallaroo.issue_token("developer@example.com")
    with httpx.Client(transport=mockserver.httpx_transport(), base_url="http://mock") as client:
        response = client.post(f"/v1/api/{action}", content=raw, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (200, 400, 500)
    if response.status_code != 200:
        assert set(response.json()) == {"msg", "code"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.text(max_size=60).filter(lambda h: h.isascii() and "\n" not in h and "\r" not in h))
def test_any_authorization_header_is_refused_cleanly(mockserver, header):
    with httpx.Client(transport=mockserver.httpx_transport(), base_url="http://mock") as client:
        response = client.post("/v1/api/workspaces/list", json={}, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["code"] == 401 and response.json()["msg"].startswith("Jwt ")


def test_concurrent_creates_get_unique_sequential_ids(mockserver):
    token = mockserver.wallaroo.issue_token("developer@example.com")
    first = mockserver.wallaroo.data.next_workspace_id

    def create(n: int) -> int:
        response = requests.post(f"{mockserver.url}/v1/api/workspaces/create", json={"workspace_name": f"c-{n}"},
                                 headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["workspace_id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(create, range(40)))
    assert sorted(ids) == list(range(first, first + 40))


def test_concurrent_duplicate_creates_have_exactly_one_winner(mockserver):
    token = mockserver.wallaroo.issue_token("developer@example.com")

    def create(_: int) -> int:
        return requests.post(f"{mockserver.url}/v1/api/workspaces/create", json={"workspace_name": "same"},
                             headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(create, range(16)))
    assert sorted(statuses) == [200] + [400] * 15
