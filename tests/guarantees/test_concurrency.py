"""Many threads over real sockets at once: the store stays consistent (docs/guarantees.md).

Each test starts its threads together (a barrier), gives every thread its own keep-alive
connection to the listening server, bounds every loop and every request (timeouts), and
then checks what only a correct store can produce: unique ids without gaps, exactly one
winner per contested name or email, memberships that a serial order of the same calls
explains (a linearizability check per user), no lost updates, and snapshots of the whole
store, taken while writers run, that are never half-way through an operation.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Callable

import pytest
import requests

from conftest import PROJECT

THREADS = 8
TIMEOUT = 10  # seconds, per request
JOIN_TIMEOUT = 60  # seconds, for a whole test's threads
DEVELOPER = "developer@example.com"


@pytest.fixture(autouse=True)
def frequent_thread_switches():
    """Switch threads every microsecond instead of every 5 ms while a test runs.

    The GIL otherwise hides most check-then-act races: with the default interval these
    tests pass even with the store lock removed; with this one they fail.
    """
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def session() -> requests.Session:
    http = requests.Session()
    http.trust_env = False  # 127.0.0.1 only: no proxies
    return http


def run_threads(count: int, work: Callable[[int, requests.Session], Any]) -> list[Any]:
    """Run ``work(index, session)`` in ``count`` threads started together; their results, in order.

    An exception in any thread fails the test; a thread still running after
    JOIN_TIMEOUT fails it too (a hang is a failure, not a stuck suite).
    """
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def target(index: int) -> None:
        http = session()
        try:
            barrier.wait(timeout=JOIN_TIMEOUT)
            results[index] = work(index, http)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            http.close()

    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + JOIN_TIMEOUT
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "threads still running: a request hung"
    if errors:
        raise errors[0]
    return results


# == Wallaroo ============================================================================
@pytest.fixture
def wallaroo(mockserver):
    """(server, post) where post(http, action, body, user=DEVELOPER) -> (status, json)."""
    tokens: dict[str, str] = {}

    def post(http: requests.Session, action: str, body: Any, user: str = DEVELOPER) -> tuple[int, Any]:
        if user not in tokens:
            tokens[user] = mockserver.wallaroo.issue_token(user)
        response = http.post(f"{mockserver.url}/v1/api/{action}", json=body, timeout=TIMEOUT,
                             headers={"Authorization": f"Bearer {tokens[user]}"})
        return response.status_code, response.json()

    tokens[DEVELOPER] = mockserver.wallaroo.issue_token(DEVELOPER)
    return mockserver, post


def test_same_name_creates_have_exactly_one_winner_and_ids_have_no_gaps(wallaroo):
    server, post = wallaroo
    names = [f"race-{n:03d}" for n in range(50)]
    first_id = server.export_state()["wallaroo"]["next_workspace_id"]

    def work(index: int, http: requests.Session) -> list[tuple[str, int, Any]]:
        order = names[:]
        random.Random(index).shuffle(order)  # every thread races for every name, in its own order
        return [(name, *post(http, "workspaces/create", {"workspace_name": name})) for name in order]

    outcomes = [outcome for per_thread in run_threads(THREADS, work) for outcome in per_thread]
    assert len(outcomes) == THREADS * len(names)
    winners: dict[str, int] = {}
    for name, status, body in outcomes:
        if status == 200:
            assert name not in winners, f"two creates of {name} succeeded"
            winners[name] = body["workspace_id"]
        else:
            assert status == 400 and body["code"] == 400 and "already exists" in body["msg"], body
    assert set(winners) == set(names)
    assert sorted(winners.values()) == list(range(first_id, first_id + len(names)))  # unique, no gaps

    state = server.export_state()["wallaroo"]
    developer = server.wallaroo.find_user(DEVELOPER)
    created = {w["name"]: w for w in state["workspaces"] if w["name"].startswith("race-")}
    assert {name: w["id"] for name, w in created.items()} == winners
    assert all(w["members"] == [{"user": developer.id, "user_type": "OWNER"}] for w in created.values())
    assert state["next_workspace_id"] == first_id + len(names)


def test_distinct_creates_from_many_users_lose_nothing(wallaroo):
    server, post = wallaroo
    users = [f"creator-{i}@example.com" for i in range(THREADS)]
    for email in users:
        server.wallaroo.add_user(username=email, email=email, default_workspace=False)
    first_id = server.export_state()["wallaroo"]["next_workspace_id"]

    def work(index: int, http: requests.Session) -> list[int]:
        ids = []
        for n in range(50):
            status, body = post(http, "workspaces/create", {"workspace_name": f"t{index}-w{n}"}, user=users[index])
            assert status == 200, body
            ids.append(body["workspace_id"])
        return ids

    per_thread = run_threads(THREADS, work)
    all_ids = [i for ids in per_thread for i in ids]
    assert sorted(all_ids) == list(range(first_id, first_id + THREADS * 50))
    assert all(ids == sorted(ids) for ids in per_thread)  # one client's creates get increasing ids
    state = server.export_state()["wallaroo"]
    by_id = {w["id"]: w for w in state["workspaces"]}
    for index, ids in enumerate(per_thread):
        owner = server.wallaroo.find_user(users[index]).id
        assert [by_id[i]["name"] for i in ids] == [f"t{index}-w{n}" for n in range(50)]
        assert all(by_id[i]["members"] == [{"user": owner, "user_type": "OWNER"}] for i in ids)


@dataclass
class MemberOp:
    start: float
    end: float
    kind: str  # "add" or "remove"
    user_type: str | None  # what an add sets
    removed: bool | None  # what a remove answered (affected_rows == 1)


def serial_explanation_exists(ops: list[MemberOp], final: str | None) -> bool:
    """Is there an order of ``ops`` that respects real time (an op that ended before another
    started comes first) in which every remove's answer and the final membership follow?

    Wing and Gong's search, memoised on (ops done, membership); ``final`` is checked as a
    read after everything.
    """
    ops = sorted(ops, key=lambda op: op.start)
    full = (1 << len(ops)) - 1
    seen: set[tuple[int, str | None]] = set()

    def search(done: int, member: str | None) -> bool:
        if done == full:
            return member == final
        if (done, member) in seen:
            return False
        seen.add((done, member))
        earliest_end = min(op.end for i, op in enumerate(ops) if not done >> i & 1)
        for i, op in enumerate(ops):
            if done >> i & 1:
                continue
            if op.start > earliest_end:  # must come after an op that has not been placed yet
                break
            if op.kind == "add":
                after = op.user_type
            elif op.removed != (member is not None):
                continue
            else:
                after = None
            if search(done | 1 << i, after):
                return True
        return False

    return search(0, None)


def test_serial_explanation_check_rejects_impossible_histories():
    """The checker itself: it must be able to say no."""
    add = MemberOp(0, 1, "add", "COLLABORATOR", None)
    removed = MemberOp(2, 3, "remove", None, True)
    assert serial_explanation_exists([add, removed], None)
    assert not serial_explanation_exists([add, removed], "COLLABORATOR")  # the remove came last
    assert not serial_explanation_exists([MemberOp(0, 1, "remove", None, True)], None)  # nothing to remove
    overlapping = MemberOp(0, 3, "add", "OWNER", None)
    assert serial_explanation_exists([overlapping, MemberOp(1, 2, "remove", None, False)], "OWNER")
    assert not serial_explanation_exists([add, MemberOp(2, 3, "remove", None, False)], "COLLABORATOR")


def test_concurrent_adds_and_removes_on_one_workspace_have_a_serial_explanation(wallaroo):
    server, post = wallaroo
    status, body = post(session(), "workspaces/create", {"workspace_name": "contested"})
    assert status == 200
    workspace_id = body["workspace_id"]
    pool = [server.wallaroo.add_user(username=f"m{i}@example.com", email=f"m{i}@example.com",
                                     default_workspace=False).id for i in range(6)]

    def work(index: int, http: requests.Session) -> list[tuple[str, MemberOp]]:
        rng = random.Random(100 + index)
        log = []
        for _ in range(50):
            user_id = rng.choice(pool)  # six users, eight threads: every user is contested
            start = time.monotonic()
            if rng.random() < 0.5:
                user_type = rng.choice(["OWNER", "COLLABORATOR"])
                answer = post(http, "workspaces/add_user",
                              {"workspace_id": workspace_id, "user_id": user_id, "user_type": user_type})
                assert answer == (200, {}), answer
                log.append((user_id, MemberOp(start, time.monotonic(), "add", user_type, None)))
            else:
                status, body = post(http, "workspaces/remove_user", {"workspace_id": workspace_id, "user_id": user_id})
                assert status == 200 and body["affected_rows"] in (0, 1), body
                log.append((user_id, MemberOp(start, time.monotonic(), "remove", None, body["affected_rows"] == 1)))
        return log

    history: dict[str, list[MemberOp]] = defaultdict(list)
    for log in run_threads(THREADS, work):
        for user_id, op in log:
            history[user_id].append(op)
    status, body = post(session(), "workspaces/list_users", {"workspace_id": workspace_id})
    assert status == 200
    listed = [(m["user_id"], m["user_type"]) for m in body["users"]]
    assert len(listed) == len({uid for uid, _ in listed})  # nobody twice
    final = dict(listed)
    owner = server.wallaroo.find_user(DEVELOPER).id
    assert final.pop(owner) == "OWNER"
    assert set(final) <= set(pool)
    for user_id in pool:
        assert serial_explanation_exists(history[user_id], final.get(user_id)), (
            f"no serial order of {len(history[user_id])} calls on {user_id} explains the answers and "
            f"the final membership {final.get(user_id)}")
    exported = next(w for w in server.export_state()["wallaroo"]["workspaces"] if w["id"] == workspace_id)
    assert [(m["user"], m["user_type"]) for m in exported["members"]] == listed  # the store agrees with the API


def test_concurrent_adds_then_removes_of_distinct_users_lose_no_update(wallaroo):
    server, post = wallaroo
    status, body = post(session(), "workspaces/create", {"workspace_name": "crowded"})
    workspace_id = body["workspace_id"]
    users = [[server.wallaroo.add_user(username=f"u{t}-{n}@example.com", email=f"u{t}-{n}@example.com",
                                       default_workspace=False) for n in range(25)] for t in range(THREADS)]

    def add_all(index: int, http: requests.Session) -> None:
        for user in users[index]:  # by email on even threads, by id on odd ones
            ref = {"email": user.email} if index % 2 == 0 else {"user_id": user.id}
            assert post(http, "workspaces/add_user", {"workspace_id": workspace_id, **ref}) == (200, {})

    run_threads(THREADS, add_all)
    status, body = post(session(), "workspaces/list_users", {"workspace_id": workspace_id})
    members = {m["user_id"] for m in body["users"]}
    assert members == {u.id for per_thread in users for u in per_thread} | {server.wallaroo.find_user(DEVELOPER).id}

    def remove_all(index: int, http: requests.Session) -> list[int]:
        return [post(http, "workspaces/remove_user",
                     {"workspace_id": workspace_id, "user_id": u.id})[1]["affected_rows"] for u in users[index]]

    assert all(rows == [1] * 25 for rows in run_threads(THREADS, remove_all))
    status, body = post(session(), "workspaces/list_users", {"workspace_id": workspace_id})
    assert body["users"] == [{"user_id": server.wallaroo.find_user(DEVELOPER).id, "user_type": "OWNER"}]


def test_invites_of_the_same_emails_have_one_winner_each(wallaroo):
    server, post = wallaroo
    emails = [f"invitee-{n:02d}@example.com" for n in range(30)]
    before = server.export_state()["wallaroo"]

    def work(index: int, http: requests.Session) -> list[tuple[str, int, Any]]:
        order = emails[:]
        random.Random(index).shuffle(order)
        # the same address in another letter case is the same user
        return [(email, *post(http, "users/invite", {"email": email.upper() if index % 3 == 0 else email}))
                for email in order]

    winners: dict[str, str] = {}
    for email, status, body in (o for per_thread in run_threads(THREADS, work) for o in per_thread):
        if status == 200:
            assert email not in winners, f"{email} was invited twice"
            winners[email] = body["id"]
        else:
            assert status == 400 and "already exists" in body["msg"], body
    assert set(winners) == set(emails)
    assert len(set(winners.values())) == len(emails)

    state = server.export_state()["wallaroo"]
    users = {u["id"]: u for u in state["users"]}
    assert set(users) == {u["id"] for u in before["users"]} | set(winners.values())
    assert state["next_user_seq"] == before["next_user_seq"] + len(emails)
    defaults = Counter(w["name"] for w in state["workspaces"])
    assert all(defaults[f"{email} - Default Workspace"] == 1 for email in emails)
    ids = sorted(w["id"] for w in state["workspaces"])
    assert ids == list(range(1, state["next_workspace_id"]))  # default workspaces took ids without gaps


def test_rest_and_graphql_creates_of_the_same_names_have_one_winner(wallaroo):
    """The REST API and GraphQL share one store: racing for the same names through both,
    exactly one create per name wins, and ids stay without gaps."""
    server, post = wallaroo
    names = [f"both-{n:02d}" for n in range(30)]
    first_id = server.export_state()["wallaroo"]["next_workspace_id"]
    token = {"Authorization": f"Bearer {server.wallaroo.issue_token(DEVELOPER)}"}
    insert = "mutation($n: String!) { insert_workspace_one(object: {name: $n}) { id } }"

    def work(index: int, http: requests.Session) -> list[tuple[str, int | None]]:
        order = names[:]
        random.Random(300 + index).shuffle(order)
        outcomes = []
        for name in order:
            if index % 2:
                answer = http.post(f"{server.url}/v1/graphql", json={"query": insert, "variables": {"n": name}},
                                   headers=token, timeout=TIMEOUT).json()
                if "errors" in answer:
                    assert "workspace_name_key" in answer["errors"][0]["message"], answer
                    outcomes.append((name, None))
                else:
                    outcomes.append((name, answer["data"]["insert_workspace_one"]["id"]))
            else:
                status, body = post(http, "workspaces/create", {"workspace_name": name})
                assert status in (200, 400), body
                outcomes.append((name, body["workspace_id"] if status == 200 else None))
        return outcomes

    winners: dict[str, int] = {}
    for name, workspace_id in (o for per_thread in run_threads(THREADS, work) for o in per_thread):
        if workspace_id is not None:
            assert name not in winners, f"two creates of {name} succeeded"
            winners[name] = workspace_id
    assert set(winners) == set(names)
    assert sorted(winners.values()) == list(range(first_id, first_id + len(names)))


def wallaroo_snapshot_problems(state: dict[str, Any]) -> list[str]:
    """What would show a snapshot taken half-way through an operation."""
    problems = []
    users = {u["id"]: u for u in state["users"]}
    ids = [w["id"] for w in state["workspaces"]]
    names = [w["name"] for w in state["workspaces"]]
    if len(set(ids)) != len(ids) or len(set(names)) != len(names):
        problems.append("duplicate workspace id or name")
    if any(i >= state["next_workspace_id"] for i in ids):
        problems.append("a workspace id not below next_workspace_id")
    for workspace in state["workspaces"]:
        if any(m["user"] not in users for m in workspace["members"]):
            problems.append(f"workspace {workspace['id']} has a member that is no user")
    for user in users.values():  # an invite adds the user and the default workspace in one step
        if user["email"] and user["username"].startswith("snap-") and \
                f"{user['email']} - Default Workspace" not in names:
            problems.append(f"invited user {user['email']} without a default workspace")
    return problems


def test_snapshots_taken_during_writes_are_never_half_done(wallaroo):
    server, post = wallaroo
    stop = threading.Event()
    snapshots: list[int] = []
    problems: list[str] = []

    def writer(index: int, http: requests.Session) -> None:
        rng = random.Random(200 + index)
        for _ in range(40):
            kind = rng.choice(["create", "invite", "add"])
            if kind == "create":
                post(http, "workspaces/create", {"workspace_name": f"snap-{rng.randrange(20)}"})
            elif kind == "invite":
                post(http, "users/invite", {"email": f"snap-{rng.randrange(20)}@example.com"})
            else:
                post(http, "workspaces/add_user", {"workspace_id": rng.randrange(1, 20),
                                                   "email": f"snap-{rng.randrange(20)}@example.com"})

    def reader(http: requests.Session) -> None:
        while not stop.is_set() and len(snapshots) < 2000:
            response = http.get(f"{server.url}/__mock/state", timeout=TIMEOUT)
            assert response.status_code == 200
            problems.extend(wallaroo_snapshot_problems(response.json()["wallaroo"]))
            snapshots.append(1)

    readers = [threading.Thread(target=reader, args=(session(),), daemon=True) for _ in range(2)]
    for thread in readers:
        thread.start()
    try:
        run_threads(THREADS - 2, writer)
    finally:
        stop.set()
        for thread in readers:
            thread.join(timeout=JOIN_TIMEOUT)
    assert snapshots, "no snapshot was taken"
    assert not problems, problems[:5]
    assert not wallaroo_snapshot_problems(server.export_state()["wallaroo"])


def test_resets_racing_with_creates_leave_a_consistent_store(wallaroo):
    server, post = wallaroo
    baseline = server.export_state()["wallaroo"]

    def work(index: int, http: requests.Session) -> None:
        for n in range(30):
            if index == 0 and n % 5 == 0:
                assert http.post(f"{server.url}/__mock/reset", timeout=TIMEOUT).status_code == 200
            else:
                status, body = post(http, "workspaces/create", {"workspace_name": f"r{index}-{n}"})
                assert status == 200, body

    run_threads(THREADS, work)
    state = server.export_state()["wallaroo"]
    assert not wallaroo_snapshot_problems(state)
    created = sorted(w["id"] for w in state["workspaces"] if w["name"][0] == "r")
    # whatever survived the last reset was created after it: ids continue the baseline's, without gaps
    assert created == list(range(baseline["next_workspace_id"], baseline["next_workspace_id"] + len(created)))
    assert state["users"] == baseline["users"]


# == ModelArts ===========================================================================
@pytest.fixture
def modelarts(mockserver):
    """(server, call) where call(http, method, path, body=None, user=...) -> (status, json)."""
    tokens = {name: mockserver.modelarts.issue_token(name) for name in ("modelarts-dev", "modelarts-viewer")}

    def call(http: requests.Session, method: str, path: str, body: Any = None,
             user: str = "modelarts-dev") -> tuple[int, Any]:
        response = http.request(method, f"{mockserver.url}/v1/{PROJECT}/{path}", json=body, timeout=TIMEOUT,
                                headers={"X-Auth-Token": tokens[user]})
        assert response.headers["X-Request-Id"]
        return response.status_code, response.json()

    return mockserver, call


def modelarts_workspaces(server) -> dict[str, dict[str, Any]]:
    return {w["id"]: w for w in server.export_state()["modelarts"]["workspaces"] if w["project"] == PROJECT}


def test_modelarts_same_name_creates_have_exactly_one_winner(modelarts):
    server, call = modelarts
    names = [f"race_{n:03d}" for n in range(30)]

    def work(index: int, http: requests.Session) -> list[tuple[str, int, Any]]:
        order = names[:]
        random.Random(index).shuffle(order)
        user = "modelarts-dev" if index % 2 == 0 else "modelarts-viewer"
        return [(name, *call(http, "POST", "workspaces", {"name": name}, user=user)) for name in order]

    winners: dict[str, str] = {}
    for name, status, body in (o for per_thread in run_threads(THREADS, work) for o in per_thread):
        if status == 200:
            assert name not in winners, f"two creates of {name} succeeded"
            assert body["name"] == name
            winners[name] = body["id"]
        else:
            assert (status, body["error_code"]) == (400, "ModelArts.0104"), body
            assert body["error_msg"] == f"workspace name: {name} already exists.", body
    assert set(winners) == set(names)
    assert len(set(winners.values())) == len(names)  # unique ids
    stored = modelarts_workspaces(server)
    assert {w["name"]: i for i, w in stored.items() if w["name"].startswith("race_")} == winners
    assert server.export_state()["modelarts"]["next_workspace_seq"] == 1 + len(names)  # no id drawn in vain


def test_modelarts_contested_deletes_and_renames(modelarts):
    server, call = modelarts
    http = session()
    ids = [call(http, "POST", "workspaces", {"name": f"victim_{n}"})[1]["id"] for n in range(10)]

    def delete_all(index: int, http: requests.Session) -> list[tuple[str, int, Any]]:
        order = ids[:]
        random.Random(index).shuffle(order)
        return [(i, *call(http, "DELETE", f"workspaces/{i}")) for i in order]

    deleted = Counter()
    for workspace_id, status, body in (o for per_thread in run_threads(THREADS, delete_all) for o in per_thread):
        if status == 200:
            assert body == {"workspace_id": workspace_id}
            deleted[workspace_id] += 1
        else:
            assert (status, body["error_msg"]) == (400, f"workspace: {workspace_id} not exist."), body
    assert deleted == Counter({i: 1 for i in ids})
    assert set(modelarts_workspaces(server)) == {"0"}

    # eight workspaces renamed to the same names at once: one winner per name
    ids = [call(http, "POST", "workspaces", {"name": f"ws_{n}"})[1]["id"] for n in range(THREADS)]

    def rename(index: int, http: requests.Session) -> list[tuple[str, int, Any]]:
        return [(target, *call(http, "PUT", f"workspaces/{ids[index]}", {"name": target}))
                for target in (f"taken_{n}" for n in range(10))]

    expected = {}
    for index, per_thread in enumerate(run_threads(THREADS, rename)):
        won = [target for target, status, body in per_thread if status == 200]
        assert all(body["error_msg"] == f"workspace name: {target} already exists."
                   for target, status, body in per_thread if status != 200)
        expected[ids[index]] = won[-1] if won else f"ws_{index}"  # its last successful rename
    stored = modelarts_workspaces(server)
    assert {i: stored[i]["name"] for i in ids} == expected
    names = [w["name"] for w in stored.values()]
    assert len(names) == len(set(names)) == THREADS + 1
    http.close()


def test_modelarts_concurrent_quota_updates_keep_one_of_the_written_values(modelarts):
    server, call = modelarts
    http = session()
    workspace_id = call(http, "POST", "workspaces", {"name": "quota_race"})[1]["id"]
    http.close()
    resource = "trainJob.gpu_duration"

    def work(index: int, http: requests.Session) -> list[int]:
        written = []
        for n in range(25):
            value = 1000 * (index + 1) + n
            status, body = call(http, "PUT", f"workspaces/{workspace_id}/quotas",
                                {"quotas": [{"resource": resource, "quota": value}]})
            assert status == 200 and body["quotas"][0]["quota"] == value, body
            written.append(value)
        return written

    last_written = {values[-1] for values in run_threads(THREADS, work)}
    status, body = call(session(), "GET", f"workspaces/{workspace_id}/quotas")
    final = next(q["quota"] for q in body["quotas"] if q["resource"] == resource)
    assert final in last_written  # the last write of some thread, not a torn or stale value
