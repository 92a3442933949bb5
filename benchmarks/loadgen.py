"""Standalone servers under a C load generator (``wrk``), 1 and 8 connections.

Each stack of :mod:`benchmarks.stacks` runs as its own process; ``wrk`` (a C program, so
the client costs little CPU and no GIL) sends ``POST /v1/api/workspaces/list`` with ``{}``
and a bearer token on keep-alive connections. Rounds are interleaved (the order flips
every round) and each figure is the median over rounds; ratios are medians of the
per-round ratios, so a slow spell of a shared machine hits both sides of a ratio.

``wrk`` comes from the system's packages (``apt-get install wrk``, ``brew install wrk``);
without it this section says so and measures nothing.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import statistics
import subprocess
import tempfile

from .common import Report, stop_process
from .stacks import launch, source_at

#: the mock's CLI against what it was (the same CLI on waitress): the speed issue's target
CLI_TARGET = 3.0
WRK_SCRIPT = 'wrk.method = "POST"\nwrk.body = "{}"\nwrk.headers["Content-Type"] = "application/json"\n'


def wrk_path() -> str | None:
    return shutil.which("wrk")


def run_wrk(url: str, token: str, connections: int, seconds: float, script: str) -> tuple[float, int]:
    """``(requests per second, answers that were not 2xx)`` of one ``wrk`` run."""
    command = ["wrk", "-t", str(min(connections, 2)), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
               "-s", script, url]
    if token != "-":
        command[1:1] = ["-H", f"Authorization: Bearer {token}"]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    bad = int(failed.group(1)) if failed else 0
    if errors:
        bad += sum(int(errors.group(i)) for i in range(1, 5))
    return (float(rate.group(1)) if rate else 0.0), bad


def load_generator(report: Report, *, seconds: float, repeats: int, peers: bool,
                   connections: tuple[int, ...] = (1, 8), quick: bool = False, warm_up: bool = True,
                   then: str | None = None) -> None:
    """``then``: a git commit whose CLI runs beside today's (``mock-cli-then``), for targets
    phrased against an earlier state ("3x today's requests per second")."""
    report.section(f"standalone servers under wrk (C load generator): {repeats} rounds x {max(1, round(seconds))} s "
                   f"per stack, {' and '.join(map(str, connections))} keep-alive connections")
    if wrk_path() is None:
        report.line("  wrk: not installed, skipped; install it with your system's packages "
                    "(apt-get install wrk / brew install wrk)")
        return
    from .common import installed

    kinds = ["mock-cli", "mock-cli-waitress", "flask-waitress", "raw-waitress", "flask-granian", "raw-granian"]
    if quick:  # proves the section runs: the CLI and its two yardsticks, one connection count
        kinds, connections = ["mock-cli", "mock-cli-waitress", "flask-waitress"], (max(connections),)
    if peers and installed("pytest_httpserver") and not quick:
        kinds.append("httpserver")
    elif peers and not quick:
        report.not_installed("pytest_httpserver")
    if then:
        kinds.append("mock-cli-then")
    runs: dict[tuple[str, int], list[float]] = {(kind, c): [] for kind in kinds for c in connections}
    failures: dict[str, int] = {}
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory() as folder:
        script = os.path.join(folder, "post.lua")
        with open(script, "w", encoding="utf-8") as handle:
            handle.write(WRK_SCRIPT)
        targets: dict[str, tuple[str, str]] = {}
        then_source = source_at(then, os.path.join(folder, "then")) if then else None
        for kind in kinds:
            process, url, token = launch("mock-cli", then_source) if kind == "mock-cli-then" else launch(kind)
            stack.callback(stop_process, process)
            targets[kind] = (url + "/v1/api/workspaces/list", token)
            if warm_up:  # first-call costs, caches
                run_wrk(*targets[kind], max(connections), 1, script)
        for round_ in range(repeats):
            order = kinds if round_ % 2 == 0 else kinds[::-1]
            for c in connections:
                for kind in order:
                    rate, bad = run_wrk(*targets[kind], c, seconds, script)
                    runs[(kind, c)].append(rate)
                    if bad:
                        failures[kind] = failures.get(kind, 0) + bad
    rows = []
    for c in connections:
        for kind in kinds:
            values = runs[(kind, c)]
            rows.append([kind, str(c), f"{statistics.median(values):,.0f}",
                         " / ".join(f"{v:,.0f}" for v in values)])
    report.table(["stack", "connections", "req/s (median)", "runs"], rows)
    for kind, count in failures.items():
        report.line(f"  WARNING {kind}: {count} answers were not 2xx or failed (its figures are not comparable)")
    report.data["wrk"] = {f"{kind}@{c}": values for (kind, c), values in runs.items()}

    def paired(kind: str, baseline: str, c: int) -> float:
        ratios = [a / b for a, b in zip(runs[(kind, c)], runs[(baseline, c)]) if b]
        return statistics.median(ratios) if ratios else 0.0

    for c in connections:
        report.ratio(f"wrk c={c}: CLI / CLI on waitress", paired("mock-cli", "mock-cli-waitress", c), 1.0,
                     "the CLI as shipped vs the same CLI on the pure-Python server it used before")
        report.ratio(f"wrk c={c}: CLI / minimal Flask on waitress", paired("mock-cli", "flask-waitress", c), 1.0,
                     "the whole mock vs an app that does no work, on waitress")
        if "raw-waitress" in kinds:
            report.ratio(f"wrk c={c}: CLI / raw WSGI on waitress", paired("mock-cli", "raw-waitress", c), 1.0,
                         "vs no framework at all, on waitress")
            report.ratio(f"wrk c={c}: CLI / minimal Flask on granian", paired("mock-cli", "flask-granian", c), 1.0,
                         "the mock's own work on the same server (1.0 would mean it costs nothing)")
            # what any Flask app could show against the 3x target: one that does no work at all
            report.ratio(f"wrk c={c}: minimal Flask on granian / CLI on waitress (ceiling)",
                         paired("flask-granian", "mock-cli-waitress", c), 1.0,
                         "the most a Flask app reaches against the CLI's target, on the same server, doing nothing")
        if then:
            report.ratio(f"wrk c={c}: CLI / the CLI at {then}", paired("mock-cli", "mock-cli-then", c), 1.0,
                         f"the CLI as shipped vs the CLI of commit {then} (its default server then)")
            report.ratio(f"wrk c={c}: CLI on waitress / the CLI at {then}", paired("mock-cli-waitress", "mock-cli-then", c),
                         1.0, "how well the CLI on waitress stands for that commit's CLI as the target's baseline")
        if "httpserver" in kinds:
            report.ratio(f"wrk c={c}: CLI / pytest-httpserver", paired("mock-cli", "httpserver", c), 1.0,
                         "vs a stateless stub answering the same JSON")
    top = max(connections)
    report.target(f"wrk-cli-c{top}", paired("mock-cli", "mock-cli-waitress", top), CLI_TARGET,
                  f"standalone CLI at {top} connections vs the same CLI on waitress (what it was)")
    report.target(f"wrk-cli-vs-flask-waitress-c{top}", paired("mock-cli", "flask-waitress", top), 1.0,
                  f"standalone CLI vs a minimal Flask app on waitress, {top} connections")
    if "httpserver" in kinds:
        report.target(f"wrk-cli-vs-httpserver-c{top}", paired("mock-cli", "httpserver", top), 1.0,
                      f"standalone CLI vs pytest-httpserver, {top} connections")
