"""How long one GraphQL request holds the store (issue 8, item 4).

``python -m benchmarks.graphql_hold [--workspaces 5000]`` loads that many Wallaroo workspaces
(each with a member), wraps the store's lock in a recorder, and sends GraphQL requests
in-process: a lookup by id, the full list with members (what ``list_workspaces`` of the SDK
reads), the same through 20 aliases (the root-field limit), and the issue's attack (100
aliases, refused by the limits). For each it prints the wall time and the longest single
hold of the store's lock: the time every other client may have to wait (and the holding
thread's CPU time in it, which a loaded machine does not inflate by descheduling the thread).
Before the limits the attack held it for 7.5 s (and the full list for the whole of its run);
reads now hold it only to copy their rows' fields (figures: docs/guarantees.md, section 1).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from typing import Any

from mockserver import MockServer

from .common import SMOKE_GRAPHQL_WORKSPACES, SMOKE_NOTE, smoke_budget


class HoldRecorder:
    """A stand-in for the store's re-entrant lock that records how long each outermost hold lasts:
    in wall time (``holds``, what other clients wait) and in the holding thread's CPU time
    (``cpu_holds``: the work done under the lock, without the time a loaded machine's scheduler
    kept the thread off a core)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.local = threading.local()
        self.holds: list[float] = []
        self.cpu_holds: list[float] = []

    def acquire(self, *args: Any, **kwargs: Any) -> bool:
        got = self.inner.acquire(*args, **kwargs)
        depth = getattr(self.local, "depth", 0)
        if got and depth == 0:
            self.local.started = time.perf_counter()
            self.local.cpu_started = time.thread_time()
        if got:
            self.local.depth = depth + 1
        return got

    def release(self) -> None:
        self.local.depth -= 1
        if self.local.depth == 0:
            self.holds.append(time.perf_counter() - self.local.started)
            self.cpu_holds.append(time.thread_time() - self.local.cpu_started)
        self.inner.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()


def queries(count: int) -> dict[str, str]:
    full = "workspace { id name created_at archived users { user_id user_type } }"
    return {
        "one workspace by id": "query { workspace(where: {id: {_eq: 2}}) { id name users { user_id } } }",
        f"all {count} workspaces with members": "query { " + full + " }",
        "a page of 100 with members": "query { workspace(limit: 100, offset: 1000) { id name users { user_id } } }",
        "20 aliases of the full list": "query { " + " ".join(f"a{i}: {full}" for i in range(20)) + " }",
        "the issue's attack: 100 aliases": "query { " + " ".join(f"a{i}: {full}" for i in range(100)) + " }",
    }


def measure(count: int, repeats: int = 3) -> list[dict[str, Any]]:
    workspaces = [{"name": f"ws-{index}", "members": [{"user": "developer@example.com", "user_type": "OWNER"}]}
                  for index in range(count)]
    server = MockServer(["default", {"name": "many", "wallaroo": {"workspaces": workspaces}}])
    recorder = HoldRecorder(server.state.lock)
    server.state.lock = recorder
    client = server.test_client()
    headers = server.wallaroo_headers()
    client.post("/v1/graphql", json={"query": "query { workspace(limit: 1) { id } }"}, headers=headers)  # warm up
    results = []
    for label, query in queries(count).items():
        walls, longest, longest_cpu, outcome = [], [], [], ""
        for _ in range(repeats):
            recorder.holds.clear()
            recorder.cpu_holds.clear()
            began = time.perf_counter()
            body = client.post("/v1/graphql", json={"query": query}, headers=headers).get_json()
            walls.append(time.perf_counter() - began)
            longest.append(max(recorder.holds, default=0.0))
            longest_cpu.append(max(recorder.cpu_holds, default=0.0))
            outcome = "refused: " + body["errors"][0]["message"][:60] if "errors" in body else \
                f"{sum(len(rows) for rows in body['data'].values())} rows"
        results.append({"query": label, "wall_ms": round(sorted(walls)[len(walls) // 2] * 1000, 1),
                        "longest_hold_ms": round(sorted(longest)[len(longest) // 2] * 1000, 2),
                        "longest_hold_cpu_ms": round(sorted(longest_cpu)[len(longest_cpu) // 2] * 1000, 2),
                        "answer": outcome})
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.graphql_hold", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspaces", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if smoke_budget():
        args.workspaces, args.repeats = min(args.workspaces, SMOKE_GRAPHQL_WORKSPACES), 1
        print(SMOKE_NOTE.strip(), file=sys.stderr)
    results = measure(args.workspaces, args.repeats)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"GraphQL at {args.workspaces} workspaces (median of {args.repeats}): wall time, and the longest "
          "single hold of the store's lock (wall time, and the holding thread's CPU time)")
    for row in results:
        print(f"  {row['query']:<36} {row['wall_ms']:>9} ms  hold {row['longest_hold_ms']:>8} ms "
              f"(cpu {row['longest_hold_cpu_ms']:>6} ms)  {row['answer']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
