"""Flask's test client, with the environ of plain requests built without EnvironBuilder.

:func:`simple_environ` is shared with the ``requests`` adapter of :mod:`mockserver.inprocess`.
This module imports no HTTP client library: the app uses it, and ``import requests`` costs
a fifth of the mock's start-up.
"""

from __future__ import annotations

import re
import sys
from io import BytesIO
from typing import Any, Iterable, Mapping
from urllib.parse import unquote, urlsplit

from flask.testing import FlaskClient
from werkzeug.datastructures import Headers
from werkzeug.test import run_wsgi_app
from werkzeug.wrappers import Request
from werkzeug.wsgi import get_current_url

from .native import READ_BODY

#: the base URL of in-process clients (nothing listens there; requests never leave the process)
INPROCESS_BASE_URL = "http://mockserver.local"

# -- WSGI environs without Werkzeug's EnvironBuilder -------------------------------------
# EnvironBuilder parses and re-quotes the URL, copies the headers through two Headers objects,
# and the test client works the URL out twice more for cookies: about 60 % of a Flask test
# client call on a minimal app. For the plain requests tests make (a path, a string query,
# a dict of headers, a body) the environ below is the same dict, key for key and in the same
# order (tests/tooling/test_inprocess_environ.py compares them); anything else still goes
# through EnvironBuilder.

#: paths EnvironBuilder passes through unchanged (no re-quoting, no query, no fragment)
_PLAIN_PATH = re.compile(r"/(?!/)[A-Za-z0-9\-._~%!$&'()*+,/:;=@]*\Z")


def _dance(text: str) -> str:
    """WSGI's form of a str: its UTF-8 bytes read as latin-1 (Werkzeug's encoding dance)."""
    return text if text.isascii() else text.encode().decode("latin1")


def simple_environ(method: str, path: str, query: str, headers: Iterable[tuple[str, str]], body: bytes, *,
                   host: str = "localhost", scheme: str = "http", content_type: str | None = None,
                   base: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """The environ EnvironBuilder builds for this request (plus the body as
    :data:`~mockserver.native.READ_BODY`), or None where this shortcut does not apply.

    ``path`` is the path as sent (percent-encoded). ``headers`` must not hold Content-Type,
    Content-Length or Cookie (the first is an argument, the length is the body's). None for an unusual
    path, a header named twice (EnvironBuilder joins them), a line break in a value
    (EnvironBuilder refuses it) or an odd port.
    """
    if not _PLAIN_PATH.match(path):
        return None
    name, sep, port = host.partition(":")
    if sep and not (port.isascii() and port.isdigit()):
        return None
    environ: dict[str, Any] = dict(base) if base else {}
    environ.update({
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": _dance(unquote(path)) if "%" in path else path,
        "QUERY_STRING": _dance(query),
        "REQUEST_URI": path,
        "RAW_URI": path,
        "SERVER_NAME": name,
        "SERVER_PORT": str(int(port)) if sep else ("443" if scheme == "https" else "80"),
        "HTTP_HOST": host,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        READ_BODY: body,  # the one key EnvironBuilder does not set: the app need not read the stream
    })
    if content_type is not None:
        if "\n" in content_type or "\r" in content_type:
            return None
        environ["CONTENT_TYPE"] = content_type
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
    seen = set()
    for header, value in headers:
        if "\n" in value or "\r" in value:
            return None
        key = "HTTP_" + header.upper().replace("-", "_")
        if key in seen:
            return None
        seen.add(key)
        environ[key] = value
    return environ


#: headers EnvironBuilder treats apart (CONTENT_* keys, the client's cookie jar)
_SPECIAL_HEADERS = frozenset({"content-type", "content-length", "cookie"})

#: FlaskClient.open's keyword arguments the shortcut handles (``path`` comes positionally)
_SIMPLE_ARGUMENTS = frozenset({"method", "json", "data", "headers", "query_string", "content_type"})


class InProcessFlaskClient(FlaskClient):
    """Flask's test client, building the environ of plain requests without EnvironBuilder.

    Same answers, same environ (compared key by key in the tests); cookies, redirects,
    forms, files and every other argument still take Flask's own path.
    """

    def _request_from_builder_args(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        request = self._simple_request(args, kwargs)
        if request is None:
            return super()._request_from_builder_args(args, kwargs)
        return request

    def _simple_request(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        if len(args) > 1 or not kwargs.keys() <= _SIMPLE_ARGUMENTS:
            return None
        path = args[0] if args else "/"
        query = kwargs.get("query_string")
        headers = kwargs.get("headers")
        data = kwargs.get("data")
        content_type = kwargs.get("content_type")
        method = kwargs.get("method", "GET")
        if type(path) is not str or type(method) is not str or (query is not None and type(query) is not str):
            return None
        if headers is None:
            pairs: Any = ()
        elif type(headers) is dict and all(type(k) is str and type(v) is str and k.lower() not in _SPECIAL_HEADERS
                                           for k, v in headers.items()):
            pairs = headers.items()
        else:
            return None
        if "json" in kwargs:
            if data is not None or kwargs["json"] is None:
                return None
            data = self.application.json.dumps(kwargs["json"])
            if content_type is None:
                content_type = "application/json"
        if type(data) is str:
            data = data.encode()
        elif data is None:
            data = b""
        elif type(data) is not bytes:
            return None
        if content_type is not None and type(content_type) is not str:
            return None
        environ = simple_environ(method, path, query or "", pairs, data, content_type=content_type,
                                 base=self._copy_environ({}))
        return None if environ is None else Request(environ)

    def run_wsgi_app(self, environ: dict[str, Any], buffered: bool = False) -> tuple[Any, str, Headers]:
        # Werkzeug's version works the URL out twice per call for the cookie jar; with an
        # empty jar the only effect left is dropping a Cookie header (as Werkzeug does)
        if getattr(self, "_cookies", None) != {}:
            return super().run_wsgi_app(environ, buffered=buffered)
        environ.pop("HTTP_COOKIE", None)
        answer = run_wsgi_app(self.application, environ, buffered=buffered)
        if "Set-Cookie" in answer[2]:
            url = urlsplit(get_current_url(environ))
            self._update_cookies_from_response(url.hostname or "localhost", url.path, answer[2].getlist("Set-Cookie"))
        return answer

