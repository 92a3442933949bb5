"""In-process transports: ``requests`` calls answered by the WSGI app, with no socket.

``BaseUrlSession`` lets tests write ``session.post("/v1/api/workspaces/list", json={})``.
``WsgiAdapter`` is a requests transport adapter that builds a WSGI environ from the
prepared request and runs the app directly, for the fastest possible tests.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.response import HTTPResponse
from werkzeug.test import EnvironBuilder, run_wsgi_app


class BaseUrlSession(requests.Session):
    """A session that resolves relative URLs against ``base_url``."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/") + "/"

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if isinstance(url, bytes):
            url = url.decode()
        return super().request(method, urljoin(self.base_url, url.lstrip("/")) if "://" not in url else url,
                               *args, **kwargs)


class WsgiAdapter(BaseAdapter):
    """Answer requests by calling a WSGI app in this thread."""

    def __init__(self, app: Any) -> None:
        super().__init__()
        from .server import _wsgi_for_inprocess

        self.app = _wsgi_for_inprocess(app)

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        parts = urlsplit(request.url or "")
        body = request.body
        if isinstance(body, str):
            body = body.encode("utf-8")
        builder = EnvironBuilder(path=parts.path or "/", base_url=f"{parts.scheme}://{parts.netloc}",
                                 query_string=parts.query, method=request.method or "GET",
                                 headers=dict(request.headers), data=body or b"")
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        try:
            app_iter, status, headers = run_wsgi_app(self.app, environ, buffered=True)
        except ConnectionResetError as error:
            raise requests.ConnectionError(str(error), request=request) from None
        data = b"".join(app_iter)
        if hasattr(app_iter, "close"):
            app_iter.close()
        code = int(status.split(" ", 1)[0])
        raw = HTTPResponse(body=BytesIO(data), headers=list(headers.items()), status=code,
                           reason=status.split(" ", 1)[1] if " " in status else "", preload_content=False,
                           decode_content=False)
        response = requests.Response()
        response.status_code = code
        response.headers = CaseInsensitiveDict(headers.items())
        response.raw = raw
        response.reason = raw.reason
        response.url = request.url or ""
        response.request = request
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        response._content = data
        response._content_consumed = True
        return response

    def close(self) -> None:
        pass


class InProcessSession(BaseUrlSession):
    """A BaseUrlSession whose every request is answered in-process."""

    def __init__(self, app: Any, base_url: str = "http://mockserver.local") -> None:
        super().__init__(base_url)
        adapter = WsgiAdapter(app)
        self.mount("http://", adapter)
        self.mount("https://", adapter)
