"""Serving a WSGI app on the stacks we compare, each yielding its base URL.

* Werkzeug's threaded development server, in a background thread: the stack of moto's
  ``ThreadedMotoServer`` and of pytest-httpserver. It answers every request with
  ``Connection: close``, so a client pays a new TCP connection and a new thread per call.
* waitress, in a background thread (what :class:`mockserver.MockServer` uses): keep-alive
  and a fixed thread pool, pure Python, no extra process.
* gunicorn with one ``gthread`` worker, as a subprocess: keep-alive too, but a separate
  process (Unix only) that a test suite would have to spawn, wait for and kill.
* a sketch of the least a keep-alive server can do (``http.server``, one thread per
  connection, no hand-over between threads): only to show what waitress's design costs.
  It is not shipped: no chunked request bodies, no ``Expect: 100-continue``, no timeouts,
  no connection limit, no answer of its own to a malformed request.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import requests

from .common import REPO_ROOT, child_env, stop_process


@contextlib.contextmanager
def werkzeug_threaded(app: Any) -> Iterator[str]:
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def waitress_thread(app: Any, threads: int = 8) -> Iterator[str]:
    """waitress as MockServer runs it (same options), for apps other than the mock."""
    from waitress import wasyncore
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=threads, ident="bench",
                           clear_untrusted_proxy_headers=True, channel_timeout=60, connection_limit=1000)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(timeout=5)
        server.task_dispatcher.shutdown(timeout=1)


@contextlib.contextmanager
def granian_thread(app: Any, threads: int = 8) -> Iterator[str]:
    """The native server MockServer runs (granian in a background thread), for other apps."""
    from mockserver.native import NativeServer

    server = NativeServer(app, "127.0.0.1", 0, threads=threads, on_crash=None)
    server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


@contextlib.contextmanager
def pytest_httpserver_thread(path: str, body: Any) -> Iterator[str]:
    """pytest-httpserver as its fixture runs it (Werkzeug, a background thread), answering ``body``."""
    from pytest_httpserver import HTTPServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request(path, method="POST").respond_with_json(body)
    server.start()
    try:
        yield server.url_for("").rstrip("/")
    finally:
        server.clear()
        if server.is_running():
            server.stop()


@contextlib.contextmanager
def gunicorn_gthread(app_path: str, threads: int = 4) -> Iterator[str]:
    """``gunicorn -w 1 -k gthread --threads N`` as a subprocess; ``app_path`` like ``pkg.mod:factory()``."""
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0", "--workers", "1", "--worker-class", "gthread",
         "--threads", str(threads), "--log-level", "info", "--error-logfile", "-",
         app_path],
        cwd=REPO_ROOT, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        url = None
        deadline = time.monotonic() + 30
        assert process.stderr is not None
        while url is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            found = re.search(r"Listening at: (http://\S+)", line)
            if found:
                url = found.group(1)
        if url is None:
            raise RuntimeError("gunicorn did not start")
        threading.Thread(target=_drain, args=(process.stderr,), daemon=True).start()
        _wait_until_up(url)
        yield url
    finally:
        stop_process(process)


def _drain(stream: Any) -> None:
    for _ in stream:
        pass


def _wait_until_up(url: str, timeout: float = 30) -> None:
    """Until the worker (not just the arbiter) answers; any HTTP answer will do."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


class _KeepAliveHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive: read a request with a Content-Length body, run the app, answer, repeat."""

    protocol_version = "HTTP/1.1"
    app: Any = None

    def log_message(self, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle_one_request(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline:
            self.close_connection = True
            return
        if not self.parse_request():
            return
        length = int(self.headers.get("Content-Length") or 0)
        path, _, query = self.path.partition("?")
        environ = {"REQUEST_METHOD": self.command, "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": query,
                   "SERVER_NAME": "127.0.0.1", "SERVER_PORT": str(self.server.server_address[1]),
                   "SERVER_PROTOCOL": self.request_version, "REMOTE_ADDR": self.client_address[0],
                   "CONTENT_LENGTH": str(length), "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
                   "wsgi.input": io.BytesIO(self.rfile.read(length) if length else b""), "wsgi.errors": sys.stderr,
                   "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False}
        for name, value in self.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ[key] = value
            elif key != "CONTENT_LENGTH":
                environ[f"HTTP_{key}"] = value
        started: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            started["status"], started["headers"] = status, headers

        result = self.app(environ, start_response)
        try:
            data = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        head = [f"HTTP/1.1 {started['status']}\r\n"]
        head += [f"{name}: {value}\r\n" for name, value in started["headers"] if name.lower() != "content-length"]
        head.append(f"Content-Length: {len(data)}\r\n\r\n")
        self.wfile.write("".join(head).encode("latin-1") + data)
        self.wfile.flush()


@contextlib.contextmanager
def keepalive_sketch(app: Any) -> Iterator[str]:
    """The least a keep-alive server can do, for comparison only (see the module docstring)."""
    handler = type("Handler", (_KeepAliveHandler,), {"app": staticmethod(app)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

