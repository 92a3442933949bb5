"""GraphQL reads hold the store only for a snapshot (issue 8, item 4).

A read takes, under the store's lock, the few fields its rows need; the rows are built,
filtered, sorted and paged after the lock is released (mockserver/wallaroo/graphql/tables.py).
No timing is asserted: a lock that knows whether the current thread holds it counts the rows
built and the selections made while it is held; and writes and resets run right after a
read's snapshot, between its release of the lock and its answer, which must not show them
(a read that looked at the records after the lock was released would). The catalog's tables
(models, pipelines, deployments: frozen records) pick their records under the lock and build
their rows without it.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest

from mockserver import MockServer
from mockserver.wallaroo.catalog.graphql import Rows
from mockserver.wallaroo.graphql import resolvers, tables

WORKSPACES = 300
DEVELOPER = "developer@example.com"
MEMBER = "member@example.com"
TIMEOUT = 10  # seconds, per request
JOIN_TIMEOUT = 60


class WatchedLock:
    """The store's re-entrant lock, wrapped so that code can ask whether this thread holds it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.local = threading.local()
        #: called in the releasing thread after each outermost release (None: nothing)
        self.after_release: Any = None

    def held(self) -> bool:
        return getattr(self.local, "depth", 0) > 0

    def acquire(self, *args: Any, **kwargs: Any) -> bool:
        got = self.inner.acquire(*args, **kwargs)
        if got:
            self.local.depth = getattr(self.local, "depth", 0) + 1
        return got

    def release(self) -> None:
        self.local.depth -= 1
        self.inner.release()
        if self.local.depth == 0 and self.after_release is not None:
            self.after_release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()


