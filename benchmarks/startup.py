"""Start to first answered request, reset and stop, each in fresh interpreters.

Every probe runs in a new process (so imports are cold, as in a test run) and prints
one JSON line. ``import requests`` happens before the clock starts: every contender's
client needs it. The peers are measured the way their users run them:

* pytest-httpserver: ``HTTPServer().start()``, one ``expect_request`` handler, one
  request; its reset is ``clear()`` (what the ``httpserver`` fixture does per test).
* moto: ``ThreadedMotoServer(port=0).start()`` and an STS ``GetCallerIdentity`` (the
  first request builds the lazy backend); its reset is ``POST /moto-api/reset``.
"""

from __future__ import annotations

import textwrap

from .common import Report, installed, median, run_python, spread

_MOCK_PROBE = """
import json, time
import requests
t0 = time.perf_counter()
from mockserver import MockServer
t1 = time.perf_counter()
server = MockServer()
t2 = time.perf_counter()
server.start()
t3 = time.perf_counter()
token = server.wallaroo.issue_token("developer@example.com")
session = requests.Session()
t4 = time.perf_counter()
answer = session.post(server.url + "/v1/api/workspaces/list", json={{}}, headers={{"Authorization": "Bearer " + token}})
t5 = time.perf_counter()
assert answer.status_code == 200, answer.text
resets = []
for _ in range({resets}):
    a = time.perf_counter(); server.reset(); resets.append(time.perf_counter() - a)
switches = []  # what the pytest plugin does before each test: the same scenarios again, so only a reset
for _ in range({resets}):
    a = time.perf_counter(); server.use_scenarios(["default"]); switches.append(time.perf_counter() - a)
http_resets = []
for _ in range({http_resets}):
    a = time.perf_counter()
    r = session.post(server.url + "/__mock/reset")
    http_resets.append(time.perf_counter() - a)
    assert r.status_code == 200, r.text
a = time.perf_counter(); server.stop(); stopped = time.perf_counter() - a
print(json.dumps({{"import": t1 - t0, "construct": t2 - t1, "start": t3 - t2, "first_request": t5 - t4,
                  "start_to_first": (t3 - t1) + (t5 - t4), "fresh_process_total": (t3 - t0) + (t5 - t4),
                  "reset": sorted(resets)[len(resets) // 2], "http_reset": sorted(http_resets)[len(http_resets) // 2],
                  "same_scenarios": sorted(switches)[len(switches) // 2], "stop": stopped}}))
"""

_HTTPSERVER_PROBE = """
import json, time
import requests
t0 = time.perf_counter()
from pytest_httpserver import HTTPServer
t1 = time.perf_counter()
server = HTTPServer(host="127.0.0.1", port=0)
t2 = time.perf_counter()
server.start()
t3 = time.perf_counter()
session = requests.Session()
t4 = time.perf_counter()
server.expect_request("/v1/api/workspaces/list", method="POST").respond_with_json({{"workspaces": []}})
answer = session.post(server.url_for("/v1/api/workspaces/list"), json={{}})
t5 = time.perf_counter()
assert answer.status_code == 200, answer.text
resets = []
for _ in range({resets}):
    a = time.perf_counter(); server.clear(); resets.append(time.perf_counter() - a)
a = time.perf_counter(); server.stop(); stopped = time.perf_counter() - a
print(json.dumps({{"import": t1 - t0, "construct": t2 - t1, "start": t3 - t2, "first_request": t5 - t4,
                  "start_to_first": (t3 - t1) + (t5 - t4), "fresh_process_total": (t3 - t0) + (t5 - t4),
                  "reset": sorted(resets)[len(resets) // 2], "http_reset": None, "stop": stopped}}))
"""

_MOTO_PROBE = """
import json, logging, time
import requests
logging.getLogger("werkzeug").setLevel(logging.ERROR)
t0 = time.perf_counter()
from moto.server import ThreadedMotoServer
t1 = time.perf_counter()
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
t2 = time.perf_counter()
server.start()
t3 = time.perf_counter()
host, port = server.get_host_and_port()
url = "http://%s:%d" % (host, port)
headers = {{"Authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/sts/aws4_request, "
                            "SignedHeaders=host;x-amz-date, Signature=0",
           "X-Amz-Date": "20250101T000000Z", "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}}
session = requests.Session()
t4 = time.perf_counter()
answer = session.post(url + "/", data="Action=GetCallerIdentity&Version=2011-06-15", headers=headers)
t5 = time.perf_counter()
assert answer.status_code == 200, answer.text
http_resets = []
for _ in range({http_resets}):
    a = time.perf_counter()
    r = session.post(url + "/moto-api/reset")
    http_resets.append(time.perf_counter() - a)
    assert r.status_code == 200, r.text
a = time.perf_counter(); server.stop(); stopped = time.perf_counter() - a
print(json.dumps({{"import": t1 - t0, "construct": t2 - t1, "start": t3 - t2, "first_request": t5 - t4,
                  "start_to_first": (t3 - t1) + (t5 - t4), "fresh_process_total": (t3 - t0) + (t5 - t4),
                  "reset": None, "http_reset": sorted(http_resets)[len(http_resets) // 2], "stop": stopped}}))
"""

