"""The store at a few thousand workspaces: the indexes stay right, and the calls that must
not scan the store do not.

No wall-clock timings (benchmarks/ measures those): complexity is checked by counting
work (name comparisons) or by tables that refuse to be scanned.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from mockserver import MockServer
from mockserver.modelarts import ModelArtsBackend
from mockserver.modelarts import exceptions as modelarts_errors
from mockserver.modelarts.parsing import ListQuery, WorkspaceInput
from mockserver.modelarts.records import free_workspace_id
from mockserver.state import ScenarioError
from mockserver.validation import FieldError

from conftest import PROJECT

N = 2_000


class NoScanDict(dict):
    """A table that refuses to be iterated: lookups, inserts, deletes and len() only."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("scanned a table that must only be looked up")

    __iter__ = keys = values = items = _refuse  # type: ignore[assignment]


class CountingName(str):
    """A workspace name that counts how often it is compared for equality."""

    comparisons = 0

    def __eq__(self, other: object) -> bool:
        CountingName.comparisons += 1
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__


# -- ModelArts: the per-project name index -------------------------------------------------
def modelarts_names_from_tables(backend: ModelArtsBackend) -> dict[str, dict[str, str]]:
    return {project_id: {w.name: w.id for w in table.values()} for project_id, table in backend.data.workspaces.items()}


def assert_modelarts_index_right(backend: ModelArtsBackend) -> None:
    assert backend.data.workspace_names == modelarts_names_from_tables(backend)


def modelarts_workspaces(count: int, prefix: str = "ws") -> dict[str, Any]:
    return {"name": f"{count} workspaces",
            "modelarts": {"workspaces": [{"project": PROJECT, "name": f"{prefix}-{i:05d}"} for i in range(count)]}}


@pytest.fixture
def modelarts_server() -> MockServer:
    server = MockServer()
    server.load_scenarios([modelarts_workspaces(N)])
    return server


def caller(server: MockServer) -> Any:
    backend = server.modelarts
    return backend.authenticate(token=backend.issue_token("modelarts-dev", PROJECT), authorization=None, signed=None)


def test_modelarts_scenario_load_compares_each_name_a_bounded_number_of_times():
    CountingName.comparisons = 0
    document = modelarts_workspaces(N)
    for item in document["modelarts"]["workspaces"]:
        item["name"] = CountingName(item["name"])
    server = MockServer()
    server.load_scenarios([document])
    assert len(server.modelarts.data.workspaces[PROJECT]) == N + 1  # and the default one
    # a scan of the project per workspace would compare about N * N / 2 = 2 000 000 times
    assert CountingName.comparisons <= 4 * N
    assert_modelarts_index_right(server.modelarts)


def test_modelarts_scenario_duplicate_name_at_the_end_is_still_found(modelarts_server):
    before = modelarts_server.export_state()["modelarts"]
    document = modelarts_workspaces(N, prefix="more")
    # taken by the baseline's first, with other values (the same values would be the same workspace)
    document["modelarts"]["workspaces"][-1].update(name="ws-00000", description="another")
    with pytest.raises(ScenarioError, match=rf"modelarts\.workspaces\[{N - 1}\]\.name: workspace 'ws-00000' .* is "
                                            "already defined by the loaded state .* with other values: description"):
        modelarts_server.load(document)
    assert modelarts_server.export_state()["modelarts"] == before
    assert_modelarts_index_right(modelarts_server.modelarts)


def test_modelarts_calls_on_one_workspace_do_not_scan_the_project(modelarts_server):
    backend = modelarts_server.modelarts
    data = backend.data
    data.workspaces[PROJECT] = NoScanDict(data.workspaces[PROJECT])
    who = caller(modelarts_server)
    created = backend.create_workspace(who, PROJECT, WorkspaceInput(name="brand-new"))
    with pytest.raises(modelarts_errors.DuplicateWorkspaceName):
        backend.create_workspace(who, PROJECT, WorkspaceInput(name=f"ws-{N - 1:05d}"))
    backend.update_workspace(who, PROJECT, created["id"], WorkspaceInput(name="renamed-new"))
    with pytest.raises(modelarts_errors.DuplicateWorkspaceName):
        backend.update_workspace(who, PROJECT, created["id"], WorkspaceInput(name="ws-01000"))
    backend.show_workspace(who, PROJECT, created["id"])
    backend.delete_workspace(who, PROJECT, created["id"])
    added = backend.add_workspace(PROJECT, name="helper-added")
    with pytest.raises(FieldError, match="duplicate workspace name"):
        backend.add_workspace(PROJECT, name="helper-added")
    assert backend.data is data  # the helper changed the live data, it did not swap in a copy
    names = data.workspace_names[PROJECT]
    assert names["helper-added"] == added["id"] and "brand-new" not in names and "renamed-new" not in names
    assert len(names) == len(data.workspaces[PROJECT]) == N + 2


