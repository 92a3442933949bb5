"""Stopping a server lets the requests it is running answer: nobody gets a cut connection,
and a request a latency fault holds is released rather than outliving the server."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from mockserver import MockServer
from raw_http import read_status

LIST_HEAD = b"GET /v1/api/config HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@pytest.mark.parametrize("server_name", ["granian", "waitress"])
def test_requests_held_by_a_latency_fault_answer_when_the_server_stops(server_name):
    mock = MockServer(server=server_name).start()
    rule = mock.faults.add(path="/v1/api/config", latency_ms=60_000)
    socks = []
    try:
        for _ in range(20):
            sock = socket.create_connection(("127.0.0.1", mock.port), timeout=10)
            sock.sendall(LIST_HEAD)
            socks.append(sock)
        deadline = time.monotonic() + 10
        while rule.fired < 20 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert rule.fired == 20
        started = time.monotonic()
        stopper = threading.Thread(target=mock.stop)
        stopper.start()
        statuses = [read_status(sock) for sock in socks]
        stopper.join(10)
        assert not stopper.is_alive()
        assert time.monotonic() - started < 10  # released, not held for the fault's 60 s
        assert statuses == [b"HTTP/1.1 200 OK"] * 20
    finally:
        for sock in socks:
            sock.close()
        if mock.running:
            mock.stop()
