"""Resets and GraphQL transactions undo only what changed (``state.Changes``).

The store keeps the first original of every slot changed since the baseline (and, during a
GraphQL mutation, since the mutation began). These tests count that work instead of timing
it: a reset or a rollback copies nothing (no ``clone`` of the store) and puts back as many
slots as the calls touched, the same with a small and a ten-times larger baseline; the log
keeps one entry per slot however often it changes; and what comes back is exactly the
baseline, order included (``export_state()`` compared whole, but the clock).
"""

from __future__ import annotations

import bisect
import random
from typing import Any

import pytest

from mockserver import MockServer
from mockserver.modelarts.orders import SortedBlocks
from mockserver.modelarts.parsing import WorkspaceInput
from mockserver.modelarts.quotas import CATALOGUE
from mockserver.state import Changes

from conftest import PROJECT

SMALL, LARGE = 100, 1_000


def build(workspaces: int) -> MockServer:
    """``workspaces`` per API: ModelArts ones in the default project, Wallaroo ones owned by the developer."""
    server = MockServer()
    server.load_scenarios([{"name": f"{workspaces} workspaces",
                            "modelarts": {"workspaces": [{"project": PROJECT, "name": f"ws-{i:05d}"}
                                                         for i in range(workspaces)]},
                            "wallaroo": {"workspaces": [{"name": f"ws-{i:05d}", "members": [
                                {"user": "developer@example.com", "user_type": "OWNER"}]}
                                for i in range(workspaces)]}}])
    return server


def stored(server: MockServer) -> dict[str, Any]:
    """The whole exported state but the clock (which moves on)."""
    document = server.export_state()
    del document["clock"]
    return document


def count_clones(server: MockServer) -> dict[str, int]:
    """Count each backend's ``clone`` calls from now on."""
    counts = {"wallaroo": 0, "modelarts": 0}
    for name in counts:
        backend = server.state[name]
        original = backend.clone

        def counting(data: Any, _name: str = name, _original: Any = original) -> Any:
            counts[_name] += 1
            return _original(data)
        backend.clone = counting  # type: ignore[method-assign]
    return counts


def modelarts_caller(server: MockServer) -> Any:
    backend = server.modelarts
    return backend.authenticate(token=backend.issue_token("modelarts-dev", PROJECT), authorization=None, signed=None)


def graphql(server: MockServer, query: str, variables: dict[str, Any] | None = None) -> Any:
    headers = {"Authorization": f"Bearer {server.wallaroo.issue_token('developer@example.com')}"}
    answer = server.test_client().post("/v1/graphql", json={"query": query, "variables": variables or {}},
                                       headers=headers)
    assert answer.status_code == 200
    return answer.get_json()


def touch_ten_records(server: MockServer) -> None:
    """Ten records changed through the APIs' operations: created, renamed, deleted, members."""
    who = modelarts_caller(server)
    modelarts, wallaroo = server.modelarts, server.wallaroo
    created = modelarts.create_workspace(who, PROJECT, WorkspaceInput(name="touched-new"))
    first = modelarts.data.workspace_names[PROJECT]["ws-00001"]
    modelarts.update_workspace(who, PROJECT, first, WorkspaceInput(name="touched-renamed", description="d"))
    modelarts.delete_workspace(who, PROJECT, modelarts.data.workspace_names[PROJECT]["ws-00002"])
    modelarts.update_quotas(who, PROJECT, created["id"], [(CATALOGUE[0].resource, 5)])
    developer = wallaroo.find_user("developer@example.com")
    wallaroo.invite(developer, email="touched@example.com", password="pw", roles=None, require_reset=False)
    made = wallaroo.create_workspace(developer, "touched-made")
    wallaroo.add_workspace_user(developer, workspace_id=made, email="touched@example.com", user_id=None,
                                user_type="COLLABORATOR")
    wallaroo.remove_workspace_user(developer, workspace_id=wallaroo.data.workspace_names["ws-00003"],
                                   email=None, user_id=developer.id)
    wallaroo.set_enabled(developer, email="touched@example.com", enabled=False)
    assert "errors" not in graphql(server, 'mutation { insert_workspace_one(object: {name: "touched-gql"}) { id } }')


