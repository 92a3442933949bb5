"""The in-process clients build plain requests' environs themselves: the same dict as Werkzeug's.

``InProcessFlaskClient`` (what ``test_client()`` returns) and the ``requests`` adapter skip
Werkzeug's EnvironBuilder for a path, a string query, a dict of headers and a body; every
environ they build must equal EnvironBuilder's key for key and in the same order (the journal
lists headers in environ order), and anything unusual must take EnvironBuilder's path.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import EnvironBuilder as FlaskEnvironBuilder
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder

from mockserver import MockServer
from mockserver.inprocess import WsgiAdapter
from mockserver.native import READ_BODY
from mockserver.testclient import InProcessFlaskClient, simple_environ


@pytest.fixture(scope="module")
def server() -> MockServer:
    return MockServer()


def comparable(environ: dict[str, Any]) -> list[tuple[str, Any]]:
    """The environ's items in order, the input stream as its content, callables by name."""
    items = []
    for key, value in environ.items():
        if key == "werkzeug.request":  # set by Request(environ), on both paths
            continue
        if key == READ_BODY:  # the shortcut's own: the body it holds, which must be the stream's
            assert value == environ["wsgi.input"].getvalue()
            continue
        if key == "wsgi.input":
            position = value.tell()
            value = ("stream", value.read())
            environ[key].seek(position)
        elif key == "wsgi.errors":
            value = "errors"
        elif callable(value):
            value = getattr(value, "__qualname__", repr(value))
        items.append((key, value))
    return items


def flask_environ(client: Any, path: str, **kwargs: Any) -> dict[str, Any]:
    """What Flask's own test client would build."""
    kwargs["environ_base"] = client._copy_environ({})
    builder = FlaskEnvironBuilder(client.application, path, **kwargs)
    try:
        return builder.get_environ()
    finally:
        builder.close()


def fast_environ(client: InProcessFlaskClient, path: str, **kwargs: Any) -> dict[str, Any] | None:
    request = client._simple_request((path,), kwargs)
    return None if request is None else request.environ


path_chars = st.sampled_from(list("abcXYZ019-._~!$&'()*+,:;=@/%") + ["%20", "%C3%A9", "%2F", "%ZZ", "é", " ", "?", "#"])
header_names = st.sampled_from(["Authorization", "X-Trace", "x-trace", "X_Trace", "Accept", "Content-Type",
                                "content-length", "Cookie", "Host", "User-Agent", "X-Empty"])
header_values = st.sampled_from(["Bearer abc", "", "a, b", "é", "line\nbreak", "tab\tvalue", "mockserver.local:81"])


@settings(max_examples=300, deadline=None)
@given(path=st.lists(path_chars, max_size=8).map(lambda parts: "/" + "".join(parts)),
       method=st.sampled_from(["GET", "post", "DELETE", "PATCH"]),
       query=st.none() | st.sampled_from(["", "a=1", "a=1&b=%20", "q=é", "x"]),
       headers=st.none() | st.dictionaries(header_names, header_values, max_size=4),
       body=st.sampled_from([None, "", "text é", b"\x00raw", {"json": [1, "é"]}, [], "json:none"]),
       content_type=st.none() | st.sampled_from(["text/plain", "application/json; charset=utf-8", "text/a\nb"]))
def test_the_test_clients_environ_is_werkzeugs(server, path, method, query, headers, body, content_type):
    client = server.test_client()
    assert isinstance(client, InProcessFlaskClient)
    kwargs: dict[str, Any] = {"method": method}
    if query is not None:
        kwargs["query_string"] = query
    if headers is not None:
        kwargs["headers"] = headers
    if content_type is not None:
        kwargs["content_type"] = content_type
    if isinstance(body, (dict, list)):
        kwargs["json"] = body
    elif body == "json:none":
        kwargs["json"] = None
    elif body is not None:
        kwargs["data"] = body
    try:
        expected = comparable(flask_environ(client, path, **dict(kwargs)))
    except (ValueError, TypeError) as error:  # Werkzeug refuses it: the shortcut must not accept it
        assert fast_environ(client, path, **kwargs) is None, error
        return
    fast = fast_environ(client, path, **kwargs)
    if fast is not None:
        assert comparable(fast) == expected


def test_plain_requests_take_the_shortcut(server):
    """The benchmark's call and the usual test calls do not fall back to EnvironBuilder."""
    client = server.test_client()
    assert fast_environ(client, "/v1/api/workspaces/list", method="POST", json={},
                        headers={"Authorization": "Bearer x"}) is not None
    assert fast_environ(client, "/v1/api/config") is not None
    assert fast_environ(client, "/v2/p/workspaces", query_string="limit=10&offset=0") is not None


def test_unusual_arguments_take_werkzeugs_path(server):
    client = server.test_client()
    assert fast_environ(client, "/x", data={"form": "field"}) is None
    assert fast_environ(client, "/x?a=1") is None
    assert fast_environ(client, "//x") is None
    assert fast_environ(client, "/x", headers=[("A", "1"), ("A", "2")]) is None
    assert fast_environ(client, "/x", headers={"X-A": "1", "x-a": "2"}) is None
    assert client._simple_request(("/x",), {"follow_redirects": True}) is None