def watch_lock(server: MockServer, monkeypatch: pytest.MonkeyPatch) -> tuple[Counter[tuple[str, bool]], Any]:
    """Put a :class:`WatchedLock` in place of ``server``'s store lock; return a count of calls
    by (name, whether the lock was held) and ``counted(name, original)``, which wraps
    ``original`` so that each call is counted under ``name``."""
    lock = WatchedLock(server.state.lock)
    monkeypatch.setattr(server.state, "lock", lock)
    calls: Counter[tuple[str, bool]] = Counter()

    def counted(name: str, original: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls[name, lock.held()] += 1
            return original(*args, **kwargs)
        return call

    return calls, counted


def scenario() -> dict[str, Any]:
    workspaces = [{"name": f"ws-{index}", "members": [{"user": DEVELOPER, "user_type": "OWNER"}]
                   + ([{"user": MEMBER, "user_type": "COLLABORATOR"}] if index % 3 == 0 else [])}
                  for index in range(WORKSPACES)]
    return {"name": "holds", "wallaroo": {
        "users": [{"id": "0c0c0c0c-0000-4000-8000-000000000001", "username": MEMBER, "email": MEMBER,
                   "password": "member"}],
        "workspaces": workspaces}}


@pytest.fixture(scope="module")
def server():
    with MockServer(["default", scenario()]) as running:
        yield running


@pytest.fixture
def watched(server, monkeypatch):
    """The store's lock watched, and a count of the row builders' and the selection's calls by
    whether the lock was held at the time."""
    calls, counted = watch_lock(server, monkeypatch)
    monkeypatch.setattr(tables, "workspace_row", counted("workspace row", tables.workspace_row))
    monkeypatch.setattr(tables, "member_row", counted("member row", tables.member_row))
    monkeypatch.setattr(resolvers, "selected", counted("selection", resolvers.selected))
    yield calls
    server.reset()


def graphql(server, query: str, user: str = DEVELOPER) -> dict[str, Any]:
    client = server.test_client()
    body = client.post("/v1/graphql", json={"query": query}, headers=server.wallaroo_headers(user)).get_json()
    assert "errors" not in body, body
    return body["data"]


def test_reads_build_filter_and_sort_rows_outside_the_lock(server, watched):
    everything = graphql(server, "query { workspace { id name created_at archived "
                                 "users { id user_id user_type } user_default_workspaces { user_id } } }")
    stored = server.export_state()["wallaroo"]["workspaces"]  # the scenario's, and both users' default ones
    memberships = sum(len(w["members"]) for w in stored)
    assert len(everything["workspace"]) == len(stored) == WORKSPACES + 2
    assert sum(len(w["users"]) for w in everything["workspace"]) == memberships
    filtered = graphql(server, """query {
        w: workspace(where: {users: {user_type: {_eq: "COLLABORATOR"}}}, order_by: [{name: desc}],
                     limit: 5, offset: 2) { id name }
        m: workspace_users(where: {user_id: {_neq: "nobody"}}, order_by: [{user_type: asc}, {id: desc}]) { id }
        d: user_default_workspace { user_id workspace_id }
        one: workspace_by_pk(id: 3) { id users { user_id } }
    }""")
    shared = sorted((f"ws-{index}" for index in range(0, WORKSPACES, 3)), reverse=True)
    assert [w["name"] for w in filtered["w"]] == shared[2:7]
    assert len(filtered["m"]) == memberships
    assert filtered["one"]["id"] == 3
    mine = graphql(server, "query { workspace(order_by: [{id: asc}]) { id users { user_id } } }", user=MEMBER)
    assert len(mine["workspace"]) == WORKSPACES // 3 + 1  # and the member's default workspace

    built_outside = {name: count for (name, held), count in watched.items() if not held}
    built_inside = {name: count for (name, held), count in watched.items() if held}
    assert built_inside == {}, f"rows built or selected with the store's lock held: {built_inside}"
    # the reads above did build their rows (so the count above could have caught them)
    assert built_outside["workspace row"] >= 2 * WORKSPACES
    assert built_outside["member row"] >= 2 * WORKSPACES
    assert built_outside["selection"] >= 2 * WORKSPACES


def test_a_mutation_still_builds_its_rows_under_the_lock(server, watched):
    """The counting has teeth: a mutation runs as one transaction, so its rows are built held."""
    graphql(server, 'mutation { insert_workspace_one(object: {name: "held-one"}) { id name } }')
    assert watched["workspace row", True] >= 1


def write_after_each_snapshot(monkeypatch, server: MockServer, lock: WatchedLock, writes: list[Any]) -> None:
    """Run ``writes`` (one per table read, from another thread, to the end) right after a table
    read of this thread releases the store's lock: between its snapshot and the rows it builds.
    A read whose rows came from its snapshot does not show them; one that read the records
    after releasing the lock would."""
    reading = threading.local()
    pending = list(writes)

    def after_release() -> None:
        if getattr(reading, "active", False) and pending:
            writer = threading.Thread(target=pending.pop(0), daemon=True)
            writer.start()
            writer.join(JOIN_TIMEOUT)
            assert not writer.is_alive(), "a write hung"

    def watched_read(original: Any) -> Any:
        def read(*args: Any, **kwargs: Any) -> Any:
            reading.active = True
            try:
                return original(*args, **kwargs)
            finally:
                reading.active = False
        return read

    lock.after_release = after_release
    for name in ("workspace_rows", "workspace_user_rows", "default_workspace_rows"):
        monkeypatch.setattr(tables.Tables, name, watched_read(getattr(tables.Tables, name)))


def test_a_read_shows_the_store_as_it_was_under_the_lock(server, watched, monkeypatch):
    """Writes that come between a read's snapshot and its answer are not in the answer."""
    ids = {user.email: user.id for user in server.wallaroo.data.users.values() if user.email}
    errors: list[str] = []

    def write(archived: bool, created_by: str, developer: str, member: str) -> Any:
        def run() -> None:
            answer = server.test_client().post("/v1/graphql", headers=server.wallaroo_headers(), json={"query": f"""
                mutation {{ insert_workspace_one(object: {{name: "ws-3", archived: {str(archived).lower()},
                    created_by: "{created_by}", users: {{data: [{{user_id: "{ids[DEVELOPER]}", user_type: "{developer}"}},
                    {{user_id: "{ids[MEMBER]}", user_type: "{member}"}}], on_conflict: {{
                    constraint: workspace_users_workspace_id_user_id_key, update_columns: [user_type]}}}}}},
                on_conflict: {{constraint: workspace_name_key, update_columns: [archived, created_by]}}) {{ id }} }}"""})
            if "errors" in answer.get_json():
                errors.append(answer.get_json())
        return run

    write_after_each_snapshot(monkeypatch, server, server.state.lock, [
        write(True, "first", "COLLABORATOR", "OWNER"), write(False, "second", "OWNER", "COLLABORATOR")])
    (row,) = graphql(server, "query { workspace(where: {name: {_eq: \"ws-3\"}}) { archived created_by "
                             "users { user_id user_type } } }")["workspace"]
    assert not errors, errors
    # the workspace as it was before both writes; its members (a second read) after the first
    assert (row["archived"], row["created_by"]) == (False, ids[DEVELOPER])
    assert row["users"] == [{"user_id": ids[DEVELOPER], "user_type": "COLLABORATOR"},
                            {"user_id": ids[MEMBER], "user_type": "OWNER"}]
    (stored,) = [w for w in server.export_state()["wallaroo"]["workspaces"] if w["name"] == "ws-3"]
    assert stored["created_by"] == "second"  # both writes ran


def test_a_read_shows_no_reset_that_came_after_its_snapshot(server, watched, monkeypatch):
    ids = {user.email: user.id for user in server.wallaroo.data.users.values() if user.email}
    query = f'query {{ workspace_users(where: {{user_id: {{_eq: "{ids[MEMBER]}"}}}}) {{ workspace_id }} }}'
    assert len(graphql(server, query)["workspace_users"]) == WORKSPACES // 3 + 1
    deleted = graphql(server, f"""mutation {{ delete_workspace_users(where: {{user_id: {{_eq: "{ids[MEMBER]}"}},
                                  user_type: {{_eq: "COLLABORATOR"}}}}) {{ affected_rows }} }}""")
    assert deleted["delete_workspace_users"]["affected_rows"] == WORKSPACES // 3
    write_after_each_snapshot(monkeypatch, server, server.state.lock, [server.reset])
    assert len(graphql(server, query)["workspace_users"]) == 1  # only the member's own default workspace
    assert len(graphql(server, query)["workspace_users"]) == WORKSPACES // 3 + 1  # the reset did run


@pytest.fixture(scope="module")
def tutorial():
    with MockServer(["wallaroo-tutorial"]) as running:
        yield running


def test_catalog_reads_pick_records_under_the_lock_and_build_rows_outside(tutorial, monkeypatch):
    """Models, pipelines and deployments are frozen records: a read picks them, and checks the
    caller may see their workspace, under the lock (one instant of the store), then builds its
    rows without it."""
    calls, counted = watch_lock(tutorial, monkeypatch)
    for name in ("family", "version", "config", "pipeline", "pipeline_version", "deployment", "_visible"):
        raw = Rows.__dict__[name]
        wrapped = staticmethod(counted(name, raw.__func__)) if isinstance(raw, staticmethod) else counted(name, raw)
        monkeypatch.setattr(Rows, name, wrapped)
    client = tutorial.test_client()
    body = client.post("/v1/graphql", headers=tutorial.wallaroo_headers("john.hummel@wallaroo.ai"), json={
        "query": "query { models { id name models { id model_version model_configs { id runtime } } } "
                 "pipeline { id pipeline_id pipeline_versions { id version } deployment { id deployed } } "
                 "deployment { id deploy_id } model_config { id } }"}).get_json()
    assert "errors" not in body, body
    data = body["data"]
    assert [m["name"] for m in data["models"]] == ["ccfraudmodel"]
    assert [p["pipeline_id"] for p in data["pipeline"]] == ["ccfraudpipeline"]
    assert data["pipeline"][0]["deployment"]["deployed"] is True and len(data["deployment"]) == 1
    built = {name for (name, _) in calls} - {"_visible"}
    assert built == {"family", "version", "config", "pipeline", "pipeline_version", "deployment"}
    assert not [name for (name, held) in calls if held and name != "_visible"], calls
    assert calls["_visible", True] >= 6 and calls["_visible", False] == 0, calls


def test_a_workspaces_default_workspace_links_need_no_walk_over_every_user(server, monkeypatch):
    """``workspace { user_default_workspaces }`` finds the user from the workspace's name (one
    lookup per workspace, not every user per workspace), with the same rows as the table."""
    looked_up = Counter[str]()
    original = tables.Tables._default_workspace

    def counted(self: Any, user: Any) -> Any:
        looked_up["users"] += 1
        return original(self, user)

    monkeypatch.setattr(tables.Tables, "_default_workspace", counted)
    for user in (DEVELOPER, MEMBER):
        looked_up.clear()
        nested = graphql(server, "query { workspace { id user_default_workspaces { user_id workspace_id } } }",
                         user=user)["workspace"]
        table = graphql(server, "query { user_default_workspace { user_id workspace_id } }", user=user)
        links = [link for workspace in nested for link in workspace["user_default_workspaces"]]
        assert sorted(links, key=str) == sorted(table["user_default_workspace"], key=str)
        assert len(links) == (2 if user == DEVELOPER else 1)  # an admin sees both users' links
        assert all(link["workspace_id"] == workspace["id"]
                   for workspace in nested for link in workspace["user_default_workspaces"])
        # the admin: the two default workspaces among 302, each found from its name, then the
        # table's walk over the users (it was every user for every workspace: 906); the member:
        # only their own user, once per workspace they read and once for the table
        expected = 2 + len(server.wallaroo.data.users) if user == DEVELOPER else len(nested) + 1
        assert looked_up["users"] == expected, (user, looked_up)
