"""The request body cap (``MockServer(max_body_bytes=...)``, 1 MiB by default).

An over-limit body is a 413 in the owning API's shape, whether it announces its length
or comes chunked without one, whether or not the route reads bodies, over a socket or
in-process. It never reaches a view (no view function runs), the store is unchanged, the
journal keeps a placeholder instead of the body, and the connection stays usable.
"""

from __future__ import annotations

import io
import json
from typing import Any, Iterator

import pytest
import requests

from mockserver.app import DEFAULT_MAX_BODY_BYTES
from mockserver.native import body_size

from conftest import PROJECT

LIMIT = 1024


@pytest.fixture
def small(mockserver_factory):
    """A listening server with a 1 KiB cap, and a record of which views ran."""
    server = mockserver_factory(max_body_bytes=LIMIT)
    server.views_run = []
    for endpoint, view in list(server.app.view_functions.items()):
        def spy(*args: Any, __view=view, __endpoint=endpoint, **kwargs: Any) -> Any:
            server.views_run.append(__endpoint)
            return __view(*args, **kwargs)
        server.app.view_functions[endpoint] = spy
    return server


def padded_json(size: int, **members: Any) -> bytes:
    """A JSON object of exactly ``size`` bytes (the padding is a member the APIs ignore)."""
    base = json.dumps({**members, "pad": ""}).encode()
    body = json.dumps({**members, "pad": "x" * (size - len(base))}).encode()
    assert len(body) == size
    return body


def chunks(data: bytes, size: int = 300) -> Iterator[bytes]:
    """A generator body: requests sends it chunked, without Content-Length."""
    for start in range(0, len(data), size):
        yield data[start:start + size]


def without_clock(state: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in state.items() if key != "clock"}


def test_the_default_cap_is_one_mebibyte(mockserver):
    assert DEFAULT_MAX_BODY_BYTES == 1024 * 1024
    headers = {"Authorization": f"Bearer {mockserver.wallaroo.issue_token('developer@example.com')}"}
    url = f"{mockserver.url}/v1/api/workspaces/create"
    at_limit = requests.post(url, data=padded_json(DEFAULT_MAX_BODY_BYTES, workspace_name="big-one"),
                             headers=headers, timeout=30)
    assert at_limit.status_code == 200, at_limit.text
    over = requests.post(url, data=padded_json(DEFAULT_MAX_BODY_BYTES + 1, workspace_name="big-two"),
                         headers=headers, timeout=30)
    assert over.status_code == 413
    assert over.json() == {"msg": "The request body is larger than the limit of 1048576 bytes.", "code": 413}


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize(("method", "path", "shape"), [
    ("POST", "/v1/api/workspaces/create", {"code": 413}),
    ("GET", "/v1/api/config", {"code": 413}),  # a view that never reads its body
    ("POST", "/auth/realms/master/protocol/openid-connect/token", {"error": "request_too_large"}),
    ("POST", f"/v1/{PROJECT}/workspaces", {"error_code": "APIG.0201", "error_msg": "Request entity too large."}),
    ("POST", "/v3/auth/tokens", {}),
    ("POST", "/__mock/reset", {"status": 413}),  # would reset the store, if it ran
    ("PUT", "/__mock/state", {"status": 413}),
])
def test_over_the_limit_is_413_before_any_view(small, method, path, shape, chunked):
    tokens = {"Authorization": f"Bearer {small.wallaroo.issue_token('developer@example.com')}",
              "X-Auth-Token": small.modelarts.issue_token()}
    small.wallaroo.add_workspace(name="kept", members=[{"user": "developer@example.com", "user_type": "OWNER"}])
    before = small.export_state()
    body = padded_json(LIMIT + 1, workspace_name="too-big", name="too_big")
    with requests.Session() as http:
        http.trust_env = False
        response = http.request(method, small.url + path, data=chunks(body) if chunked else body, headers=tokens,
                                timeout=10)
        assert response.status_code == 413, response.text
        answer = response.json()
        assert str(LIMIT) in json.dumps(answer) or "too large" in json.dumps(answer)
        for key, value in shape.items():
            assert answer[key] == value, answer
        assert small.views_run == []
        assert without_clock(small.export_state()) == without_clock(before)
        # the connection is still good for the next request
        assert http.get(small.url + "/v1/api/config", timeout=10).status_code == 200
    (entry,) = [e for e in small.journal.find(path=path) if e.status == 413]
    assert "over the 1024-byte limit" in entry.body and entry.json is None


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_at_the_limit_the_body_gets_through(small, chunked):
    token = {"Authorization": f"Bearer {small.wallaroo.issue_token('developer@example.com')}"}
    body = padded_json(LIMIT, workspace_name="just-fits")
    response = requests.post(small.url + "/v1/api/workspaces/create", data=chunks(body) if chunked else body,
                             headers=token, timeout=10)
    assert response.status_code == 200, response.text
    assert small.views_run == ["wallaroo.workspaces_create"]
    assert small.journal.find(path="/v1/api/workspaces/create")[-1].json["workspace_name"] == "just-fits"


