"""How the default server (granian) reads request bodies: without a thread per body, with a
deadline for a body that stops arriving, and with a bound on the bodies in memory at once.

waitress reads bodies on its own I/O loop (and spools large ones to disk): these bounds are
granian's (docs/guarantees.md, section 6). Loopback traffic only, bounded in count and time.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Iterator

import pytest
import requests

from mockserver import MockServer
from raw_http import read_answer

PROMPT = 5.0
CREATE = "/v1/api/workspaces/create"
LIST = "/v1/api/workspaces/list"


@pytest.fixture
def native() -> Iterator[MockServer]:
    mock = MockServer(server="granian").start()
    try:
        yield mock
    finally:
        mock.faults.clear()
        mock.stop()


def post_head(mock: MockServer, length: int, path: str = CREATE) -> bytes:
    token = mock.wallaroo_token()
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n").encode()


def wait_for(condition, timeout: float = PROMPT) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_a_body_that_stops_arriving_is_answered_408_in_the_api_shape(native):
    native._server.body_idle_timeout = 0.3  # 60 s by default
    before = len(native.wallaroo.data.workspaces)
    with socket.create_connection(("127.0.0.1", native.port), timeout=PROMPT) as sock:
        sock.sendall(post_head(native, 100) + b'{"workspace_name": ')
        started = time.monotonic()
        status, headers, body = read_answer(sock)
        assert time.monotonic() - started < PROMPT
    assert status == 408
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body) == {"msg": "The request body stopped arriving: no byte for 0.3 s.", "code": 408}
    assert len(native.wallaroo.data.workspaces) == before
    assert wait_for(lambda: native._server._budget.used == 0)


def test_a_body_that_keeps_arriving_slowly_is_read_whole(native):
    """The deadline counts from the last byte, not from the head: a slow upload gets through."""
    native._server.body_idle_timeout = 0.3
    body = json.dumps({"workspace_name": "slow-but-steady"}).encode()
    with socket.create_connection(("127.0.0.1", native.port), timeout=PROMPT) as sock:
        sock.sendall(post_head(native, len(body)))
        for index in range(0, len(body), 8):  # ~0.7 s in all, 0.1 s between bytes
            sock.sendall(body[index:index + 8])
            time.sleep(0.1)
        status, _, answer = read_answer(sock)
    assert status == 200, answer
    assert "slow-but-steady" in [w.name for w in native.wallaroo.data.workspaces.values()]


def test_bodies_past_the_memory_budget_are_answered_503_at_once(native):
    native._server._budget.limit = 50
    answer = requests.post(f"{native.url}{CREATE}", data=json.dumps({"workspace_name": "x" * 60}),
                           headers={**native.wallaroo_headers(), "Content-Type": "application/json"}, timeout=PROMPT)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "1"
    assert answer.json() == {"msg": "Too many request bodies are in progress at once; try again.", "code": 503}
    assert native._server._budget.used == 0
    small = requests.post(f"{native.url}{CREATE}", json={"workspace_name": "fits"},
                          headers=native.wallaroo_headers(), timeout=PROMPT)
    assert small.status_code == 200


def test_the_budget_comes_back_whatever_happens_to_a_body(native):
    """Answered, cut short by the client, refused as too large, dropped by a fault: none keeps
    its bytes counted against the bodies that come after it."""
    headers = native.wallaroo_headers()
    for index in range(20):
        assert requests.post(f"{native.url}{CREATE}", json={"workspace_name": f"w{index}"}, headers=headers,
                             timeout=PROMPT).status_code == 200
    for _ in range(20):  # the client hangs up mid-body
        with socket.create_connection(("127.0.0.1", native.port), timeout=PROMPT) as sock:
            sock.sendall(post_head(native, 1000) + b"{" * 500)
    assert requests.post(f"{native.url}{CREATE}", data=b"x" * (2 * 1024 * 1024), headers=headers,
                         timeout=PROMPT).status_code == 413
    native.faults.add(path=CREATE, drop=True)
    for _ in range(5):
        with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            requests.post(f"{native.url}{CREATE}", json={"workspace_name": "dropped"}, headers=headers,
                          timeout=PROMPT)
    assert wait_for(lambda: native._server._budget.used == 0), native._server._budget.used


def test_requests_held_by_a_latency_fault_hold_no_thread(native):
    """300 requests held for a minute, more than granian's Python threads (256): the held
    ones wait in a timer, so a request to another route still answers at once."""
    rule = native.faults.add(path=LIST, latency_ms=60_000)
    held = []
    try:
        for _ in range(300):
            sock = socket.create_connection(("127.0.0.1", native.port), timeout=PROMPT)
            sock.sendall(post_head(native, 2, LIST) + b"{}")
            held.append(sock)
        assert wait_for(lambda: rule.fired == 300), rule.fired
        started = time.monotonic()
        assert requests.get(f"{native.url}/v1/api/config", timeout=PROMPT).status_code == 200
        assert time.monotonic() - started < 1.0
        native.faults.clear()  # released: each carried out and answered now
        assert [read_answer(sock)[0] for sock in held] == [200] * 300
    finally:
        for sock in held:
            sock.close()


def test_the_timer_thread_runs_callbacks_in_deadline_order_and_skips_cancelled_ones():
    """The one thread behind body timeouts and latency holds; cancelled timers leave nothing behind."""
    import threading

    from mockserver.native import _Timers

    timers = _Timers("test-timers")
    ran: list[str] = []
    done = threading.Event()
    now = time.monotonic()
    timers.call_at(now + 0.2, lambda: (ran.append("late"), done.set()))
    timers.call_at(now + 0.05, lambda: ran.append("early"))
    timers.cancel(timers.call_at(now + 0.1, lambda: ran.append("cancelled")))
    timers.call_at(now + 0.1, lambda: 1 / 0)  # a failing callback is logged; the others still run
    try:
        assert done.wait(PROMPT)
    finally:
        timers.stop()
    assert ran == ["early", "late"]
    assert not timers._cancelled


def chunked_head(mock: MockServer, path: str = CREATE) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {mock.wallaroo_token()}\r\n"
            f"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode()


@pytest.mark.parametrize("rest", [
    b"5\r\n{\"x\":",  # the client stops half-way through the next chunk, and half-closes
    b"zz\r\n",  # a chunk size that is not hexadecimal
])
def test_a_chunked_body_cut_short_or_malformed_is_refused_and_not_carried_out(native, rest):
    """granian hands over an error in the chunked framing as the end of the body; read as such,
    the part that came was carried out (a workspace created from its first chunk)."""
    before = len(native.wallaroo.data.workspaces)
    first = json.dumps({"workspace_name": "from-a-cut-body"}).encode()
    with socket.create_connection(("127.0.0.1", native.port), timeout=PROMPT) as sock:
        sock.sendall(chunked_head(native) + b"%x\r\n%s\r\n" % (len(first), first) + rest)
        sock.shutdown(socket.SHUT_WR)
        status, headers, body = read_answer(sock)
    assert status == 400
    assert json.loads(body) == {"msg": "The chunked request body was cut short or malformed; nothing was done.",
                                "code": 400}
    assert len(native.wallaroo.data.workspaces) == before
    assert wait_for(lambda: native._server._budget.used == 0)


def test_held_bodies_count_against_the_budget_until_they_have_run(native):
    """Bodies held by a latency fault stay in memory: they keep their bytes counted (1 500
    held 1 MiB bodies took the server to 1.6 GB while the budget read 0)."""
    native._server._budget.limit = 1000
    native.faults.add(path=LIST, latency_ms=60_000)
    body = b"{" + b" " * 398 + b"}"  # 400 bytes
    held = []
    try:
        for _ in range(2):
            sock = socket.create_connection(("127.0.0.1", native.port), timeout=PROMPT)
            sock.sendall(post_head(native, len(body), LIST) + body)
            held.append(sock)
        assert wait_for(lambda: native._server._budget.used == 800)
        third = requests.post(f"{native.url}{LIST}", data=body, timeout=PROMPT,
                              headers={**native.wallaroo_headers(), "Content-Type": "application/json"})
        assert third.status_code == 503
        native.faults.clear()
        assert [read_answer(sock)[0] for sock in held] == [200, 200]
        assert wait_for(lambda: native._server._budget.used == 0)
    finally:
        for sock in held:
            sock.close()


def test_stop_answers_the_bodies_still_coming_and_returns_at_once():
    """A client half-way through a body when the server stops gets a 503 and the request is
    not carried out; before, stop() waited 5 s for it and the server carried it out later."""
    mock = MockServer(server="granian").start()
    before = len(mock.wallaroo.data.workspaces)
    body = json.dumps({"workspace_name": "after-the-stop"}).encode()
    sock = socket.create_connection(("127.0.0.1", mock.port), timeout=PROMPT)
    try:
        sock.sendall(post_head(mock, len(body)) + body[:4])
        assert wait_for(lambda: len(mock._server._reading) == 1)
        started = time.monotonic()
        mock.stop()
        assert time.monotonic() - started < 2.0
        status, headers, answer = read_answer(sock)
        assert status == 503 and headers["connection"] == "close"
        assert json.loads(answer)["msg"] == "The mock server is stopping; the request was not carried out."
        try:
            sock.sendall(body[4:])
        except OSError:
            pass  # closed: nothing more is read
    finally:
        sock.close()
    assert len(mock.wallaroo.data.workspaces) == before
