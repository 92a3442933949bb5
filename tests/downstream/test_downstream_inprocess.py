"""Downstream tests on the in-process fixture: no socket, the fastest mode.

The same team code as over HTTP, fed with clients built by ``mockserver_inprocess``.
"""

from __future__ import annotations

import threading

import pytest
from huaweicloudsdkmodelarts.v1 import ListWorkspaceRequest

pytestmark = pytest.mark.mockserver_strict  # any request to an unknown route fails the test


def count_workspaces(session) -> int:
    """The team's code under test."""
    return len(session.post("/v1/api/workspaces/list", json={}).json()["workspaces"])


def test_requests_session(mockserver_inprocess):
    session = mockserver_inprocess.session("wallaroo")
    before = count_workspaces(session)
    session.post("/v1/api/workspaces/create", json={"workspace_name": "fast"})
    assert count_workspaces(session) == before + 1


def test_starts_clean_again(mockserver_inprocess):
    assert count_workspaces(mockserver_inprocess.session("wallaroo")) == 1


def test_httpx_client(mockserver_inprocess):
    with mockserver_inprocess.httpx_client("modelarts") as client:
        listed = client.get(f"/v1/{mockserver_inprocess.modelarts_project_id}/workspaces").json()
    assert listed["total_count"] >= 1


def test_flask_test_client(mockserver_inprocess):
    client = mockserver_inprocess.test_client()
    response = client.post("/v1/api/workspaces/list", json={}, headers=mockserver_inprocess.wallaroo_headers())
    assert response.status_code == 200 and response.json["workspaces"]


def test_modelarts_sdk_in_process(mockserver_inprocess):
    client = mockserver_inprocess.modelarts_sdk_client()
    assert client.list_workspace(ListWorkspaceRequest()).total_count >= 1


def test_threads(mockserver_inprocess):
    session = mockserver_inprocess.session("wallaroo")
    statuses: list[int] = []

    def create(index: int) -> None:
        statuses.append(session.post("/v1/api/workspaces/create", json={"workspace_name": f"t{index}"}).status_code)

    threads = [threading.Thread(target=create, args=(index,)) for index in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 10
    assert count_workspaces(session) == 11


@pytest.mark.mockserver_scenario("empty")
def test_empty_scenario(mockserver_inprocess):
    mockserver_inprocess.add_wallaroo_user(username="only@example.com", email="only@example.com")
    session = mockserver_inprocess.session("wallaroo", "only@example.com")
    assert count_workspaces(session) == 1  # the new user's default workspace