def test_cookies_still_work_through_the_client(server):
    """A cookie the client holds is sent (Werkzeug's path), and a Cookie header of the
    caller's is dropped with an empty jar, as Werkzeug's client does."""
    client = server.test_client()
    client.get("/v1/api/config", headers={"Cookie": "a=1"})
    assert "Cookie" not in server.journal.last("GET", "/v1/api/config").headers
    client.set_cookie("session", "s1")
    client.get("/v1/api/config")
    assert server.journal.last("GET", "/v1/api/config").headers.get("Cookie") == "session=s1"


@settings(max_examples=200, deadline=None)
@given(path=st.lists(path_chars, max_size=6).map(lambda parts: "/" + "".join(parts)),
       query=st.sampled_from(["", "a=1", "q=%C3%A9&b"]),
       headers=st.dictionaries(header_names, header_values, max_size=4),
       body=st.sampled_from([b"", b"{}", "é".encode()]),
       host=st.sampled_from(["mockserver.local", "mockserver.local:8080", "127.0.0.1:080", "[::1]:81"]))
def test_the_requests_adapters_environ_is_werkzeugs(path, query, headers, body, host):
    import requests

    prepared = requests.Request("POST", f"http://{host}{path}" + (f"?{query}" if query else ""),
                                headers={k: v for k, v in headers.items() if "\n" not in v}, data=body).prepare()
    parts = urlsplit(prepared.url)  # as the adapter did before the shortcut
    header_list = list(prepared.headers.items())
    try:
        builder = EnvironBuilder(path=parts.path or "/", base_url=f"{parts.scheme}://{parts.netloc}",
                                 query_string=parts.query, method="POST", headers=header_list, data=body)
        expected = comparable(builder.get_environ())
    except (ValueError, TypeError):
        return
    assert comparable(WsgiAdapter._environ(prepared)) == expected


def test_simple_environ_refuses_what_it_cannot_copy():
    assert simple_environ("GET", "/a", "", [("X", "a\nb")], b"") is None
    assert simple_environ("GET", "/a", "", [("X-A", "1"), ("X_A", "2")], b"") is None
    assert simple_environ("GET", "/a", "", [], b"", host="h:port") is None
    assert simple_environ("GET", "relative", "", [], b"") is None
    assert simple_environ("GET", "/a", "", [], b"", content_type="text/a\r\nX-Injected: 1") is None


# -- the requests session's shortcut through prepare_request ------------------------------
session_headers = st.dictionaries(st.sampled_from(["X-Session", "Authorization", "accept", "X-Gone"]),
                                  st.sampled_from(["s", "Bearer s", None]), max_size=3)
call_headers = st.none() | st.dictionaries(st.sampled_from(["X-Call", "authorization", "Accept", "X-Gone"]),
                                           st.sampled_from(["c", "Bearer c", None]), max_size=3)


@settings(max_examples=200, deadline=None)
@given(method=st.sampled_from(["get", "POST", "delete"]),
       path=st.sampled_from(["/v1/api/config", "/a b", "/q?x=1", "http://other.local:8080/p"]),
       session_h=session_headers, call_h=call_headers,
       body=st.sampled_from([{}, {"json": {"a": [1, "é"]}}, {"data": b"raw"}, {"data": {"form": "1"}},
                             {"data": "text"}]),
       extra=st.sampled_from([{}, {"params": {"q": "1"}}, {"cookies": {"c": "1"}}, {"auth": ("u", "p")}]),
       session_extra=st.sampled_from(["", "params", "cookies", "auth", "proxies"]))
def test_the_in_process_session_prepares_what_requests_prepares(method, path, session_h, call_h, body, extra,
                                                                session_extra):
    import requests

    from mockserver.inprocess import INPROCESS_BASE_URL, InProcessSession

    sessions = []
    for kind in ("ours", "requests"):
        session = InProcessSession(lambda environ, start: [], INPROCESS_BASE_URL) if kind == "ours" \
            else requests.Session()
        session.trust_env = False
        session.headers.update(session_h)
        if session_extra == "params":
            session.params = {"s": "1"}
        elif session_extra == "cookies":
            session.cookies.set("sc", "1")
        elif session_extra == "auth":
            session.auth = ("su", "sp")
        elif session_extra == "proxies":
            session.proxies = {"http": "http://proxy.local:3128"}
        sessions.append(session)
    url = path if "://" in path else INPROCESS_BASE_URL + path
    prepared = []
    for session in sessions:
        request = requests.Request(method, url, headers=call_h, **body, **extra)
        prepared.append(session.prepare_request(request))
    ours, theirs = prepared
    assert (ours.method, ours.url, ours.body) == (theirs.method, theirs.url, theirs.body)
    assert list(ours.headers.items()) == list(theirs.headers.items())
    settings_ours = sessions[0].merge_environment_settings(url, {}, None, None, None)
    settings_theirs = sessions[1].merge_environment_settings(url, {}, None, None, None)
    assert settings_ours == settings_theirs
