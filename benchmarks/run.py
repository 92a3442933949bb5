"""Run the benchmarks: ``python -m benchmarks.run [--quick] [--only SECTION,...] [--no-peers]``.

Prints absolute figures and, for every comparison, the ratio against a baseline
measured in the same run, then one PASS/FAIL line per target ratio. Sections:

``wrk``        standalone servers (the CLI, baselines, peers) under the C load generator wrk,
               1 and 8 connections (target: the CLI >= 3x itself on waitress at 8)
``socket``     one keep-alive ``requests.Session`` over loopback (target: >= 2x a minimal
               Flask app on Werkzeug's threaded server), and the WSGI server comparison
``inprocess``  Flask test client, no socket (target: >= 70% of a minimal Flask app's)
``startup``    import, start, first answered request, reset, stop (fresh processes)
``pytest``     a generated suite of 200 one-request tests per fixture, in a subprocess
``scale``      calls with 10 / 1 000 / 100 000 workspaces in the store
``memory``     bytes per workspace (tracemalloc)

Peers (moto, pytest-httpserver, gunicorn) come from the ``bench`` extra
(``pip install -e '.[bench]'``); without them their rows say "not installed".
``--no-peers`` leaves them out even when installed. ``--then GIT_REF`` runs the CLI of an
earlier commit beside today's in the ``wrk`` section (a target phrased as "3x today's"). Exit status: the number of
failed targets (0 when all pass), so CI can run it if it wants to.

``MOCKSERVER_BENCH_BUDGET=smoke`` runs any of these command lines as written with the sizes of
``--quick`` and fewer, one round and the shortest loops whatever ``--repeats``/``--seconds``
say: it proves the command works (the docs' command lines are run so by the tests).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

from benchmarks import loadgen, pytest_run, scale, startup, throughput  # noqa: E402
from benchmarks.common import (  # noqa: E402
    SMOKE_MEMORY_COUNT,
    SMOKE_NOTE,
    SMOKE_SCALE_BUDGET,
    SMOKE_SECONDS,
    Report,
    smoke_budget,
)

SECTIONS = ("wrk", "socket", "inprocess", "startup", "pytest", "scale", "memory")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes and short loops: proves the benchmarks run, the figures mean little")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run (default: all of {', '.join(SECTIONS)})")
    parser.add_argument("--no-peers", action="store_true",
                        help="leave out moto, pytest-httpserver and gunicorn even if installed")
    parser.add_argument("--seconds", type=float, help="length of each throughput run (default 1, quick 0.2)")
    parser.add_argument("--repeats", type=int, help="rounds of throughput runs (default 11, quick 1)")
    parser.add_argument("--json", metavar="PATH", help="also write every figure to this JSON file")
    parser.add_argument("--then", metavar="GIT_REF",
                        help="wrk section: also run the CLI of this git commit beside today's (needs a git checkout)")
    args = parser.parse_args(argv)
    unknown = set(args.only.split(",")) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    sections = args.only.split(",")
    smoke = smoke_budget()
    quick = args.quick or smoke
    # many short interleaved rounds: a busy machine's slow spells hit both sides of a round
    seconds = args.seconds or (0.2 if quick else 1.0)
    repeats = args.repeats or (1 if quick else 11)
    if smoke:
        seconds, repeats = min(seconds, SMOKE_SECONDS), 1
    peers = not args.no_peers
    report = Report()
    report.data["budget"] = "smoke" if smoke else "quick" if quick else "full"
    env = report.data["environment"]
    print(f"mockserver benchmarks{' (--quick: figures are not meaningful)' if args.quick else ''}")
    if smoke:
        print(SMOKE_NOTE)
    print(f"  Python {env['python']} on {env['system']}, {env['cpus']} CPUs ({env['processor']})")
    print("  " + ", ".join(f"{name} {version}" for name, version in env["packages"].items() if version))
    print(f"  command: python -m benchmarks.run {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip())
    started = time.perf_counter()
    if "wrk" in sections:
        loadgen.load_generator(report, seconds=max(1.0, seconds * 2), repeats=repeats if quick else 5, peers=peers,
                               quick=quick, warm_up=not smoke, then=args.then)
    if "socket" in sections:
        throughput.socket_throughput(report, seconds=seconds, repeats=repeats, peers=peers)
    if "inprocess" in sections:
        throughput.inprocess_throughput(report, seconds=seconds, repeats=repeats)
    if "startup" in sections:
        startup.startup(report, processes=1 if quick else 5, peers=peers)
    if "pytest" in sections:
        for count in ((20,) if quick else (200, 2000)):
            pytest_run.pytest_suites(report, count=count, repeats=1 if quick else 3, peers=peers)
    if "scale" in sections:
        scale.scale(report, sizes=(10, 100) if quick else (10, 1_000, 100_000), budget=SMOKE_SCALE_BUDGET if smoke else 0.05 if quick else 1.0)
    if "memory" in sections:
        scale.memory(report, count=SMOKE_MEMORY_COUNT if smoke else 200 if quick else 2_000)
    failed = report.summary()
    print(f"  ran in {time.perf_counter() - started:.0f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report.data, handle, indent=2)
    return failed


if __name__ == "__main__":
    sys.exit(main())