def page(backend: ModelArtsBackend, who: Any, sort_by: str, order: str = "desc", offset: int = 0) -> list[str]:
    listed = backend.list_workspaces(who, PROJECT, ListQuery(sort_by=sort_by, order=order, offset=offset, limit=5))
    return [w["name"] for w in listed["workspaces"]]


def sorted_names(backend: ModelArtsBackend, sort_by: str) -> list[str]:
    """What a page must show: the project sorted from scratch (descending)."""
    table = dict(backend.data.workspaces[PROJECT])
    key = {"name": lambda w: (w.name, w.id), "update_time": lambda w: (w.update_time, w.name, w.id),
           "status": lambda w: (w.status, w.name, w.id)}[sort_by]
    return [w.name for w in sorted(table.values(), key=key, reverse=True)]


def test_modelarts_pages_after_changes_and_resets_do_not_sort_the_project(modelarts_server):
    """The list's orders follow creates, updates and deletes (and come back with a reset)
    without sorting the project again: after the first pages, the table may not be scanned."""
    server, backend = modelarts_server, modelarts_server.modelarts
    server.modelarts.data.settings.delete_delay_seconds = 0
    who = caller(server)
    sorts = ("name", "update_time", "status")
    for sort_by in sorts:  # the first page of each order sorts the project once
        assert page(backend, who, sort_by) == sorted_names(backend, sort_by)[:5]
    expected_after_reset = {sort_by: sorted_names(backend, sort_by)[:10] for sort_by in sorts}
    plain = backend.data.workspaces[PROJECT]
    backend.data.workspaces[PROJECT] = NoScanDict(plain)
    created = backend.create_workspace(who, PROJECT, WorkspaceInput(name="zz-new"))  # first by name, descending
    assert page(backend, who, "name") == ["zz-new"] + sorted_names_of(plain, created, "name")[1:5]
    backend.update_workspace(who, PROJECT, created["id"], WorkspaceInput(name="zy-renamed"))
    backend.delete_workspace(who, PROJECT, backend.data.workspace_names[PROJECT]["ws-01999"])
    backend.create_workspace(who, PROJECT, WorkspaceInput(name="zx-other"))
    assert page(backend, who, "name") == ["zy-renamed", "zx-other", "ws-01998", "ws-01997", "ws-01996"]
    assert set(page(backend, who, "update_time")[:2]) == {"zx-other", "zy-renamed"}  # the latest changes first
    assert page(backend, who, "name", order="asc") == ["default", "ws-00000", "ws-00001", "ws-00002", "ws-00003"]
    server.reset()
    backend.data.workspaces[PROJECT] = NoScanDict(plain)  # (the reset put back the plain table)
    for sort_by in sorts:
        assert page(backend, who, sort_by) + page(backend, who, sort_by, offset=1) == expected_after_reset[sort_by]


def sorted_names_of(table: dict[str, Any], created: dict[str, Any], sort_by: str) -> list[str]:
    return sorted([w.name for w in table.values()] + [created["name"]], reverse=True)


