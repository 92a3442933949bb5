"""granian's Rust HTTP front-end, run in a background thread of this process (one store, no IPC)."""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time
from collections import deque
from io import BytesIO
from typing import Any, Callable

from .errors import DropConnection

#: Python threads granian may run the app on at once; a latency fault holds one while it
#: sleeps, so there are many (idle ones exit after a few seconds)
NATIVE_PY_THREADS = 256
#: requests in progress at once (granian's backpressure); more wait in the accept queue
NATIVE_BACKPRESSURE = 1024
#: a client has this long to send a whole request head (header bytes dripped slowly included)
HEADER_READ_TIMEOUT_MS = 10_000
#: how long stop() waits for requests the app is running to answer (as waitress's stop does)
STOP_GRACE_S = 1.0


def native_available() -> bool:
    """True when granian's compiled module imports (CPython wheels; not on PyPy or exotic platforms)."""
    try:
        import granian._granian  # noqa: F401
    except ImportError:
        return False
    return True


def _compiled() -> Any:
    """granian's compiled module, typed loosely: the stubs it ships lag behind its signatures
    (``WSGIWorker`` takes an IPC slot and metrics the stubs do not list)."""
    import granian._granian as compiled

    return compiled


class _Dropped:
    """A response body that fails before its first byte: granian then closes the connection
    without sending a status line, which clients see as a dropped connection."""

    def __iter__(self) -> _Dropped:
        return self

    def __next__(self) -> bytes:
        raise DropConnection("fault: connection dropped")

    def close(self) -> None:
        pass


class _StartResponse:
    __slots__ = ("status", "headers")

    def __init__(self) -> None:
        self.status = 200
        self.headers: list[tuple[str, str]] = []

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        self.status = int(status.split(" ", 1)[0])
        self.headers = headers


class _InFlight:
    """How many requests the app is running now, so stop() can let them answer first.

    A deque's append and pop are atomic under the GIL: counting takes no lock, which
    every request would otherwise contend for.
    """

    def __init__(self) -> None:
        self._active: deque[None] = deque()

    def __enter__(self) -> None:
        self._active.append(None)

    def __exit__(self, *exc: Any) -> None:
        self._active.pop()

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self._active and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self._active


#: environ key holding the request body our server already read into memory (bytes): the
#: app then takes it as is instead of reading ``wsgi.input`` through Werkzeug's stream guards
READ_BODY = "mockserver.body"


def _read_body(environ: dict[str, Any], limit: int | None) -> None:
    """Read the request body from granian's stream into memory, before the app runs.

    Reading waits for the client with the GIL released; done inside Flask, it was one more
    point where a request handed the GIL to another thread mid-way and queued to get it
    back. A request with neither ``Content-Length`` nor chunked encoding has no body
    (RFC 9112 6.3), so it gets an empty one without asking granian. A body over ``limit`` by
    its ``Content-Length`` is left unread (the app refuses it from the header); a streamed
    one is read up to one byte past the limit (the app tells it is over).
    """
    stream = environ.get("wsgi.input")
    if stream is None:
        return
    length = environ.get("CONTENT_LENGTH", "")
    if length:
        if not (length.isascii() and length.isdigit()):
            return
        size = int(length)
        if limit is not None and size > limit:
            return
    elif "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        size = (limit + 1) if limit is not None else -1
    else:
        size = 0
    chunks, got = [], 0
    while size < 0 or got < size:
        chunk = stream.read(65536 if size < 0 else min(65536, size - got))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    data = b"".join(chunks)
    environ["wsgi.input"] = BytesIO(data)
    environ[READ_BODY] = data


