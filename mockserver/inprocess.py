"""In-process transports: HTTP calls answered by the WSGI app, with no socket.

(Was ``mockserver.transport``, which still re-exports everything here.)

* :class:`BaseUrlSession` lets tests write ``session.post("/v1/api/workspaces/list", json={})``.
* :class:`WsgiAdapter` is a ``requests`` transport adapter that builds a WSGI environ from
  the prepared request and runs the app in the calling thread.
* :class:`InProcessSession` is a :class:`BaseUrlSession` with that adapter mounted.
* :class:`HttpxWsgiTransport` does the same for ``httpx`` clients (and so for the
  Wallaroo SDK's generated client).

A fault that drops the connection surfaces as the client's own connection error
(``requests.ConnectionError``, ``httpx.RemoteProtocolError``), as it would over a socket.
"""

from __future__ import annotations

from collections import OrderedDict
from io import BytesIO
from typing import Any, Mapping
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.cookies import RequestsCookieJar
from requests.sessions import merge_hooks
from requests.structures import CaseInsensitiveDict
from urllib3 import HTTPHeaderDict
from urllib3.response import HTTPResponse
from werkzeug.test import EnvironBuilder, run_wsgi_app

from .errors import DropConnection
from .native import READ_BODY
from .testclient import INPROCESS_BASE_URL, simple_environ


def wsgi_for_inprocess(app: Any) -> Any:
    """Wrap a WSGI app so a dropped connection becomes ``ConnectionResetError``."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        # In-process, wsgi.input is always a finite buffer. Saying so lets Werkzeug read a
        # chunked body (no Content-Length), which it would otherwise take as empty (and so
        # also skip the body cap).
        environ.setdefault("wsgi.input_terminated", True)
        stream = environ.get("wsgi.input")
        if READ_BODY not in environ and type(stream) is BytesIO and not stream.tell():
            # a client's whole body, in memory (httpx's transport, EnvironBuilder): hand it
            # over as the native server does, so the app does not read it again
            environ[READ_BODY] = stream.getvalue()
        try:
            return app(environ, start_response)
        except DropConnection as drop:
            raise ConnectionResetError(f"connection dropped by {drop}") from None

    return wsgi


class BaseUrlSession(requests.Session):
    """A session that resolves relative URLs against ``base_url``."""

    def __init__(self, base_url: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/") + "/"
        if headers:
            self.headers.update(headers)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if isinstance(url, bytes):
            url = url.decode()
        if isinstance(method, bytes):
            method = method.decode()
        return super().request(method, urljoin(self.base_url, url.lstrip("/")) if "://" not in url else url,
                               *args, **kwargs)


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if hasattr(body, "read"):  # data=open(...)
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    # a generator of chunks (chunked upload)
    return b"".join(chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk) for chunk in body)


class WsgiAdapter(BaseAdapter):
    """Answer ``requests`` calls by running a WSGI app in the calling thread."""

    def __init__(self, app: Any) -> None:
        super().__init__()
        self.app = wsgi_for_inprocess(app)

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        environ = self._environ(request)
        try:
            app_iter, status, headers = run_wsgi_app(self.app, environ, buffered=True)
        except ConnectionResetError as error:
            raise requests.ConnectionError(str(error), request=request) from None
        try:
            data = b"".join(app_iter)
        finally:
            if hasattr(app_iter, "close"):
                app_iter.close()
        code = int(status.split(" ", 1)[0])
        raw = HTTPResponse(body=BytesIO(data), headers=HTTPHeaderDict(list(headers.items())), status=code,
                           reason=status.split(" ", 1)[1] if " " in status else "", preload_content=False,
                           decode_content=False)
        response = requests.Response()
        response.status_code = code
        response.headers = CaseInsensitiveDict(headers.items())
        response.raw = raw
        response.reason = raw.reason or ""
        response.url = request.url or ""
        response.request = request
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        response._content = data
        response._content_consumed = True
        return response

    @staticmethod
    def _environ(request: requests.PreparedRequest) -> dict[str, Any]:
        parts = urlsplit(request.url or "")
        headers = [(k, v.decode('latin-1') if isinstance(v, bytes) else v) for k, v in request.headers.items()]
        body = _body_bytes(request.body)
        environ = None
        if parts.scheme in ("http", "https") and not parts.fragment:
            # EnvironBuilder drops a Content-Length header (it counts the body itself)
            plain = [(k, v) for k, v in headers if k.lower() not in ("content-type", "content-length")]
            content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
            environ = simple_environ(request.method or "GET", parts.path or "/", parts.query, plain, body,
                                     host=parts.netloc, scheme=parts.scheme, content_type=content_type)
        if environ is not None:
            return environ
        builder = EnvironBuilder(path=parts.path or "/", base_url=f"{parts.scheme}://{parts.netloc}",
                                 query_string=parts.query, method=request.method or "GET", headers=headers,
                                 data=body)
        try:
            return builder.get_environ()
        finally:
            builder.close()

    def close(self) -> None:
        pass


class InProcessSession(BaseUrlSession):
    """A :class:`BaseUrlSession` whose every request is answered in-process."""

    def __init__(self, app: Any, base_url: str = INPROCESS_BASE_URL, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(base_url, headers)
        # nothing leaves the process: no proxies, .netrc or CA bundle to look up in the
        # environment, which requests otherwise does on every call (a quarter of its cost)
        self.trust_env = False
        adapter = WsgiAdapter(app)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    # requests merges every per-call setting with the session's through a runtime Protocol
    # check that Python 3.11 works out afresh each time: eight per call, a third of
    # requests' own cost. For the plain case (no cookies, auth or query parameters on either
    # side, no environment) the two methods below build the same thing directly
    # (tests/tooling/test_inprocess_environ.py compares them with requests' own).

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        if (request.cookies or len(self.cookies) or request.auth or self.auth or request.params or self.params
                or self.trust_env or not isinstance(request.headers, Mapping)
                or not isinstance(self.headers, Mapping)):
            return super().prepare_request(request)
        headers = CaseInsensitiveDict(list(self.headers.items()))
        headers.update(list(request.headers.items()))  # type: ignore[arg-type]
        for key in [key for key, value in headers.items() if value is None]:
            del headers[key]
        prepared = requests.PreparedRequest()
        prepared.prepare(method=str(request.method).upper(), url=request.url, files=request.files, data=request.data,
                         json=request.json, headers=headers, params=None, auth=None,
                         cookies=RequestsCookieJar(), hooks=merge_hooks(request.hooks, self.hooks))
        return prepared

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> dict[str, Any]:
        if self.trust_env or proxies or self.proxies:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        return {"proxies": OrderedDict() if proxies is not None and self.proxies is not None else proxies or self.proxies,
                "stream": self.stream if stream is None else stream,
                "verify": self.verify if verify is None else verify,
                "cert": self.cert if cert is None else cert}


def httpx_transport(app: Any) -> Any:
    """An ``httpx`` transport that runs ``app`` in-process (imported lazily: httpx is optional)."""
    import httpx

    class HttpxWsgiTransport(httpx.WSGITransport):
        """httpx's WSGI transport, with dropped connections raised as httpx would over a socket."""

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            try:
                return super().handle_request(request)
            except ConnectionResetError:
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.",
                                                request=request) from None

    return HttpxWsgiTransport(app=wsgi_for_inprocess(app))