def test_modelarts_name_index_follows_every_change(modelarts_server):
    server, backend = modelarts_server, modelarts_server.modelarts
    who = caller(server)
    first = backend.create_workspace(who, PROJECT, WorkspaceInput(name="index-a"))
    backend.update_workspace(who, PROJECT, first["id"], WorkspaceInput(name="index-b"))
    backend.create_workspace(who, PROJECT, WorkspaceInput(name="index-a"))  # the old name is free again
    victim = backend.data.workspace_names[PROJECT]["ws-00007"]
    backend.delete_workspace(who, PROJECT, victim)
    backend.create_workspace(who, PROJECT, WorkspaceInput(name="ws-00007"))  # deleted at once: free
    assert_modelarts_index_right(backend)

    backend.data.settings.delete_delay_seconds = 30
    slow = backend.data.workspace_names[PROJECT]["ws-00008"]
    backend.delete_workspace(who, PROJECT, slow)
    with pytest.raises(modelarts_errors.DuplicateWorkspaceName):  # DELETING: the name is still taken
        backend.create_workspace(who, PROJECT, WorkspaceInput(name="ws-00008"))
    server.clock.advance(31)
    backend.create_workspace(who, PROJECT, WorkspaceInput(name="ws-00008"))  # purged: free again
    assert_modelarts_index_right(backend)

    server.load(modelarts_workspaces(10, prefix="merged"))  # a scenario on top
    backend.add_project(name="eu-nl", account="mock-account")
    assert_modelarts_index_right(backend)
    exported = server.export_state()

    server.reset()
    assert_modelarts_index_right(backend)
    assert "index-a" not in backend.data.workspace_names[PROJECT]
    assert len(backend.data.workspace_names[PROJECT]) == N + 1

    server.import_state(exported)
    assert_modelarts_index_right(backend)
    assert {"index-a", "index-b", "merged-00009"} <= set(backend.data.workspace_names[PROJECT])


def test_modelarts_rejected_helper_item_changes_nothing(modelarts_server):
    backend = modelarts_server.modelarts
    before = copy.deepcopy(backend.data)
    bad_items = [
        {"name": "late-error", "quotas": [{"resource": "no.such_resource", "quota": 1}]},
        {"name": "late-error", "grants": [{"user_name": "ghost"}]},
        {"name": "late-error", "status": "DELETING", "delete_complete_time": "soon"},
        {"name": "ws-01999"},
    ]
    for fields in bad_items:
        with pytest.raises(FieldError):
            backend.add_workspace(PROJECT, **fields)
    with pytest.raises(FieldError):
        backend.add_user(name="late-user", account="mock-account", access_keys=[{"access_key": "A"}])
    with pytest.raises(FieldError):
        backend.add_project(name="eu-de", account="mock-account")
    assert backend.data == before  # the id sequence included: no id was used up
    assert backend.add_workspace(PROJECT, name="late-ok")["id"] == free_workspace_id(before)[0]


# -- Wallaroo: the user -> workspaces index ----------------------------------------------------
def assert_wallaroo_index_right(server: MockServer) -> None:
    data = server.wallaroo.data
    derived: dict[str, set[int]] = {}
    for workspace in data.workspaces.values():
        for user_id in workspace.members:
            derived.setdefault(user_id, set()).add(workspace.id)
    assert data.user_workspaces == derived