def _wsgi_runner(app: Any, on_crash: Callable[[dict[str, Any], BaseException], tuple[int, list, bytes]],
                 in_flight: _InFlight) -> Any:
    """granian's WSGI callback: build the environ, run the app, hand the whole answer over.

    granian's own wrapper copies ``os.environ`` into every environ (an ``HTTP_PROXY``
    variable would look like a request header); this one starts from the WSGI keys only.
    """
    base = {"SCRIPT_NAME": "", "SERVER_SOFTWARE": "mockserver", "wsgi.errors": sys.stderr,
            "wsgi.input_terminated": True, "wsgi.multiprocess": False, "wsgi.multithread": True,
            "wsgi.run_once": False, "wsgi.version": (1, 0)}

    config = getattr(app, "config", None)
    limit = config.get("MAX_CONTENT_LENGTH") if config is not None else None

    def runner(proto: Any, scope: dict[str, Any]) -> int:
        with in_flight:
            return run(proto, scope)

    def run(proto: Any, scope: dict[str, Any]) -> int:
        environ = base | scope
        start_response = _StartResponse()
        try:
            _read_body(environ, limit)
            result = app(environ, start_response)
            try:
                data = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except DropConnection:
            # a length the body never reaches: whether or not the status line went out
            # first, no client can take what it gets for a complete answer
            proto.response_iter(200, [("content-length", "1")], _Dropped())
            return 0
        except Exception as error:  # noqa: BLE001 - the app's own handlers missed it: still answer in shape
            status, headers, data = on_crash(environ, error)
            proto.response_bytes(status, headers, data)
            return status
        proto.response_bytes(start_response.status, start_response.headers, data)
        return start_response.status

    return runner


class _QuietDrops(logging.Filter):
    """granian logs every failed response body as an application crash, traceback included;
    a drop fault is not one."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "DropConnection" not in record.getMessage()


_QUIET_DROPS = _QuietDrops()


class NativeServer:
    """granian's Rust HTTP/1.1 server in a background thread, calling the WSGI app on a pool
    of Python threads. Parsing, keep-alive, timeouts and slow clients stay in Rust (no GIL),
    so a client that drips bytes or never reads costs a task, not a Python thread."""

    name = "granian"

    def __init__(self, app: Any, host: str, port: int, *, threads: int, on_crash: Any) -> None:
        self.app = app
        self.host = host
        self.threads = max(threads, NATIVE_PY_THREADS)
        self._on_crash = on_crash
        # Bound here, in Python: a busy port fails start() with the usual OSError, and no
        # SO_REUSEPORT (granian's own listener sets it, which would let a second server share
        # the port and take half of its connections). Connections made before the worker
        # runs wait in the backlog.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            if os.name != "nt":  # as every Unix server does: restart at once on the same port
                self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._socket.bind((host, port))
            self._socket.listen(1024)
        except OSError:
            self._socket.close()
            raise
        self.port = int(self._socket.getsockname()[1])
        self._holder: Any = _compiled().SocketHolder(os.dup(self._socket.fileno()), False, 1024)
        self._signal: Any = None
        self._thread: threading.Thread | None = None
        self._in_flight = _InFlight()

    def start(self) -> None:
        logging.getLogger("_granian.utils").addFilter(_QUIET_DROPS)  # the same filter object: added once
        self._signal = _compiled().WorkerSignal()
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, args=(ready, failure), name=f"mockserver:{self.port}",
                                        daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        import asyncio

        from granian._futures import _new_cbscheduler
        from granian.http import HTTP1Settings

        loop = asyncio.new_event_loop()
        stopped = threading.Event()
        try:
            self._signal.add_cb(stopped.set)
            worker = _compiled().WSGIWorker(
                1, (None, self._holder), None,
                1,  # Rust runtime threads: parsing and I/O (the app runs on the Python threads below)
                512,  # Rust blocking threads
                self.threads, 5,  # Python threads for the app, and their idle timeout (s)
                NATIVE_BACKPRESSURE, "1",
                HTTP1Settings(header_read_timeout=HEADER_READ_TIMEOUT_MS, keep_alive=True),
                None, None,  # HTTP/2 settings, static files
                False, None, None, None, "tls1.3", None, [], False,  # no TLS
                (None, None),  # no metrics
            )
            scheduler = _new_cbscheduler(loop, _wsgi_runner(self.app, self._on_crash, self._in_flight),
                                          impl_asyncio=False)
            worker.serve_mtr(scheduler, loop, self._signal)
        except BaseException as error:  # noqa: BLE001 - reported to start()
            failure.append(error)
            ready.set()
            return
        ready.set()
        stopped.wait()
        loop.close()

    def stop(self, grace: float = STOP_GRACE_S) -> None:
        # requests the app is running (say, just released from a latency fault) answer
        # before the Rust runtime goes: an answer handed to a runtime shutting down is lost
        self._in_flight.wait_idle(grace)
        if self._signal is not None:
            self._signal.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._holder = None
        self._socket.close()
