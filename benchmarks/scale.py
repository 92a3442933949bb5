"""How the store scales: calls with 10, 1 000 and 100 000 workspaces already in it.

Requests go through Flask's test client (no socket), so the figures are the server's
own cost. Per store size:

* Wallaroo ``workspaces/list`` as the admin (answers every workspace: the response
  grows with the store), and filtered to a user who belongs to one workspace (the scan
  without the response);
* Wallaroo ``workspaces/create``;
* ModelArts ``GET /v1/{project}/workspaces?limit=10`` (a page: must not grow with the
  store), ``GET .../workspaces/{id}`` and ``POST .../workspaces``;
* ``reset()`` when that store is the baseline and nothing changed, and after ten touched
  records (five creates in each API): it undoes the changes, it copies nothing;
* single-item calls, which must cost the same whatever the store holds (issue 13, item
  4: within 1.5x from 1 000 to 100 000 workspaces per API): a Wallaroo login, create and
  GraphQL insert, a ModelArts page, a page right after a create, show, update, create;
* a GraphQL insert against a REST create at the same size (a mutation is a transaction
  that undoes only what it changed when it fails).

The stores of every size stay alive and each figure is the median of five rounds that
visit the sizes in turn; ratios between sizes are medians of the per-round ratios.

Workspaces are added one by one with each backend's Python API (Wallaroo's
``create_workspace``, ModelArts' ``add_workspace``), as a test would.

Memory per workspace: ``tracemalloc`` around creating N workspaces through each
backend's ``create_workspace``.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from typing import Any, Callable

from .apps import BENCH_USER, LIST_PATH, mock_server
from .common import Report, expect_status, median

PAGE_LIMIT = 10
#: a paginated listing may grow by at most this share of the store's growth
PAGE_GROWTH_SHARE = 0.1
#: single-item calls: at most this much slower with 100 000 workspaces than with 1 000
SINGLE_ITEM_GROWTH = 1.5
#: rounds over every store size, each with a share of the time budget
SCALE_ROUNDS = 5
#: the calls that work on one item (or one page): their cost must not follow the store
SINGLE_ITEM_CALLS = ("wallaroo login", "wallaroo create", "wallaroo graphql insert",
                     f"modelarts page (limit={PAGE_LIMIT})", "modelarts page after a create", "modelarts show",
                     "modelarts update", "modelarts create", "reset after 10 touched")
TOKEN_PATH = "/auth/realms/master/protocol/openid-connect/token"
INSERT = "mutation($name: String!) { insert_workspace_one(object: {name: $name}) { id } }"


def _timed(call: Callable[[], Any], *, budget: float, minimum: int = 3, maximum: int = 2000) -> float:
    """Median seconds per call, calling until ``budget`` seconds or ``maximum`` calls."""
    samples: list[float] = []
    started = time.perf_counter()
    while len(samples) < maximum and (len(samples) < minimum or time.perf_counter() - started < budget):
        before = time.perf_counter()
        call()
        samples.append(time.perf_counter() - before)
    return median(samples)


def _fill_wallaroo(server: Any, count: int) -> None:
    backend = server.wallaroo
    owner = backend.find_user(BENCH_USER)
    for index in range(count):
        backend.create_workspace(owner, f"scale-{index:06d}")


def _fill_modelarts(server: Any, project_id: str, count: int) -> None:
    backend = server.modelarts
    for index in range(count):
        backend.add_workspace(project_id, id=f"{index + 1:032x}", name=f"scale-{index:06d}", owner="modelarts-dev")


def _fmt(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 0.001:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


class _Store:
    """A mock server whose baseline holds ``size`` workspaces per API, and the calls timed on it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.server, self.touch_ten, self.calls = _prepare(size)

    def measure(self, budget: float) -> dict[str, float]:
        """Median seconds per call of each operation, each from the baseline."""
        server = self.server
        figures = {"reset (nothing changed)": _timed(server.reset, budget=budget, minimum=1, maximum=200),
                   "reset after 10 touched": _timed_after(self.touch_ten, server.reset, budget=budget)}
        # creating adds to the store: few enough calls that N stays N
        creates = max(20, min(200, self.size // 5))
        for label, call in self.calls.items():
            server.reset()  # each call starts from the same store
            adds = "create" in label or "insert" in label
            figures[label] = _timed(call, budget=budget, maximum=creates if adds else 2000)
        server.reset()
        return figures


def _prepare(size: int) -> tuple[Any, Callable[[], Any], dict[str, Callable[[], Any]]]:
    """The server with ``size`` workspaces in each API as its baseline, ``touch_ten`` and the calls."""
    server = mock_server(["default"])
    wallaroo_headers = {"Authorization": f"Bearer {server.wallaroo.issue_token(BENCH_USER)}"}
    member = server.wallaroo.add_user(username="scale-member@example.com", email="scale-member@example.com")
    _fill_wallaroo(server, max(0, size - 2))  # plus the developer's and the member's default workspaces
    project_id = server.modelarts.default_project_id()
    _fill_modelarts(server, project_id, size - 1)  # plus the default workspace "0"
    modelarts_headers = {"X-Auth-Token": server.modelarts.issue_token("modelarts-dev", project_id)}
    server.state.load([], as_baseline=True)  # the filled store becomes what reset() restores
    client = server.test_client()
    counter = iter(range(10**9))
    workspaces = f"/v1/{project_id}/workspaces"

    def touch_ten() -> None:
        for _ in range(5):
            expect_status(client.post("/v1/api/workspaces/create", json={"workspace_name": f"touch-{next(counter)}"},
                                      headers=wallaroo_headers))
            expect_status(client.post(workspaces, json={"name": f"touch-{next(counter)}"}, headers=modelarts_headers))

    middle = f"{size // 2:032x}" if size > 1 else "0"

    def page_after_create() -> None:
        expect_status(client.post(workspaces, json={"name": f"paged-{next(counter)}"}, headers=modelarts_headers))
        expect_status(client.get(f"{workspaces}?limit={PAGE_LIMIT}&offset=0", headers=modelarts_headers))

    calls: dict[str, Callable[[], Any]] = {
        "wallaroo login": lambda: expect_status(client.post(TOKEN_PATH, data={
            "grant_type": "password", "client_id": "sdk-client", "username": BENCH_USER, "password": "developer"})),
        "wallaroo list (all N)": lambda: expect_status(client.post(LIST_PATH, json={}, headers=wallaroo_headers)),
        "wallaroo list (1 user's)": lambda: expect_status(
            client.post(LIST_PATH, json={"user_id": member.id}, headers=wallaroo_headers)),
        "wallaroo create": lambda: expect_status(client.post(
            "/v1/api/workspaces/create", json={"workspace_name": f"new-{next(counter)}"}, headers=wallaroo_headers)),
        "wallaroo graphql insert": lambda: _graphql_ok(client.post(
            "/v1/graphql", json={"query": INSERT, "variables": {"name": f"gql-{next(counter)}"}},
            headers=wallaroo_headers)),
        f"modelarts page (limit={PAGE_LIMIT})": lambda: expect_status(
            client.get(f"{workspaces}?limit={PAGE_LIMIT}&offset=0", headers=modelarts_headers)),
        "modelarts page after a create": page_after_create,
        "modelarts show": lambda: expect_status(client.get(f"{workspaces}/{middle}", headers=modelarts_headers)),
        "modelarts update": lambda: expect_status(client.put(
            f"{workspaces}/{middle}", json={"description": f"d-{next(counter)}"}, headers=modelarts_headers)),
        "modelarts create": lambda: expect_status(client.post(
            workspaces, json={"name": f"new-{next(counter)}"}, headers=modelarts_headers)),
    }
    return server, touch_ten, calls


def _timed_after(prepare: Callable[[], Any], call: Callable[[], Any], *, budget: float, minimum: int = 3,
                 maximum: int = 200) -> float:
    """Median seconds of ``call`` alone, each time right after ``prepare``."""
    samples: list[float] = []
    started = time.perf_counter()
    while len(samples) < maximum and (len(samples) < minimum or time.perf_counter() - started < budget):
        prepare()
        before = time.perf_counter()
        call()
        samples.append(time.perf_counter() - before)
    return median(samples)


def _graphql_ok(response: Any) -> None:
    expect_status(response)
    body = response.get_json()
    if "errors" in body:
        raise AssertionError(f"GraphQL refused the insert: {body['errors']}")


def scale(report: Report, *, sizes: tuple[int, ...], budget: float) -> None:
    report.section(f"scale: in-process calls with N workspaces in each API's store (median per call over "
                   f"{SCALE_ROUNDS} interleaved rounds, ~{budget:g} s in all per call and size)")
    # Every store stays alive and the rounds visit the sizes in turn (the order flips each
    # round), so a slow spell of a shared machine hits every size, not the one it fell on.
    stores = [_Store(size) for size in sizes]
    gc.collect()
    rounds: list[dict[int, dict[str, float]]] = []
    for index in range(SCALE_ROUNDS):
        order = stores if index % 2 == 0 else stores[::-1]
        rounds.append({store.size: store.measure(budget / SCALE_ROUNDS) for store in order})
    figures = {size: {label: median([one[size][label] for one in rounds]) for label in rounds[0][size]}
               for size in sizes}
    report.table(["N"] + list(figures[sizes[0]]),
                 [[f"{size:,}"] + [_fmt(value) for value in values.values()] for size, values in figures.items()])
    report.data["scale"] = {str(size): values for size, values in figures.items()}
    if len(sizes) >= 2:
        small, large = sizes[-2], sizes[-1]
        label = f"modelarts page (limit={PAGE_LIMIT})"
        growth = median([one[large][label] / one[small][label] for one in rounds])
        store_growth = large / small
        report.line(f"  paginated ModelArts listing: {growth:.1f}x slower with a {store_growth:g}x larger store "
                    f"({small:,} -> {large:,})")
        report.data.setdefault("ratios", {})["page-growth"] = round(growth, 3)
        report.target("page-scaling", store_growth * PAGE_GROWTH_SHARE / growth, 1.0,
                      f"(store growth x {PAGE_GROWTH_SHARE:g}) / page-time growth: a page of {PAGE_LIMIT} must not "
                      "slow down in proportion to the store")
        report.line(f"  single-item calls, {large:,} vs {small:,} workspaces per API (median of {SCALE_ROUNDS} "
                    f"interleaved rounds' ratios; target "
                    f"<= {SINGLE_ITEM_GROWTH:g}x):")
        ratios = {label: median([one[large][label] / one[small][label] for one in rounds])
                  for label in SINGLE_ITEM_CALLS}
        report.table(["call", f"{small:,}", f"{large:,}", "ratio"],
                     [[label, _fmt(figures[small][label]), _fmt(figures[large][label]), f"{ratio:.2f}x"]
                      for label, ratio in ratios.items()])
        # per call, beside the ratios (each of which is one number): the verdict below uses the worst
        report.data["single-item-growth"] = {k: round(v, 3) for k, v in ratios.items()}
        worst = max(ratios, key=lambda label: ratios[label])
        report.target("single-item-scaling", SINGLE_ITEM_GROWTH / ratios[worst], 1.0,
                      f"{SINGLE_ITEM_GROWTH:g} / the worst growth ({worst}: {ratios[worst]:.2f}x)")
        insert, create = figures[large]["wallaroo graphql insert"], figures[large]["wallaroo create"]
        report.line(f"  GraphQL insert vs REST create at {large:,} workspaces: {_fmt(insert)} vs {_fmt(create)} "
                    f"({insert / create:.2f}x)")
        report.data.setdefault("ratios", {})["graphql-insert-vs-rest-create"] = round(insert / create, 3)
        reset = figures[large]["reset after 10 touched"]
        report.line(f"  reset after 10 touched records at {large:,} workspaces per API: {_fmt(reset)}")


def memory(report: Report, *, count: int) -> None:
    report.section(f"memory: tracemalloc around creating {count:,} workspaces through each backend")
    results = {"wallaroo": _memory_wallaroo(count), "modelarts": _memory_modelarts(count)}
    report.table(["backend", "bytes per workspace", "total"],
                 [[name, f"{value:,.0f}", f"{value * count / 1e6:.1f} MB"] for name, value in results.items()])
    report.data["memory_per_workspace_bytes"] = results


def _measure(create: Callable[[int], Any], count: int) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for index in range(count):
            create(index)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return (after - before) / count


def _memory_wallaroo(count: int) -> float:
    server = mock_server(["default"])
    owner = server.wallaroo.find_user(BENCH_USER)
    return _measure(lambda index: server.wallaroo.create_workspace(owner, f"mem-{index:06d}"), count)


def _memory_modelarts(count: int) -> float:
    from mockserver.modelarts.parsing import WorkspaceInput

    server = mock_server(["default"])
    backend = server.modelarts
    project_id = backend.default_project_id()
    caller = backend.authenticate(token=backend.issue_token("modelarts-dev", project_id), authorization=None,
                                  signed=None)
    return _measure(lambda index: backend.create_workspace(caller, project_id, WorkspaceInput(name=f"mem-{index:06d}")),
                    count)