def test_in_process_chunked_bodies_are_capped_too(mockserver_factory):
    """Without a socket there is no server to buffer a chunked body: the app itself bounds it."""
    server = mockserver_factory(max_body_bytes=LIMIT, start=False)
    client = server.test_client()
    stream = io.BytesIO(padded_json(10 * LIMIT, workspace_name="streamed"))
    response = client.post("/__mock/reset", input_stream=stream, headers={"Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413
    assert response.get_json() == {"error": f"The request body is larger than the limit of {LIMIT} bytes.",
                                   "status": 413}
    assert stream.tell() <= 2 * LIMIT  # read no further than needed to know


@pytest.mark.parametrize("client", ["requests", "httpx"])
def test_streamed_bodies_through_the_in_process_transports(mockserver_factory, client):
    """A generator body is streamed (chunked, no Content-Length) by both clients: in-process it
    must arrive whole at the limit (it used to arrive empty) and be a 413 just over it (Werkzeug
    alone cuts such a body at the limit and passes the rest on, silently)."""
    server = mockserver_factory(max_body_bytes=LIMIT, start=False)
    token = {"Authorization": f"Bearer {server.wallaroo.issue_token('developer@example.com')}"}
    if client == "httpx":
        import httpx

        http: Any = httpx.Client(transport=server.httpx_transport(), base_url="http://mock")
        post = lambda path, body: http.post(path, content=chunks(body), headers=token)  # noqa: E731
    else:
        http = server.inprocess_session()
        post = lambda path, body: http.post(path, data=chunks(body), headers=token)  # noqa: E731
    with http:
        at_limit = post("/v1/api/workspaces/create", padded_json(LIMIT, workspace_name="streamed-in"))
        assert at_limit.status_code == 200, at_limit.text
        before = without_clock(server.export_state())
        over = post("/v1/api/workspaces/create", padded_json(LIMIT + 1, workspace_name="streamed-over"))
        assert over.status_code == 413, over.text
        assert without_clock(server.export_state()) == before


def test_a_body_never_read_still_counts(small):
    """HEAD and GET requests with a body: the cap is about bytes sent, not about the route."""
    for method in ("GET", "HEAD", "DELETE"):
        response = requests.request(method, f"{small.url}/v1/{PROJECT}/workspaces/0", data=b"x" * (LIMIT + 1),
                                    timeout=10)
        assert response.status_code == 413
    assert small.views_run == []


@pytest.mark.parametrize(("headers", "expected"), [
    ({}, 0),  # RFC 9112 6.3: neither Content-Length nor chunked, so no body; nothing waits for one
    ({"CONTENT_LENGTH": "2"}, 2),
    ({"HTTP_TRANSFER_ENCODING": "chunked"}, LIMIT + 1),  # one byte past the cap tells "over" from "at"
])
def test_the_native_server_reads_the_body_before_the_app_only_when_there_is_one(headers, expected):
    assert body_size(dict(headers), LIMIT) == expected


@pytest.mark.parametrize("headers", [{"CONTENT_LENGTH": str(LIMIT + 1)}, {"CONTENT_LENGTH": "12x"}])
def test_a_body_over_the_cap_or_of_no_length_is_left_for_the_app_to_refuse(headers):
    assert body_size(dict(headers), LIMIT) is None


@pytest.mark.parametrize("server_name", ["granian", "waitress"])
def test_a_body_shorter_than_its_length_is_not_taken_as_whole(mockserver_factory, server_name):
    """The client stops sending: nothing acts on the part that came as if it were the request."""
    import socket

    server = mockserver_factory(server=server_name)
    token = server.wallaroo.issue_token("developer@example.com")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(b"POST /v1/api/workspaces/create HTTP/1.1\r\nHost: x\r\n"
                           b"Authorization: Bearer " + token.encode() + b"\r\nContent-Type: application/json\r\n"
                           b"Content-Length: 40\r\n\r\n" + b'{"workspace_name": "cut"}')
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    assert "cut" not in [workspace.name for workspace in server.wallaroo.data.workspaces.values()]
    if server_name == "waitress":  # it waits for the whole body, and never passes on a part
        assert answer == b""
        return
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert json.loads(answer.partition(b"\r\n\r\n")[2]) == {
        "msg": "The request body ended after 25 of the 40 bytes its Content-Length announced.", "code": 400}