def graphql(server: MockServer, user: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    token = server.wallaroo.issue_token(user)
    answer = server.test_client().post("/v1/graphql", json={"query": query, "variables": variables or {}},
                                       headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    return answer.get_json()


@pytest.fixture
def wallaroo_server() -> MockServer:
    """N workspaces owned by the developer; a member belongs to every 100th."""
    server = MockServer()
    server.wallaroo.add_user(username="member@example.com", email="member@example.com", default_workspace=False)
    workspaces = [{"name": f"ws-{i:05d}", "members": [{"user": "developer@example.com", "user_type": "OWNER"}]
                   + ([{"user": "member@example.com"}] if i % 100 == 0 else [])} for i in range(N)]
    server.load_scenarios([{"name": "many", "wallaroo": {"workspaces": workspaces}}])
    return server


def test_wallaroo_list_for_a_user_does_not_scan_the_store(wallaroo_server):
    backend = wallaroo_server.wallaroo
    admin, member = backend.find_user("developer@example.com"), backend.find_user("member@example.com")
    expected = sorted(w.id for w in backend.data.workspaces.values() if member.id in w.members)
    assert len(expected) == N // 100
    backend.data.workspaces = NoScanDict(backend.data.workspaces)
    assert [w["id"] for w in backend.list_workspaces(admin, [member.id])] == expected
    assert [w["id"] for w in backend.list_workspaces(member, None)] == expected  # a member's own list
    assert [w["id"] for w in backend.list_workspaces(member, [admin.id, "no-such-user"])] == expected
    assert backend.list_workspaces(admin, ["no-such-user"]) == []


def test_wallaroo_index_follows_every_membership_change(wallaroo_server):
    server, backend = wallaroo_server, wallaroo_server.wallaroo
    dev, member = backend.find_user("developer@example.com"), backend.find_user("member@example.com")
    first = backend.data.workspace_names["ws-00000"]
    # REST: create, add, upsert, remove
    created = backend.create_workspace(member, "member-made")
    backend.add_workspace_user(member, workspace_id=created, email="developer@example.com", user_id=None,
                               user_type=None)
    backend.add_workspace_user(dev, workspace_id=first, email=None, user_id=member.id, user_type="OWNER")
    assert backend.remove_workspace_user(dev, workspace_id=first, email=None, user_id=member.id) == 1
    assert backend.remove_workspace_user(dev, workspace_id=first, email=None, user_id=member.id) == 0
    assert_wallaroo_index_right(server)
    assert first not in backend.data.user_workspaces[member.id]
    # invites (a default workspace), scenario merges and the helpers
    invited = backend.invite(dev, email="new@example.com", password="pw", roles=None, require_reset=False)
    backend.add_workspace(name="helper-made", members=[{"user": invited["id"]}])
    server.load({"name": "more", "wallaroo": {"workspaces": [{"name": "merged", "members": [{"user": member.id}]}]}})
    assert_wallaroo_index_right(server)
    assert len(backend.data.user_workspaces[invited["id"]]) == 2
    # GraphQL: insert a workspace with members, upsert a member, delete members
    made = graphql(server, "developer@example.com", "mutation($u: String!) { insert_workspace_one(object: "
                   "{name: \"gql-made\", users: {data: [{user_id: $u, user_type: \"OWNER\"}]}}) { id } }",
                   {"u": member.id})
    gql_id = made["data"]["insert_workspace_one"]["id"]
    assert gql_id in backend.data.user_workspaces[member.id]
    graphql(server, "developer@example.com", "mutation($u: String!, $w: bigint!) { insert_workspace_users_one("
            "object: {user_id: $u, user_type: \"COLLABORATOR\", workspace_id: $w}) { id } }",
            {"u": member.id, "w": first})
    assert first in backend.data.user_workspaces[member.id]
    deleted = graphql(server, "developer@example.com", "mutation($u: String!) { delete_workspace_users("
                      "where: {user_id: {_eq: $u}}) { affected_rows } }", {"u": member.id})
    # every 100th (the first re-added) and member-made, merged, gql-made
    assert deleted["data"]["delete_workspace_users"]["affected_rows"] == N // 100 + 3
    assert member.id not in backend.data.user_workspaces
    assert_wallaroo_index_right(server)
    # a mutation that fails half-way is rolled back, the index with it
    before = copy.deepcopy(backend.data.user_workspaces)
    failed = graphql(server, "developer@example.com", "mutation($u: String!) { a: delete_workspace_users("
                     "where: {user_id: {_eq: $u}}) { affected_rows } b: insert_workspace_one(object: "
                     "{name: \"ws-00001\"}) { id } }", {"u": dev.id})
    assert "errors" in failed
    assert backend.data.user_workspaces == before
    assert_wallaroo_index_right(server)
    # export / import, reset
    exported = server.export_state()
    server.reset()
    assert_wallaroo_index_right(server)
    assert len(backend.data.user_workspaces[member.id]) == N // 100
    server.import_state(exported)
    assert_wallaroo_index_right(server)
    assert member.id not in backend.data.user_workspaces


def test_exports_stay_plain_json_though_the_store_keeps_tuples():
    """Stored model/pipeline ids and grants are tuples; documents are lists, as loaded."""
    server = MockServer()
    server.wallaroo.add_workspace(name="with-ids", models=[3, 5], pipelines=[8])
    server.modelarts.add_workspace(PROJECT, name="granted", auth_type="INTERNAL",
                                   grants=[{"user_name": "modelarts-viewer"}])
    exported = server.export_state()
    assert json.loads(json.dumps(exported)) == exported
    token = server.wallaroo.issue_token("developer@example.com")
    listed = server.test_client().post("/v1/api/workspaces/list", json={},
                                       headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [(w["models"], w["pipelines"]) for w in listed["workspaces"] if w["name"] == "with-ids"] == [([3, 5], [8])]
