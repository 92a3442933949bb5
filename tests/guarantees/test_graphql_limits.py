"""Issue 8, item 4: GraphQL has limits, and no request holds the store while it runs.

A 2.7 KB query with 100 aliases over 5 000 workspaces held the store for 7.5 s and stalled
every other client. Depth, field, root-field, batch and row limits are answered in
Hasura's shape (HTTP 200, ``validation-failed``), and a query reads the store table by
table, so other clients' writes go through while it runs.
"""

from __future__ import annotations

import threading

import pytest
import requests

from mockserver import MockServer
from mockserver.wallaroo.graphql import limits
from mockserver.wallaroo.graphql.tables import Tables

WORKSPACES = 600


@pytest.fixture(scope="module")
def server():
    workspaces = [{"name": f"ws-{index}", "members": [{"user": "developer@example.com", "user_type": "OWNER"}]}
                  for index in range(WORKSPACES)]
    with MockServer(["default", {"name": "many", "wallaroo": {"workspaces": workspaces}}]) as running:
        yield running


def graphql(server, payload):
    answer = requests.post(f"{server.url}/v1/graphql", json=payload, headers=server.wallaroo_headers())
    assert answer.status_code == 200
    return answer.json()


def refused(body) -> str:
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "validation-failed", error
    assert "data" not in body
    return error["message"]


def nested(depth: int) -> str:
    """A query ``depth`` fields deep: workspace { users { workspace { ... { id } } } }."""
    names = ["users" if index % 2 == 0 else "workspace" for index in range(depth - 2)]
    text = "id"
    for name in reversed(names):
        text = f"{name} {{ {text} }}"
    return "query { workspace(limit: 1) { " + text + " } }"


def test_depth_is_limited(server):
    assert "nested more than" in refused(graphql(server, {"query": nested(limits.MAX_DEPTH + 1)}))
    assert "data" in graphql(server, {"query": nested(limits.MAX_DEPTH)})


def test_fragments_count_where_they_are_used(server):
    fragments = "fragment W on workspace { id name created_at created_by archived }\n"
    spreads = " ".join(f"u{index}: users {{ workspace {{ ...W }} }}" for index in range(200))
    query = fragments + "query { workspace(limit: 1) { " + spreads + " } }"
    assert f"at most {limits.MAX_FIELDS} fields" in refused(graphql(server, {"query": query}))


def test_root_fields_are_limited(server):
    over = "query { " + " ".join(f"a{index}: workspace(limit: 1) {{ id }}"
                                 for index in range(limits.MAX_ROOT_FIELDS + 1)) + " }"
    assert f"at most {limits.MAX_ROOT_FIELDS} fields at its top" in refused(graphql(server, {"query": over}))
    at = "query { " + " ".join(f"a{index}: workspace(limit: 1) {{ id }}"
                               for index in range(limits.MAX_ROOT_FIELDS)) + " }"
    assert len(graphql(server, {"query": at})["data"]) == limits.MAX_ROOT_FIELDS


def test_batches_are_limited(server):
    one = {"query": "query { workspace(limit: 1) { id } }"}
    assert len(graphql(server, [one] * limits.MAX_BATCH)) == limits.MAX_BATCH
    assert f"at most {limits.MAX_BATCH} operations" in refused(graphql(server, [one] * (limits.MAX_BATCH + 1)))


def test_rows_read_are_limited(server, monkeypatch):
    monkeypatch.setattr(limits, "MAX_ROWS", WORKSPACES + WORKSPACES // 2)
    one = "query { a: workspace { id } }"
    assert len(graphql(server, {"query": one})["data"]["a"]) > WORKSPACES
    two = "query { a: workspace { id } b: workspace { id } }"
    assert "reads more than" in refused(graphql(server, {"query": two}))
    with_members = "query { workspace { id users { user_id } } }"  # the nested reads count too
    assert "reads more than" in refused(graphql(server, {"query": with_members}))


def test_the_attack_of_the_issue_is_refused(server):
    attack = "query {" + " ".join(f"a{index}: workspace {{ id name users {{ user_id user_type }} }}"
                                  for index in range(100)) + "}"
    assert len(attack) < 8000
    refused(graphql(server, {"query": attack}))


def test_other_clients_write_while_a_query_runs(server):
    """The query reads table by table: a write from another client completes in the middle.

    The other client is in-process, on a thread of its own: granian runs one request at a
    time, so one over the socket would only start after the query (waitress, with a thread
    per request, would run it concurrently, and does).
    """
    original = Tables.workspace_user_rows
    during: list[int] = []
    other_client = server.inprocess_session("wallaroo")

    def read_and_let_another_client_write(*args, **kwargs):
        if not during:
            writer = threading.Thread(target=lambda: during.append(other_client.post(
                f"{server.url}/v1/api/workspaces/create", json={"workspace_name": "written-meanwhile"},
                timeout=60).status_code), daemon=True)
            writer.start()
            writer.join(60)  # with the store held for the whole query this waited for it: a deadlock here
            if not during:
                during.append(0)
        return original(*args, **kwargs)

    Tables.workspace_user_rows = read_and_let_another_client_write  # type: ignore[method-assign]
    try:
        body = graphql(server, {"query": "query { workspace(limit: 3) { id users { user_id } } }"})
    finally:
        Tables.workspace_user_rows = original  # type: ignore[method-assign]
    assert "data" in body
    assert during == [200]
    server.reset()


def test_a_mutation_is_still_one_transaction(server):
    mutation = ('mutation { a: insert_workspace_one(object: {name: "tx-one"}) { id } '
                'b: insert_workspace_one(object: {name: "ws-1"}) { id } }')
    body = graphql(server, {"query": mutation})
    assert body["errors"][0]["extensions"]["code"] == "constraint-violation"
    names = {w["name"] for w in server.export_state()["wallaroo"]["workspaces"]}
    assert "tx-one" not in names
