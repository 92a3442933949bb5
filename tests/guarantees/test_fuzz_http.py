"""Fuzzing below the JSON: odd headers and odd sizes, over raw HTTP connections.

``requests`` cannot send what some clients (and attackers) send: the same header twice,
bytes that are not Latin-1, a hundred kilobytes in one header. These tests speak
``http.client`` to the listening server and hold every answer to the same contract as
the other fuzz tests (``test_error_shapes.shape_problems``): the owning API's shape, an
allowed status, no traceback, no HTML, an answer within the timeout, and an unchanged
store after any answer that is not a 2xx.
"""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver import MockServer
from conftest import PROJECT, TOKEN_PATH
from test_error_shapes import shape_problems

TIMEOUT = 10
FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


def fuzz(max_examples: int) -> settings:
    return settings(FUZZ, max_examples=max_examples)
#: one route per family that authenticates and reads a body
TARGETS = [("POST", "/v1/api/workspaces/create"), ("POST", "/v1/api/workspaces/list"), ("POST", TOKEN_PATH),
           ("GET", "/auth/admin/realms/master/users"), ("GET", f"/v1/{PROJECT}/workspaces"),
           ("POST", f"/v1/{PROJECT}/workspaces"), ("POST", "/v3/auth/tokens"), ("GET", "/v3/projects"),
           ("POST", "/__mock/clock"), ("GET", "/__mock/health")]


class Connection:
    """One keep-alive connection, reopened when the server closed it."""

    def __init__(self, server: MockServer) -> None:
        self.server = server
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, headers: list[tuple[str, bytes]], body: bytes | None
                ) -> tuple[int, http.client.HTTPMessage, bytes]:
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=TIMEOUT)
            try:
                self.connection.putrequest(method, path, skip_accept_encoding=True)
                for name, value in headers:
                    self.connection.putheader(name, value)
                if body is not None:
                    self.connection.putheader("Content-Length", str(len(body)))
                self.connection.endheaders(body)
                response = self.connection.getresponse()
                data = response.read()
                if response.will_close:
                    self.close()
                return response.status, response.msg, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()  # a stale keep-alive connection: once more on a new one
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
        self.connection = None


@pytest.fixture(scope="module")
def connection(server):
    connection = Connection(server)
    yield connection
    connection.close()


def without_clock(state: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in state.items() if key != "clock"}


def exchange_and_check(server: MockServer, connection: Connection, method: str, path: str,
                       headers: list[tuple[str, bytes]], body: bytes | None) -> int | None:
    server.reset()
    before = without_clock(server.export_state())
    try:
        status, response_headers, data = connection.request(method, path, headers, body)
    except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
        if server.server_name != "granian":
            raise
        # the native HTTP layer refused the head and hung up before the request was all sent
        # (its 400 lost with the connection): nothing reached the app, the server serves on
        connection.close()
        assert without_clock(server.export_state()) == before
        assert requests.get(f"{server.url}/__mock/health", timeout=TIMEOUT).status_code == 200
        return None
    if server.server_name == "granian" and status in (400, 431) and not data:
        # refused by the native HTTP layer before any Python ran (a NUL in a header, more than
        # 100 headers): a bare 4xx and a closed connection, a choice (docs/guarantees.md)
        assert (response_headers.get("Connection") or "").lower() == "close"
        connection.close()
        assert without_clock(server.export_state()) == before
        return status
    problems = shape_problems(method, path, status, response_headers, data)
    assert not problems, (method, path, headers[:4], problems)
    if not 200 <= status < 300:
        assert without_clock(server.export_state()) == before, f"{method} {path} -> {status} changed the store"
    return status


# == headers ================================================================================
HEADER_NAMES = ["Authorization", "X-Auth-Token", "X-Sdk-Date", "X-Project-Id", "Content-Type", "Accept",
                "X-Request-Id", "Cookie", "Accept-Charset", "X-Forwarded-For", "X_Auth_Token", "User-Agent"]
