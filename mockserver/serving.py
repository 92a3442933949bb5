"""Serving the app over a socket: the one place that knows the HTTP servers.

granian (Rust, :mod:`mockserver.native`) by default; waitress (pure Python) where granian
cannot be imported, or when asked for (``server="waitress"``). Why granian, with figures:
docs/performance.md, "The HTTP server".

:class:`MockServer` needs three things from it, and nothing else:

* :func:`serve` binds ``host:port`` (0 picks a free port) and answers from background
  threads, returning a :class:`Serving` handle;
* :attr:`Serving.port`, the port actually bound;
* :meth:`Serving.stop`, which closes the listener and open connections and returns once
  the serving thread has ended (or gave up waiting).

It also keeps the error shapes beyond the app's reach: a request the server refuses before
the app sees it (bad request line, control character in a header, headers over the limit)
is answered in the shape of the API owning its path (:func:`render_refused_request`), and
a fault that drops the connection (:class:`~mockserver.errors.DropConnection`) closes it
without an answer.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask, g, request

from .app import error_for_status, error_response
from .context import current
from .errors import DropConnection
from .responses import new_request_id


#: ``MockServer(server=...)`` / ``--server``: the HTTP servers :func:`serve` can run
SERVERS = ("auto", "granian", "waitress")


class Serving:
    """A running waitress server; see :func:`serve`."""

    name = "waitress"

    def __init__(self, server: Any, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        self.port = int(server.effective_port)  # waitress reports it as a string

    def stop(self) -> None:
        """Close the listener and open connections; wait (boundedly) for the serving thread."""
        from waitress import wasyncore

        server = self._server
        # close_all runs on the server's own loop thread, woken by the trigger, so
        # stopping takes milliseconds rather than the loop's poll timeout.
        try:
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        except OSError:
            pass  # the wake-up pipe is already closed: the loop is ending or gone
        self._thread.join(timeout=5)
        if self._thread.is_alive():  # never woke up: close from here instead
            wasyncore.close_all(server._map, ignore_all=True)
            self._thread.join(timeout=5)
        server.task_dispatcher.shutdown(timeout=1)


def serve(app: Flask, *, host: str, port: int, threads: int, server: str = "auto") -> Any:
    """Listen on ``host:port`` and answer with ``app`` from a background thread.

    Returns a handle with ``name``, ``port`` (the one bound) and ``stop()``.
    """
    from .native import NativeServer, native_available

    if server not in SERVERS:
        raise ValueError(f"unknown server {server!r}; expected one of {', '.join(SERVERS)}")
    if server == "granian" or (server == "auto" and native_available()):
        native = NativeServer(app, host, port, threads=threads, on_crash=_crash_answer(app))
        native.start()
        return native
    return _serve_waitress(app, host=host, port=port, threads=threads)


def _serve_waitress(app: Flask, *, host: str, port: int, threads: int) -> Serving:
    from waitress.server import create_server

    server = create_server(_wsgi_for_waitress(app), host=host, port=port, threads=threads, ident="mockserver",
                           clear_untrusted_proxy_headers=True, channel_timeout=60, connection_limit=1000,
                           expose_tracebacks=False,
                           # refused from Content-Length (and chunked bodies cut) before they are read
                           max_request_body_size=app.extensions["mockserver"].max_body_bytes)
    server.channel_class = _channel_with_api_errors(app)
    thread = threading.Thread(target=server.run, name=f"mockserver:{server.effective_port}", daemon=True)
    thread.start()
    return Serving(server, thread)


def render_refused_request(app: Flask, path: str, status: int,
                           message: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """``(status line, headers, body)`` for a request the HTTP server refused before the app saw it.

    waitress answers requests it cannot parse (a bad request line, a control character in
    a header, a header block over its limit) by itself, in plain text. This renders the
    failure as the API owning ``path`` renders its own errors, so those answers keep the
    error shape too (docs/guarantees.md).
    """
    try:
        context = app.test_request_context("/", environ_overrides={"PATH_INFO": path or "/"})
    except Exception:  # a path werkzeug cannot take: answer as for an unknown path
        context = app.test_request_context("/")
    with context:
        g.request_id = new_request_id()
        api = g.api = current().api_for(request.path)
        response = error_response(error_for_status(status, message))
        if api is not None and api.request_id_header:
            response.headers["X-Request-Id"] = g.request_id
        return response.status, list(response.headers.items()), response.get_data()


def _channel_with_api_errors(app: Flask) -> Any:
    """waitress's connection class, with waitress's own error answers in the owning API's shape.

    waitress refuses unparsable requests (and answers app crashes outside Flask) with a
    plain-text page of its own; these go through :func:`render_refused_request`.
    """
    from waitress.channel import HTTPChannel
    from waitress.task import ErrorTask

    class ApiShapedErrorTask(ErrorTask):
        def execute(self) -> None:
            error = self.request.error
            message = f"{error.reason}: {error.body}"
            if error.code == 413:  # waitress's max_request_body_size is the mock's own cap: say it alike
                limit = app.extensions["mockserver"].max_body_bytes
                message = f"The request body is larger than the limit of {limit} bytes."
            status, headers, body = render_refused_request(app, _refused_path(self.request), error.code, message)
            self.status = status
            self.response_headers.extend(headers)
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    class Channel(HTTPChannel):
        error_task_class = ApiShapedErrorTask

    return Channel


def _refused_path(parsed: Any) -> str:
    """The path of a request waitress refused: parsed, or read from its request line when the
    headers failed first; decoded like PATH_INFO (latin-1), so that the same API owns it."""
    if getattr(parsed, "path", ""):
        return parsed.path
    parts = (getattr(parsed, "first_line", b"") or b"").split(b" ")
    if len(parts) == 3:
        return unquote_to_bytes(parts[1].split(b"?", 1)[0].decode("latin-1")).decode("latin-1")
    return "/"


def _crash_answer(app: Flask) -> Any:
    """An API-shaped 500 for an error that escaped Flask's own handlers (never a blank page)."""
    import logging

    def answer(environ: dict[str, Any], error: BaseException) -> tuple[int, list[tuple[str, str]], bytes]:
        logging.getLogger("mockserver").error("unexpected error while answering %s %s", environ.get("REQUEST_METHOD"),
                                              environ.get("PATH_INFO"), exc_info=error)
        status, headers, body = render_refused_request(app, environ.get("PATH_INFO", "/"), 500,
                                                       f"Internal error in the mock server: {type(error).__name__}.")
        return int(status.split(" ", 1)[0]), headers, body

    return answer


def _wsgi_for_waitress(app: Any) -> Any:
    """Translate :class:`DropConnection` into waitress's way of closing a connection."""
    from waitress.channel import ClientDisconnected

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        try:
            return app(environ, start_response)
        except DropConnection:
            raise ClientDisconnected() from None

    return wsgi