def test_reset_after_ten_touched_records_copies_nothing_and_restores_the_baseline_exactly():
    undone = {}
    for size in (SMALL, LARGE):
        server = build(size)
        baseline = stored(server)
        clones = count_clones(server)
        touch_ten_records(server)
        assert stored(server) != baseline
        undone[size] = len(server.state.changes)
        server.reset()
        assert clones == {"wallaroo": 0, "modelarts": 0}, "a reset copies nothing"
        assert stored(server) == baseline  # order included: the deleted workspace is back in place
        # the same calls again after the reset: the log was emptied and the baseline is intact
        touch_ten_records(server)
        server.reset()
        assert stored(server) == baseline
    assert undone[SMALL] == undone[LARGE] < 60, "the work of a reset follows the calls, not the store"


def test_a_slot_changed_many_times_is_kept_once():
    server = build(SMALL)
    who = modelarts_caller(server)
    target = server.modelarts.data.workspace_names[PROJECT]["ws-00005"]
    server.modelarts.update_workspace(who, PROJECT, target, WorkspaceInput(description="0"))
    after_one = len(server.state.changes)
    for round_ in range(1, 50):
        server.modelarts.update_workspace(who, PROJECT, target, WorkspaceInput(description=str(round_)))
    assert len(server.state.changes) == after_one, "memory stays bounded without resets"
    server.reset()
    assert server.modelarts.workspaces(PROJECT)[6]["description"] == ""


def test_graphql_rollback_undoes_only_the_mutation_and_copies_nothing():
    server = build(LARGE)
    clones = count_clones(server)
    developer = server.wallaroo.find_user("developer@example.com")
    kept = server.wallaroo.create_workspace(developer, "made-before")  # a change since the baseline
    before = stored(server)
    logged = len(server.state.changes)
    # the second root field fails (a taken name): the first one's insert must not stay
    failed = graphql(server, 'mutation { a: insert_workspace_one(object: {name: "gql-one"}) { id } '
                             'b: insert_workspace_one(object: {name: "ws-00001"}) { id } }')
    assert failed["errors"][0]["extensions"]["code"] == "constraint-violation"
    assert stored(server) == before
    assert clones == {"wallaroo": 0, "modelarts": 0}, "a mutation copies nothing"
    assert len(server.state.changes) <= logged + 10  # the baseline log holds a few slots more at most
    ok = graphql(server, 'mutation { insert_workspace_one(object: {name: "gql-two"}) { id } }')
    assert "errors" not in ok
    names = {w["name"] for w in stored(server)["wallaroo"]["workspaces"]}
    assert {"made-before", "gql-two"} <= names and "gql-one" not in names
    server.reset()
    names = {w["name"] for w in stored(server)["wallaroo"]["workspaces"]}
    assert not {"made-before", "gql-two"} & names
    assert kept not in server.wallaroo.data.workspaces


def test_reset_after_loads_that_are_not_the_baseline():
    server = build(SMALL)
    baseline = stored(server)
    server.load_scenarios([{"name": "extra", "wallaroo": {"workspaces": [{"name": "extra-ws"}]}}], as_baseline=False)
    server.modelarts.create_workspace(modelarts_caller(server), PROJECT, WorkspaceInput(name="after-load"))
    server.import_state(server.export_state())  # a whole new data object, not the baseline
    server.reset()
    assert stored(server) == baseline


def test_a_loaded_baseline_is_what_reset_returns_to():
    server = build(SMALL)
    server.modelarts.create_workspace(modelarts_caller(server), PROJECT, WorkspaceInput(name="in-baseline"))
    server.load_scenarios([{"name": "more", "wallaroo": {"workspaces": [{"name": "more-ws"}]}}])
    baseline = stored(server)
    server.wallaroo.create_workspace(server.wallaroo.find_user("developer@example.com"), "not-in-baseline")
    server.reset()
    assert stored(server) == baseline