header_values = st.one_of(
    st.binary(max_size=40).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),  # any bytes but line breaks
    st.text(max_size=20).map(lambda t: t.encode("utf-8", "surrogatepass").replace(b"\r", b"").replace(b"\n", b"")),
    st.sampled_from([b"Bearer", b"Bearer ", b"bearer  x", b"Basic YWRtaW46YWRtaW4=", "Bearer ü€".encode(),
                     b"SDK-HMAC-SHA256 ,,,", b"SDK-HMAC-SHA256 Access=MOCKACCESSKEY0000001, SignedHeaders=, Signature=",
                     b"application/json; charset=\xff", b"\t", b"\x00", b"MII" + b"A" * 300]),
    st.integers(1, 120_000).map(lambda n: b"Bearer " + b"x" * n),  # up to about half of waitress's header limit
)


@pytest.fixture
def valid_credentials(server):
    return {"Authorization": f"Bearer {server.wallaroo.issue_token('developer@example.com')}".encode(),
            "X-Auth-Token": server.modelarts.issue_token().encode()}


@fuzz(200)
@given(target=st.sampled_from(TARGETS),
       headers=st.lists(st.tuples(st.sampled_from(HEADER_NAMES), header_values), max_size=6),
       with_valid_credentials=st.booleans(),
       body=st.sampled_from([None, b"{}", b'{"workspace_name": "fuzzed", "name": "fuzzed"}', b"grant_type=x"]))
def test_any_headers(server, connection, target, headers, with_valid_credentials, body):
    """Duplicate, conflicting, huge, non-Latin-1 and control-character header values."""
    method, path = target
    sent = list(headers)
    if with_valid_credentials:  # the fuzzed headers then come as duplicates of good ones
        sent = [("Authorization", f"Bearer {server.wallaroo.issue_token('developer@example.com')}".encode()),
                ("X-Auth-Token", server.modelarts.issue_token().encode())] + sent
    exchange_and_check(server, connection, method, path, sent, body)


def test_duplicate_credentials_are_not_merged_into_access(server, connection, valid_credentials):
    """Two Authorization headers (one good) do not authenticate as either; neither do two tokens."""
    for method, path in [("POST", "/v1/api/workspaces/list"), ("GET", f"/v1/{PROJECT}/workspaces")]:
        for name in ("Authorization", "X-Auth-Token"):
            status = exchange_and_check(server, connection, method, path,
                                        [(name, valid_credentials[name]), (name, valid_credentials[name])], b"{}")
            assert status == 401, (path, name)


def test_many_headers(server, connection):
    headers = [(f"X-Filler-{n}", b"v" * 100) for n in range(500)]
    for method, path in TARGETS:
        exchange_and_check(server, connection, method, path, headers, b"{}")


# == sizes ==================================================================================
@fuzz(40)
@given(target=st.sampled_from([t for t in TARGETS if t[0] != "GET"]),
       size=st.sampled_from([0, 1, 63, 64, 65, 256, 257, 4096, 100_000, 1024 * 1024 - 40, 1024 * 1024 + 1]),
       member=st.sampled_from(["workspace_name", "name", "description", "email", "password", "x"]),
       char=st.sampled_from(["a", "é", "\u0000", "\U0001f600", "\u202e", "-"]))
def test_huge_strings(server, connection, valid_credentials, target, size, member, char):
    """Long member values, up to and over the body cap; the answer must not take long or echo a traceback."""
    text = char * size
    body = json.dumps({member: text, "workspace_name": text, "name": text}, ensure_ascii=False).encode()
    status = exchange_and_check(server, connection, target[0], target[1], list(valid_credentials.items()), body)
    if status is None:  # refused from its Content-Length, the connection closed under the rest of the body
        assert len(body) > 1024 * 1024
        return
    assert (status == 413) == (len(body) > 1024 * 1024)