# Flask's import alone, as the mock's probe would pay it (requests already loaded): a floor
# under any Flask app's start-up, to set beside the start-up target
_FLASK_PROBE = """
import json, time
import requests
t0 = time.perf_counter()
import flask
print(json.dumps({"import": time.perf_counter() - t0}))
"""

_COLUMNS = [
    ("import", "import"),
    ("start", "start()"),
    ("first_request", "first request"),
    ("start_to_first", "construct+start+first"),
    ("fresh_process_total", "import+start+first"),
    ("reset", "reset (Python)"),
    ("http_reset", "reset (HTTP)"),
    ("same_scenarios", "use_scenarios, unchanged (per test)"),
    ("stop", "stop()"),
]


def _collect(code: str, processes: int, *, warm_up: bool) -> dict[str, list[float]]:
    """``processes`` fresh runs of the probe, after an untimed one that fills the bytecode cache."""
    samples: dict[str, list[float]] = {}
    if warm_up:
        run_python(textwrap.dedent(code))
    for _ in range(processes):
        result = run_python(textwrap.dedent(code))
        for key, value in result.items():
            if value is not None:
                samples.setdefault(key, []).append(value)
    return samples


def startup(report: Report, *, processes: int, peers: bool) -> None:
    report.section(f"start-up, reset, stop: median (min–max) over {processes} fresh process(es)"
                   + (" after a warm-up run" if processes > 1 else ""))
    contenders: dict[str, str] = {"mockserver (MockServer)": _MOCK_PROBE.format(resets=200, http_resets=50)}
    if peers:
        if installed("pytest_httpserver"):
            contenders["pytest-httpserver (HTTPServer)"] = _HTTPSERVER_PROBE.format(resets=200)
        else:
            report.not_installed("pytest_httpserver")
        if installed("moto"):
            contenders["moto (ThreadedMotoServer, STS)"] = _MOTO_PROBE.format(http_resets=20)
        else:
            report.not_installed("moto")
    results: dict[str, dict[str, list[float]]] = {}
    for label, code in contenders.items():
        results[label] = _collect(code, processes, warm_up=processes > 1)
    rows = []
    for label, samples in results.items():
        row = [label]
        for key, _ in _COLUMNS:
            values = samples.get(key, [])
            if key in ("reset", "http_reset", "same_scenarios"):
                row.append(spread(values, 1e6, "µs", 0) if values else "n/a")
            else:
                row.append(spread(values) if values else "n/a")
        rows.append(row)
    report.table(["server"] + [title for _, title in _COLUMNS], rows)
    report.data["startup"] = {label: {key: median(values) for key, values in samples.items()}
                              for label, samples in results.items()}
    ours = results["mockserver (MockServer)"]
    # The plugin's per-test switch must cost no more than a reset (it was a timed test; see
    # docs/performance.md): >1 would mean an unchanged baseline is rebuilt.
    report.ratio("use_scenarios (unchanged) vs reset", median(ours["same_scenarios"]), median(ours["reset"]),
                 "per-test scenario switch time / reset time (about 1: only a reset is done)")
    httpserver = results.get("pytest-httpserver (HTTPServer)")
    if httpserver is not None:
        flask_import = _collect(_FLASK_PROBE, processes, warm_up=processes > 1)["import"]
        budget = median(httpserver["fresh_process_total"]) + 0.050
        report.line(f"  importing Flask alone: {spread(flask_import)}; the start-up target "
                    f"(pytest-httpserver's import to first answer + 50 ms): {budget * 1000:.0f} ms")
        report.ratio("start-up target / Flask's import alone (ceiling)", budget, median(flask_import),
                     "below 1: no Flask app can start within the target, whatever it does")
    for label, samples in results.items():
        if label.startswith("mockserver"):
            continue
        report.ratio(f"start-to-first vs {label.split(' ')[0]}", median(samples["start_to_first"]),
                     median(ours["start_to_first"]), f"{label} time / mockserver time (>1: mockserver is faster)")
        peer_reset = samples.get("reset") or samples.get("http_reset") or []
        ours_reset = ours["reset"] if samples.get("reset") else ours["http_reset"]
        kind = "Python" if samples.get("reset") else "HTTP"
        report.ratio(f"reset vs {label.split(' ')[0]}", median(peer_reset), median(ours_reset),
                     f"{kind} reset: {label} time / mockserver time (>1: mockserver is faster)")
