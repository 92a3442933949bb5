"""Soak: a standalone server under a long mixed load, attacks included (issue 8).

``python -m benchmarks.soak [--requests 300000] [--seconds 1800] [--clients 4]`` starts the
CLI (``python -m mockserver --port 0``, loopback only, default limits) and sends it a
bounded number of mixed requests, bounded in time too, from a few keep-alive clients:
logins, lists, creates (and the occasional reset, as a test suite would), ModelArts lists
with an IAM token, journal listings (with the control API's own entries), 1 MiB bodies of
tiny objects to a view that never reads them, deep bodies, and journal queries with the
patterns that used to freeze the process. It reports the server's resident memory (peak
and at the end, read from ``/proc``) against the journal's byte budget, and the p50/p99
latency of each kind of request.

Before issue 8's fixes the same mix ended at 460 MB for 300 000 requests; the 1 MiB bodies
alone took the process to 1 GB in 40 requests, and the journal listing doubled on every call.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import defaultdict
from typing import Any, Callable

from .common import SMOKE_NOTE, SMOKE_SOAK, REPO_ROOT, child_env, percentile, smoke_budget

JOURNAL_MAX_BYTES = 64 * 1024 * 1024  # the default budget, stated here to compare against


def rss_bytes(pid: int) -> int:
    """The resident memory of a process (Linux ``/proc``; 0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Client:
    """One keep-alive connection to the server (127.0.0.1 only)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            return 0, b""


JSON = {"Content-Type": "application/json"}
BIG_BODY = b"[" + b",".join([b"{}"] * 340_000) + b"]"  # just under the 1 MiB cap
DEEP_BODY = b"[" * 5000 + b"]" * 5000
ATTACK = "/**a**a**a**a**a**a**a**!"


def build_mix(port: int, wallaroo_token: str, modelarts_token: str, project: str) -> list[tuple[str, int, Any]]:
    """``(kind, weight, call)`` of every kind of request; weights are out of 1000."""
    bearer = {"Authorization": f"Bearer {wallaroo_token}", **JSON}
    iam = {"X-Auth-Token": modelarts_token}
    counter = iter(range(10 ** 9))

    def create(client: Client) -> int:
        name = f"soak-{threading.get_ident()}-{next(counter)}"
        return client.call("POST", "/v1/api/workspaces/create", json.dumps({"workspace_name": name}).encode(),
                           bearer)[0]

    return [
        ("config", 250, lambda c: c.call("GET", "/v1/api/config")[0]),
        ("login", 60, lambda c: c.call("POST", "/auth/realms/master/protocol/openid-connect/token",
                                       b"client_id=sdk-client&grant_type=password&username=developer%40example.com"
                                       b"&password=developer",
                                       {"Content-Type": "application/x-www-form-urlencoded"})[0]),
        ("wallaroo list", 250, lambda c: c.call("POST", "/v1/api/workspaces/list", b"{}", bearer)[0]),
        ("wallaroo create", 60, create),
        ("modelarts list", 250, lambda c: c.call("GET", f"/v1/{project}/workspaces?limit=10", None, iam)[0]),
        ("journal listing", 20, lambda c: c.call("GET", "/__mock/requests?include_control=true&limit=20")[0]),
        ("1 MiB body", 4, lambda c: c.call("GET", "/v1/api/config", BIG_BODY, JSON)[0]),
        ("deep body", 4, lambda c: c.call("POST", "/v1/api/workspaces/list", DEEP_BODY, bearer)[0]),
        ("attack pattern", 1, lambda c: c.call("GET", f"/__mock/requests?path={ATTACK}&limit=1")[0]),
        ("reset", 1, lambda c: c.call("POST", "/__mock/reset")[0]),
    ]


def start_server(extra: list[str]) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen([sys.executable, "-m", "mockserver", "--host", "127.0.0.1", "--port", "0", "--quiet",
                                *extra], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=REPO_ROOT,
                               env=child_env())
    line = process.stdout.readline() if process.stdout else ""
    if not line.startswith("http://127.0.0.1:"):
        process.kill()
        raise RuntimeError(f"the server did not start: {line!r}")
    return process, int(line.strip().rsplit(":", 1)[1])


def credentials(port: int) -> tuple[str, str, str]:
    client = Client(port)
    status, body = client.call("POST", "/auth/realms/master/protocol/openid-connect/token",
                               b"client_id=sdk-client&grant_type=password&username=developer%40example.com"
                               b"&password=developer", {"Content-Type": "application/x-www-form-urlencoded"})
    wallaroo = json.loads(body)["access_token"]
    status, body = client.call("GET", "/__mock/state?secrets=true")
    modelarts = json.loads(body)["modelarts"]
    project = modelarts["projects"][0]["id"]
    user = next(u for u in modelarts["users"] if u.get("primary"))
    request = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user["name"], "password": user["password"], "domain": {"name": user["account"]}}}},
        "scope": {"project": {"id": project}}}}
    client.connection.request("POST", "/v3/auth/tokens", body=json.dumps(request).encode(), headers=JSON)
    answer = client.connection.getresponse()
    answer.read()
    return wallaroo, answer.getheader("X-Subject-Token") or "", project


def soak(requests: int, seconds: float, clients: int, seed: int = 1) -> dict[str, Any]:
    process, port = start_server([])
    try:
        wallaroo_token, modelarts_token, project = credentials(port)
        mix = build_mix(port, wallaroo_token, modelarts_token, project)
        kinds = [kind for kind, weight, _ in mix for _ in range(weight)]
        calls: dict[str, Callable[[Client], int]] = {kind: call for kind, _, call in mix}
        latencies: dict[str, list[float]] = defaultdict(list)
        statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        lock = threading.Lock()
        remaining = [requests]
        deadline = time.monotonic() + seconds
        peak = [rss_bytes(process.pid)]
        start_rss = peak[0]

        def worker(index: int) -> None:
            rng = random.Random(seed + index)
            client = Client(port)
            local: dict[str, list[float]] = defaultdict(list)
            local_status: dict[tuple[str, int], int] = defaultdict(int)
            while time.monotonic() < deadline:
                with lock:
                    if remaining[0] <= 0:
                        break
                    remaining[0] -= 1
                kind = rng.choice(kinds)
                began = time.perf_counter()
                status = calls[kind](client)
                local[kind].append(time.perf_counter() - began)
                local_status[(kind, status)] += 1
            with lock:
                for kind, values in local.items():
                    latencies[kind].extend(values)
                for (kind, status), count in local_status.items():
                    statuses[kind][status] += count

        threads = [threading.Thread(target=worker, args=(index,), daemon=True) for index in range(clients)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        quarters: list[float] = []  # RSS (MB) as each quarter of the requests is done: flat when bounded
        while any(thread.is_alive() for thread in threads):
            rss = rss_bytes(process.pid)
            peak[0] = max(peak[0], rss)
            with lock:
                done = requests - max(remaining[0], 0)
            while len(quarters) < 3 and done >= requests * (len(quarters) + 1) / 4:
                quarters.append(round(rss / 2 ** 20, 1))
            time.sleep(0.2)
        elapsed = time.monotonic() - began
        end_rss = rss_bytes(process.pid)
        peak[0] = max(peak[0], end_rss)
        alive = process.poll() is None
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
    everything = sorted(value for values in latencies.values() for value in values)
    return {
        "requests": len(everything), "seconds": round(elapsed, 1), "clients": clients,
        "requests_per_second": round(len(everything) / elapsed, 1) if elapsed else 0.0,
        "rss_start_mb": round(start_rss / 2 ** 20, 1), "rss_peak_mb": round(peak[0] / 2 ** 20, 1),
        "rss_end_mb": round(end_rss / 2 ** 20, 1), "journal_budget_mb": JOURNAL_MAX_BYTES // 2 ** 20,
        "rss_by_quarter_mb": [*quarters, round(end_rss / 2 ** 20, 1)],
        "server_alive": alive,
        "p50_ms": round(percentile(everything, 0.50) * 1000, 2) if everything else None,
        "p99_ms": round(percentile(everything, 0.99) * 1000, 2) if everything else None,
        "kinds": {kind: {"count": len(values), "p50_ms": round(percentile(sorted(values), 0.50) * 1000, 2),
                         "p99_ms": round(percentile(sorted(values), 0.99) * 1000, 2),
                         "statuses": dict(statuses[kind])}
                  for kind, values in sorted(latencies.items())},
    }


def report(result: dict[str, Any]) -> str:
    lines = [f"soak: {result['requests']} requests in {result['seconds']} s from {result['clients']} clients "
             f"({result['requests_per_second']}/s); server alive at the end: {result['server_alive']}",
             f"RSS: {result['rss_start_mb']} MB at start, peak {result['rss_peak_mb']} MB, "
             f"{result['rss_end_mb']} MB at the end (journal budget {result['journal_budget_mb']} MB); "
             f"after each quarter of the requests: {result['rss_by_quarter_mb']} MB",
             f"latency: p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms",
             f"{'kind':<18}{'count':>8}{'p50 ms':>10}{'p99 ms':>10}  statuses"]
    for kind, figures in result["kinds"].items():
        lines.append(f"{kind:<18}{figures['count']:>8}{figures['p50_ms']:>10}{figures['p99_ms']:>10}  "
                     f"{figures['statuses']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300_000, help="how many requests (default 300000)")
    parser.add_argument("--seconds", type=float, default=1800, help="stop after this long anyway (default 1800)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent keep-alive clients (default 4)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if smoke_budget():
        print(SMOKE_NOTE.strip(), file=sys.stderr, flush=True)
        args.requests = min(args.requests, int(SMOKE_SOAK["requests"]))
        args.seconds = min(args.seconds, SMOKE_SOAK["seconds"])
        args.clients = min(args.clients, int(SMOKE_SOAK["clients"]))
    result = soak(args.requests, args.seconds, args.clients)
    print(json.dumps(result, indent=2) if args.json else report(result), flush=True)
    return 0 if result["server_alive"] else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