def test_changes_log_and_undo_each_kind_of_slot():
    changes = Changes()
    table: dict[str, Any] = {"kept": 1, "changed": 2, "dropped": 3}
    members = {1, 2}

    class Record:
        def __init__(self) -> None:
            self.value = "before"
            self.inner = ["a"]

    def copy_record(record: Record) -> Record:
        copied = Record()
        copied.value, copied.inner = record.value, list(record.inner)
        return copied

    record = Record()
    changes.item(table, "changed")
    table["changed"] = 20
    changes.item(table, "changed")  # the second report keeps the first original
    table["changed"] = 200
    changes.item(table, "dropped")
    del table["dropped"]
    changes.item(table, "added")
    table["added"] = 4
    changes.member(members, 2)
    members.discard(2)
    changes.member(members, 3)
    members.add(3)
    changes.record(record, copy_record)
    record.value = "after"
    record.inner.append("b")
    ordered = {"a": 1, "b": 2, "c": 3}
    changes.item(ordered, "d")
    ordered["d"] = 4
    changes.whole(ordered)  # a delete where the order shows: the whole dict, once
    del ordered["a"]
    changes.whole(ordered)
    del ordered["b"]
    assert len(changes) == 8
    changes.begin()
    changes.record(record, copy_record)
    record.inner.append("c")
    changes.item(table, "kept")
    table["kept"] = 10
    changes.rollback()  # only the transaction's changes
    assert record.inner == ["a", "b"] and table["kept"] == 1
    assert len(changes) == 9  # the baseline's log also kept the slot the transaction touched first
    assert changes.undo() == 9
    assert list(ordered.items()) == [("a", 1), ("b", 2), ("c", 3)]
    assert table == {"kept": 1, "changed": 2, "dropped": 3}
    assert members == {1, 2}
    assert (record.value, record.inner) == ("before", ["a"])
    assert len(changes) == 0
    changes.begin()
    with pytest.raises(RuntimeError, match="transaction open"):
        changes.undo()


def test_sorted_blocks_follow_inserts_and_removes_and_never_change_a_shared_block():
    rng = random.Random(7)
    keys = sorted(rng.sample(range(10**6), 3_000))
    base = SortedBlocks(keys, [f"item-{key}" for key in keys])
    snapshot = list(base)
    changed, reference = base.copy(), list(keys)
    for _ in range(4_000):  # enough inserts in one region to split blocks, removes to empty some
        if rng.random() < 0.6:
            key = rng.choice([rng.randrange(10**6), rng.randrange(1000)])
            if key not in reference:
                changed.insert(key, f"item-{key}")
                bisect.insort(reference, key)
        elif reference:
            key = rng.choice(reference)
            assert changed.remove(key)
            reference.remove(key)
        assert not changed.remove(-1)
    expected = [f"item-{key}" for key in reference]
    assert list(changed) == expected and len(changed) == len(reference)
    assert list(reversed(changed)) == expected[::-1]
    for start, stop in [(0, 10), (500, 1600), (len(expected) - 3, len(expected) + 5), (0, 0)]:
        assert changed.slice(start, stop) == expected[start:stop]
    assert list(base) == snapshot, "the order the copy came from is unchanged"


def test_keycloak_admin_changes_are_undone_by_a_reset_in_order():
    """Deleting a user (the users' order shows in exports), resetting a password, mapping roles."""
    server = build(SMALL)
    server.wallaroo.add_user(username="late@example.com", email="late@example.com")
    server.load_scenarios([], as_baseline=True)
    baseline = stored(server)
    realm, admin = server.wallaroo.realm, server.wallaroo.find_user("admin")
    late = server.wallaroo.find_user("late@example.com")
    realm.reset_password(admin, late.id, value="changed", temporary=True)
    realm.map_realm_roles(admin, late.id, [{"name": "admin"}], add=True)
    realm.delete_user(admin, server.wallaroo.find_user("developer@example.com").id)  # not the last user
    assert stored(server) != baseline
    server.reset()
    assert stored(server) == baseline  # the deleted user is back in its place, not at the end
