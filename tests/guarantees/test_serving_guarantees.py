"""What no client can do to the listening server, on every HTTP server the mock ships.

Whatever clients do (pipeline requests and never read the answers, drip header bytes,
hold many idle connections) and whatever faults are set (a 60 s latency on ``/**``,
dropped connections), a normal request and the control API answer promptly; a body
over the cap is refused from its ``Content-Length`` before it is sent, and a chunked one
is cut at the cap. Everything here is loopback traffic, bounded in count and time.

The checks run on granian (the default) and on waitress (the pure-Python fallback): each
must hold on both (docs/guarantees.md, section 6). The last ones check how waitress gets
there: worker threads that grow while all are busy, and threads of their own for control
requests when the pool is full.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from typing import Any, Iterator

import pytest
import requests

from mockserver import MockServer
from raw_http import read_answer

#: "promptly": generous for a loaded 2-core CI machine, far below any attack's effect
PROMPT = 5.0
LIST = "/v1/api/workspaces/list"
SERVERS = ["granian", "waitress"]


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    """A server per test: an attack that breaks the fallback must not fail the tests after it."""
    mock = MockServer(server=request.param, max_body_bytes=64 * 1024).start()
    assert mock.server_name == request.param
    try:
        yield mock
    finally:
        mock.faults.clear()  # releases requests a latency fault still holds
        mock.stop()


def connect(server: MockServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=PROMPT)
    return sock


def assert_answers_promptly(server: MockServer) -> None:
    """A normal request and the control API, each on a new connection, within PROMPT seconds."""
    started = time.monotonic()
    normal = requests.get(f"{server.url}/v1/api/config", timeout=PROMPT)
    control = requests.get(f"{server.url}/__mock/health", timeout=PROMPT)
    assert normal.status_code == 200 and control.status_code == 200
    assert time.monotonic() - started < PROMPT


# -- clients -------------------------------------------------------------------------
def test_clients_that_pipeline_requests_and_never_read(server):
    request = b"GET /v1/api/config HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 200
    clients = []
    try:
        for _ in range(8):
            sock = connect(server)
            sock.setblocking(False)
            deadline = time.monotonic() + 1.0
            sent = 0
            while sent < 4 * 1024 * 1024 and time.monotonic() < deadline:
                try:
                    sent += sock.send(request)
                except BlockingIOError:  # the server stopped reading: its answers are not read
                    time.sleep(0.01)
            clients.append(sock)
        assert_answers_promptly(server)
    finally:
        for sock in clients:
            sock.close()


def test_connections_dripping_header_bytes(server):
    clients = []
    try:
        for _ in range(300):
            sock = connect(server)
            sock.sendall(b"GET /v1/api/config HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Drip: ")
            clients.append(sock)
        for sock in clients:  # a byte more on each, as a slow attacker would
            sock.sendall(b"a")
        assert_answers_promptly(server)
    finally:
        for sock in clients:
            sock.close()


def test_connections_that_send_half_a_body_and_stop(server):
    """Each sends its head and one byte of a 1 000-byte body. Read on a thread each, 300 of them
    held every one of granian's Python threads and froze the server until they hung up."""
    head = (b"POST " + LIST.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n{")
    clients = []
    try:
        for _ in range(300):
            sock = connect(server)
            sock.sendall(head)
            clients.append(sock)
        assert_answers_promptly(server)
    finally:
        for sock in clients:
            sock.close()


def test_more_idle_connections_than_a_thousand(server):
    # both ends live in this process: 2 200 descriptors, over the common soft limit of 1 024,
    # which the server raised to the hard limit when it started. granian stopped accepting
    # at 1 024 open connections, so a new client waited for idle ones to time out (10 s)
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert soft == hard or hard == resource.RLIM_INFINITY and soft >= 1 << 16
    clients = []
    try:
        for _ in range(1100):
            clients.append(connect(server))
        assert_answers_promptly(server)
    finally:
        for sock in clients:
            sock.close()


# -- faults ----------------------------------------------------------------------------
def hold_requests(server: MockServer, count: int) -> list[socket.socket]:
    """``count`` raw requests to the list route, sent and not awaited."""
    body = b"{}"
    token = server.wallaroo_token()
    request = (f"POST {LIST} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    clients = []
    for _ in range(count):
        sock = connect(server)
        sock.sendall(request)
        clients.append(sock)
    return clients


def wait_until_fired(rule: Any, count: int) -> None:
    deadline = time.monotonic() + PROMPT
    while rule.fired < count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert rule.fired >= count, f"only {rule.fired} of {count} requests reached the fault"


def test_a_60_s_latency_fault_on_everything_leaves_the_control_api_free(server):
    rule = server.faults.add(path="/**", latency_ms=60_000)
    held = hold_requests(server, 40)  # more than any fixed pool of worker threads
    try:
        wait_until_fired(rule, 40)
        started = time.monotonic()
        assert requests.get(f"{server.url}/__mock/health", timeout=PROMPT).status_code == 200
        assert requests.delete(f"{server.url}/__mock/faults", timeout=PROMPT).status_code == 200
        assert time.monotonic() - started < PROMPT
        # clearing the faults releases the held requests: each gets its real answer now
        for sock in held:
            status, _, body = read_answer(sock)
            assert status == 200 and json.loads(body)["workspaces"]
    finally:
        for sock in held:
            sock.close()


def test_requests_held_by_a_latency_fault_do_not_hold_other_routes(server):
    server.faults.add(path=LIST, latency_ms=60_000)
    held = hold_requests(server, 40)
    try:
        wait_until_fired(server.faults.rules()[0], 40)
        assert_answers_promptly(server)
    finally:
        server.faults.clear()
        for sock in held:
            sock.close()


def test_dropped_connections_leave_the_server_serving(server):
    server.faults.add(path="/**", drop=True)
    started = time.monotonic()
    for _ in range(50):
        # dropped at once (the status line may have gone out first), not a read that times out
        with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            requests.get(f"{server.url}/v1/api/config", timeout=PROMPT)
    assert time.monotonic() - started < PROMPT
    assert requests.get(f"{server.url}/__mock/health", timeout=PROMPT).status_code == 200
    server.faults.clear()
    assert_answers_promptly(server)


# -- bodies ----------------------------------------------------------------------------
def test_an_oversized_body_is_refused_from_its_content_length_before_it_is_sent(server):
    """Only the head is sent: the 413 must come without waiting for 100 MB that never arrive."""
    sock = connect(server)
    try:
        sock.sendall(b"POST /v1/api/workspaces/create HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n")
        status, headers, body = read_answer(sock)
        closed = sock.recv(1) == b""  # and the server hangs up rather than read 100 MB
    finally:
        sock.close()
    assert status == 413
    assert headers["content-type"].startswith("application/json")
    assert "larger than the limit" in body.decode()
    assert closed
    assert_answers_promptly(server)


def test_a_chunked_body_is_cut_at_the_cap(server):
    """Chunks past the cap, and no final chunk: the 413 comes without the rest of the body."""
    sock = connect(server)
    try:
        sock.sendall(b"POST /v1/api/workspaces/create HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 16384
        for _ in range(6):  # up to 96 KiB, over the 64 KiB cap; the body never ends
            if select.select([sock], [], [], 0)[0]:
                # answered: the server closes, and writing on would be reset (under load waitress
                # answered before the sixth chunk, and the client's next write got ECONNRESET)
                break
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (ConnectionResetError, BrokenPipeError):
                break  # it answered and closed between the check and the write
        status, headers, body = read_answer(sock)
    finally:
        sock.close()
    assert status == 413
    assert "larger than the limit" in body.decode()
    assert_answers_promptly(server)


# -- waitress's worker threads ----------------------------------------------------------
@pytest.fixture
def small_waitress(monkeypatch: pytest.MonkeyPatch) -> Iterator[MockServer]:
    """waitress with 2 core threads, at most 6 in its pool, extra ones idle out after 0.2 s."""
    from mockserver import serving

    monkeypatch.setattr(serving, "WAITRESS_MAX_THREADS", 6)
    monkeypatch.setattr(serving, "WAITRESS_IDLE_SECONDS", 0.2)
    mock = MockServer(server="waitress", threads=2).start()
    try:
        yield mock
    finally:
        mock.faults.clear()
        mock.stop()


def test_waitress_serves_one_client_on_its_core_threads():
    """Requests one after another never find every thread busy: the pool does not grow."""
    mock = MockServer(server="waitress").start()
    try:
        with requests.Session() as session:
            for _ in range(200):
                assert session.get(f"{mock.url}/v1/api/config", timeout=PROMPT).status_code == 200
        assert mock._server.dispatcher.started == mock.threads
    finally:
        mock.stop()


def test_waitress_control_requests_get_a_thread_when_the_pool_is_full(small_waitress):
    """10 held requests and a pool of 6: 6 reach the fault, 4 wait their turn, and the control
    API still answers on threads of its own; clearing the faults then answers all 10."""
    mock = small_waitress
    rule = mock.faults.add(path=LIST, latency_ms=60_000)
    held = hold_requests(mock, 10)
    try:
        wait_until_fired(rule, 6)
        for _ in range(3):
            assert requests.get(f"{mock.url}/__mock/health", timeout=PROMPT).status_code == 200
        assert rule.fired == 6  # the other 4 wait in the queue, not in the fault
        assert requests.delete(f"{mock.url}/__mock/faults", timeout=PROMPT).status_code == 200
        for sock in held:
            status, _, body = read_answer(sock)
            assert status == 200 and json.loads(body)["workspaces"]
        assert rule.fired == 6  # cleared before the queued ones ran: they got the plain answer
    finally:
        for sock in held:
            sock.close()
    dispatcher = mock._server.dispatcher
    assert dispatcher.started == 6 + 4  # the pool's 6 threads, then 4 one-request control threads
    deadline = time.monotonic() + PROMPT
    while len(dispatcher.threads) > 2 and time.monotonic() < deadline:  # the extra 4 idle out
        time.sleep(0.05)
    assert len(dispatcher.threads) == 2
    assert_answers_promptly(mock)


class BlockingTask:
    """A stand-in for a waitress channel: its service() waits until released."""

    def __init__(self, release: threading.Event, urgent: bool = False) -> None:
        self.release, self.urgent = release, urgent
        self.started = threading.Event()
        self.served = self.cancelled = False

    def service(self) -> None:
        self.started.set()
        self.release.wait(PROMPT)
        self.served = True

    def cancel(self) -> None:
        self.cancelled = True


def test_the_waitress_dispatcher_grows_to_its_limit_then_queues():
    from mockserver.serving import ElasticDispatcher

    dispatcher = ElasticDispatcher(4, 2, 60.0, urgent=lambda task: task.urgent)
    dispatcher.set_thread_count(1)
    release = threading.Event()
    normal = [BlockingTask(release) for _ in range(6)]
    urgent = [BlockingTask(release, urgent=True) for _ in range(3)]
    try:
        for task in normal:
            dispatcher.add_task(task)
        for task in normal[:4]:
            assert task.started.wait(PROMPT)
        assert (len(dispatcher.threads), len(dispatcher.queue)) == (4, 2)  # a thread per task up to 4
        for task in urgent:
            dispatcher.add_task(task)
        assert urgent[0].started.wait(PROMPT) and urgent[1].started.wait(PROMPT)  # past the limit...
        assert dispatcher.reserved == 2 and list(dispatcher.queue) == normal[4:] + urgent[2:]  # ...up to 2
    finally:
        release.set()
    for task in normal + urgent:
        assert task.started.wait(PROMPT)
    assert dispatcher.shutdown(timeout=PROMPT)
    assert all(task.served for task in normal + urgent) and not dispatcher.threads
    late = BlockingTask(release)
    dispatcher.add_task(late)  # after shutdown: cancelled, not queued for threads that are gone
    assert late.cancelled and not late.started.is_set()


@pytest.mark.parametrize("name", SERVERS)
def test_starting_a_server_raises_the_open_files_limit(name):
    """Each connection is a descriptor: a server that starts lifts the usual soft limit (1 024)
    to the hard one, so idle connections cannot use up the few descriptors below it."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (512, hard))
    try:
        mock = MockServer(server=name).start()
        mock.stop()
        raised, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        assert raised == hard or hard == resource.RLIM_INFINITY and raised >= 1 << 16
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, resource.getrlimit(resource.RLIMIT_NOFILE)[0]), hard))


def test_waitress_on_a_taken_port_leaves_no_worker_threads():
    def workers() -> int:
        return sum(thread.name.startswith("mockserver-waitress-") for thread in threading.enumerate())

    taken = MockServer(server="waitress").start()
    try:
        before = workers()
        with pytest.raises(OSError):
            MockServer(server="waitress", port=taken.port).start()
        assert workers() <= before
    finally:
        taken.stop()
