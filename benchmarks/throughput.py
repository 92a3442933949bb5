"""Requests per second: over loopback with one keep-alive session, and in-process.

Every loop makes the same call: ``POST /v1/api/workspaces/list`` with ``{}`` and a
bearer token, answered with three workspaces. The baselines are a minimal Flask app
with that one route (see :mod:`benchmarks.apps`), measured in the same run, with the
loops interleaved.

Each figure is given three ways: wall-clock throughput, the same from the median
request time (1/p50), and per CPU-second. On a busy shared machine the wall clock also
counts the time a loop waited for a core, which swings figures by half from one run to
the next. So:

* the socket verdict is the median, over rounds, of the wall-clock ratio between the
  two runs of a round (they ran back to back, under the same load). CPU time is no
  fair judge here: Werkzeug's server also waits (a new connection and thread per
  request), which costs wall time but no CPU, so CPU figures flatter it;
* the in-process verdict is the median, over rounds, of the ratio of calls per CPU-second
  of the calling thread: those loops run in one thread and never wait, so on an idle
  core wall time equals CPU time, and a busy machine does not move it.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable

import requests

from . import servers
from .apps import BASELINE_WORKSPACES, LIST_PATH, auth_headers, minimal_app, mock_server
from .common import Report, Series, expect_status, installed, interleaved

SOCKET_TARGET = 1.0
#: per call within 1.3x of a minimal Flask test client (test_client), within 1.6x (requests, httpx)
INPROCESS_TARGET = 1 / 1.3
INPROCESS_CLIENT_TARGET = 1 / 1.6


def _session_call(url: str, headers: dict[str, str]) -> Callable[[], Any]:
    session = requests.Session()
    target = url + LIST_PATH

    def call() -> Any:
        return expect_status(session.post(target, json={}, headers=headers))

    return call


def _row(series: Series, cpu: float | None) -> list[str]:
    return [series.label, f"{series.median:,.0f}", series.describe_runs(),
            f"{1000 / series.p50_ms:,.0f}" if series.p50_ms else "n/a",
            f"{cpu:,.0f}" if cpu else "n/a (other process)", f"{series.p50_ms:.3f}", f"{series.p99_ms:.2f}"]


def socket_throughput(report: Report, *, seconds: float, repeats: int, peers: bool) -> None:
    report.section(f"socket: {LIST_PATH} over 127.0.0.1, one keep-alive requests.Session in the test process, "
                   f"{repeats} x {seconds:g} s per stack (interleaved)")
    mock = mock_server()
    headers = auth_headers(mock)
    baseline_app = minimal_app()
    use_httpserver = peers and installed("pytest_httpserver")
    with contextlib.ExitStack() as stack:
        mock.start()
        stack.callback(mock.stop)
        fallback = mock_server(server="waitress").start()
        stack.callback(fallback.stop)
        loops: dict[str, Callable[[], Any]] = {}
        if use_httpserver:
            loops["pytest-httpserver (baseline)"] = _session_call(stack.enter_context(
                servers.pytest_httpserver_thread(LIST_PATH, {"workspaces": BASELINE_WORKSPACES})), headers)
        loops["mockserver, MockServer.start() (granian thread)"] = _session_call(mock.url, headers)
        loops["mockserver, MockServer(server='waitress')"] = _session_call(fallback.url, headers)
        loops["minimal Flask, werkzeug threaded"] = _session_call(
            stack.enter_context(servers.werkzeug_threaded(baseline_app)), headers)
        loops["minimal Flask, waitress thread"] = _session_call(
            stack.enter_context(servers.waitress_thread(baseline_app)), headers)
        loops["minimal Flask, granian thread"] = _session_call(
            stack.enter_context(servers.granian_thread(baseline_app)), headers)
        series = interleaved(loops, seconds=seconds, repeats=repeats)
    report.table(["stack", "req/s", "runs (req/s)", "1/p50", "req/CPU-s", "p50 ms", "p99 ms"],
                 [_row(s, s.process_cpu_median) for s in series.values()])
    report.line("  req/s: median wall-clock throughput of the runs; 1/p50: the same from the median request time; "
                "req/CPU-s: requests per CPU-second of this process (client and server threads)")
    if peers and not use_httpserver:
        report.not_installed("pytest_httpserver")
    report.data["socket"] = {label: s.to_dict() for label, s in series.items()}
    ours = series["mockserver, MockServer.start() (granian thread)"]
    report.ratio("socket: granian / waitress (same mock)", ours.paired_ratio(
        series["mockserver, MockServer(server='waitress')"]), 1.0, "median of per-round ratios")
    report.ratio("socket: mock / minimal Flask on granian", ours.paired_ratio(
        series["minimal Flask, granian thread"]), 1.0, "the mock's own work on the same server")
    report.ratio("socket: mock / minimal Flask on werkzeug", ours.paired_ratio(
        series["minimal Flask, werkzeug threaded"]), 1.0, "the old yardstick (it mostly waits)")
    # without the bench extra, pytest-httpserver's own stack (a Flask app on Werkzeug) stands in
    baseline = "pytest-httpserver (baseline)" if use_httpserver else "minimal Flask, werkzeug threaded"
    ratio = ours.paired_ratio(series[baseline])
    report.ratio("socket", ratio, 1.0, f"mockserver vs {baseline}, median of the per-round ratios")
    report.target("socket", ratio, SOCKET_TARGET, f"the fixture's server vs {baseline}, one Python client")


def inprocess_throughput(report: Report, *, seconds: float, repeats: int) -> None:
    report.section(f"in-process: {LIST_PATH} without a socket, {repeats} x {seconds:g} s per mode (interleaved)")
    mock = mock_server()
    headers = auth_headers(mock)
    baseline_client = minimal_app().test_client()
    mock_client = mock.test_client()
    session = mock.inprocess_session()
    loops: dict[str, Callable[[], Any]] = {
        "minimal Flask test_client (baseline)":
            lambda: expect_status(baseline_client.post(LIST_PATH, json={}, headers=headers)),
        "mockserver test_client()":
            lambda: expect_status(mock_client.post(LIST_PATH, json={}, headers=headers)),
        "mockserver inprocess_session() (requests)":
            lambda: expect_status(session.post(LIST_PATH, json={}, headers=headers)),
    }
    if installed("httpx"):
        import httpx

        client = httpx.Client(transport=mock.httpx_transport(), base_url="http://mockserver.local")
        loops["mockserver httpx_transport() (httpx)"] = \
            lambda: expect_status(client.post(LIST_PATH, json={}, headers=headers))
    series = interleaved(loops, seconds=seconds, repeats=repeats)
    report.table(["mode", "req/s", "runs (req/s)", "1/p50", "req/CPU-s", "p50 ms", "p99 ms"],
                 [_row(s, s.cpu_median) for s in series.values()])
    report.line("  req/CPU-s: calls per CPU-second of the (single) calling thread")
    report.data["inprocess"] = {label: s.to_dict() for label, s in series.items()}
    by = list(series.values())
    report.ratio("inprocess (wall req/s)", by[1].median, by[0].median,
                 "mockserver test_client vs minimal Flask test_client")
    report.ratio("inprocess (1/p50)", by[0].p50_ms, by[1].p50_ms, "the same from median request times")
    report.ratio("inprocess (CPU medians)", by[1].cpu_median, by[0].cpu_median, "the same per CPU-second")
    ratio = by[1].paired_ratio(by[0], cpu=True)
    report.ratio("inprocess", ratio, 1.0, "median of the per-round ratios per CPU-second: the verdict")
    report.target("inprocess", ratio, INPROCESS_TARGET, "mockserver test_client vs minimal Flask test_client "
                  "(per CPU-second; 0.77x = 1.3x the time per call)")
    for label, short in (("mockserver inprocess_session() (requests)", "requests"),
                         ("mockserver httpx_transport() (httpx)", "httpx")):
        if label in series:
            report.target(f"inprocess-{short}", series[label].paired_ratio(by[0], cpu=True), INPROCESS_CLIENT_TARGET,
                          f"mockserver's in-process {short} client vs minimal Flask test_client "
                          "(0.625x = 1.6x the time per call)")
