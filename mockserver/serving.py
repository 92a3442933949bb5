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

import logging
import threading
from collections import deque
from typing import Any, Callable
from urllib.parse import unquote_to_bytes

from flask import Flask, g, request

from .app import error_for_status, error_response
from .context import current
from .errors import DropConnection
from .matching import is_control_path
from .responses import new_request_id


#: ``MockServer(server=...)`` / ``--server``: the HTTP servers :func:`serve` can run
SERVERS = ("auto", "granian", "waitress")

#: waitress: the most worker threads at once. ``MockServer(threads=)`` of them wait for work
#: whatever the load; more start while every one is busy (a latency fault holds one while it
#: waits; on granian it holds none), up to as many as granian has (``native.NATIVE_PY_THREADS``),
#: and exit after WAITRESS_IDLE_SECONDS
WAITRESS_MAX_THREADS = 256
WAITRESS_IDLE_SECONDS = 5.0
#: waitress: threads beyond WAITRESS_MAX_THREADS that only control requests (``/__mock/``) may
#: start, one request each, so the control API answers even when every other thread is held
WAITRESS_CONTROL_THREADS = 4


class Serving:
    """A running waitress server; see :func:`serve`."""

    name = "waitress"

    def __init__(self, server: Any, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        self.port = int(server.effective_port)  # waitress reports it as a string
        #: hands requests to worker threads (:class:`ElasticDispatcher`)
        self.dispatcher = server.task_dispatcher

    def stop(self) -> None:
        """Close the listener and open connections; wait (boundedly) for the serving thread."""
        from waitress import wasyncore

        server = self._server
        # first let the requests in progress finish (boundedly: one held by a latency fault
        # may not), while the loop still runs to send their answers; new ones are cancelled
        server.task_dispatcher.shutdown(timeout=1)
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


def serve(app: Flask, *, host: str, port: int, threads: int, server: str = "auto") -> Any:
    """Listen on ``host:port`` and answer with ``app`` from a background thread.

    Returns a handle with ``name``, ``port`` (the one bound) and ``stop()``.
    """
    from .native import NativeServer, native_available

    if server not in SERVERS:
        raise ValueError(f"unknown server {server!r}; expected one of {', '.join(SERVERS)}")
    open_files = raise_open_files_limit()  # a connection is a descriptor: let idle ones take thousands, not ~1 000
    if server == "granian" and not native_available():
        raise RuntimeError("server='granian' needs granian's compiled module on CPython, not on Windows; "
                           "use server='waitress' (or 'auto', which falls back to it)")
    if server == "granian" or (server == "auto" and native_available()):
        native = NativeServer(app, host, port, threads=threads, on_crash=_crash_answer(app),
                              on_refused=_refused_answer(app), max_connections=connection_limit(open_files))
        native.start()
        return native
    return _serve_waitress(app, host=host, port=port, threads=threads, open_files=open_files)


def _serve_waitress(app: Flask, *, host: str, port: int, threads: int, open_files: int | None) -> Serving:
    from waitress.server import create_server

    dispatcher = ElasticDispatcher(max(threads, WAITRESS_MAX_THREADS), WAITRESS_CONTROL_THREADS,
                                   WAITRESS_IDLE_SECONDS, urgent=_is_control_request)
    dispatcher.set_thread_count(threads)
    try:
        server = create_server(_wsgi_for_waitress(app), host=host, port=port, threads=threads, ident="mockserver",
                               clear_untrusted_proxy_headers=True, expose_tracebacks=False, _dispatcher=dispatcher,
                               # idle connections: as many as the descriptors allow (poll() has no
                               # FD_SETSIZE ceiling, select() fails past descriptor 1 023), each
                               # closed after 60 s without a request
                               asyncore_use_poll=True, connection_limit=connection_limit(open_files),
                               channel_timeout=60,
                               # refused from Content-Length (and chunked bodies cut) before they are read
                               max_request_body_size=app.extensions["mockserver"].max_body_bytes)
    except BaseException:  # the port is taken, say: no worker threads left behind
        dispatcher.shutdown(timeout=1)
        raise
    server.channel_class = _channel_with_api_errors(app)
    thread = threading.Thread(target=server.run, name=f"mockserver:{server.effective_port}", daemon=True)
    thread.start()
    return Serving(server, thread)


def raise_open_files_limit() -> int | None:
    """Raise this process's soft limit on open files to its hard limit; the soft limit now.

    Each connection is a descriptor, and the usual soft limit (1 024) is far below the usual
    hard one: raising it (as Go's runtime does) lets a server hold thousands of idle
    connections. None where the limit cannot be read (Windows).
    """
    try:
        import resource
    except ImportError:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return None
    target = max(soft, 1 << 16) if hard == resource.RLIM_INFINITY else hard
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):  # macOS caps it below the hard limit (OPEN_MAX)
            pass
    return soft


def connection_limit(open_files: int | None) -> int:
    """Connections either server keeps open at once: nine tenths of the open-files limit
    (:func:`raise_open_files_limit`'s answer).

    The server stops accepting at that many open connections (the rest of the descriptors
    are left to the app and the process); without a readable limit, waitress's old 1 000.
    """
    return 1000 if open_files is None else max(100, open_files * 9 // 10)


class ElasticDispatcher:
    """waitress's task dispatcher, with worker threads that grow while all are busy.

    waitress parses requests on its I/O thread and hands each complete one (a "task") to a
    worker thread. Its own dispatcher has a fixed pool: 8 requests held by a latency fault
    stalled every other client and the control API. This one keeps ``set_thread_count()``
    core threads, starts another whenever a task arrives and no thread is idle (up to
    ``limit`` in all), and lets those extra threads exit after ``idle_seconds`` without work.
    An urgent task (``urgent(task)`` is true: a control request) that finds every thread busy
    and the limit reached gets a thread of its own for that one request, up to ``reserve`` at once.
    """

    logger = logging.getLogger("waitress")

    def __init__(self, limit: int, reserve: int, idle_seconds: float,
                 urgent: Callable[[Any], bool] = lambda task: False) -> None:
        self.limit = limit
        self.reserve = reserve
        self.idle_seconds = idle_seconds
        self._urgent = urgent
        self.lock = threading.Lock()
        self._work = threading.Condition(self.lock)
        self._exited = threading.Condition(self.lock)
        self.queue: deque[Any] = deque()
        self.threads: set[threading.Thread] = set()  # the pool: core and extra threads
        self.reserved = 0  # one-request threads running for urgent tasks
        self.idle = 0  # pool threads waiting for a task
        self.started = 0  # threads ever started (the pool's and the reserved ones)
        self.stopping = False

    def set_thread_count(self, count: int) -> None:
        """The core pool (waitress's interface): ``count`` threads that never exit for idleness."""
        with self.lock:
            for _ in range(min(count, self.limit) - len(self.threads)):
                self._start(core=True)

    def add_task(self, task: Any) -> None:
        """Queue a task; start a thread when none is idle to take it (waitress's interface)."""
        with self.lock:
            if self.stopping:
                task.cancel()
                return
            if len(self.queue) >= self.idle and len(self.threads) >= self.limit:
                if self.reserved < self.reserve and self._urgent(task) and self._start_reserved(task):
                    return
            self.queue.append(task)
            if len(self.queue) > self.idle and len(self.threads) < self.limit:
                self._start(core=False)
            self._work.notify()

    def shutdown(self, cancel_pending: bool = True, timeout: float = 5) -> bool:
        """Stop every thread once its task is done, waiting up to ``timeout`` s; cancel queued tasks."""
        with self.lock:
            self.stopping = True
            self._work.notify_all()
            self._exited.wait_for(lambda: not self.threads and not self.reserved, timeout)
            if self.threads or self.reserved:
                self.logger.warning("%d thread(s) still running", len(self.threads) + self.reserved)
            if cancel_pending:
                while self.queue:
                    self.queue.popleft().cancel()
            return not self.threads

    def _start(self, *, core: bool) -> None:
        thread = threading.Thread(target=self._serve, args=(core,), daemon=True,
                                  name=f"mockserver-waitress-{self.started}")
        try:
            thread.start()
        except RuntimeError:  # no more threads in this process: queued tasks wait for a busy one
            self.logger.warning("cannot start another worker thread (%d running)", len(self.threads))
            return
        self.threads.add(thread)
        self.started += 1

    def _start_reserved(self, task: Any) -> bool:
        thread = threading.Thread(target=self._serve_one, args=(task,), daemon=True,
                                  name=f"mockserver-waitress-control-{self.started}")
        try:
            thread.start()
        except RuntimeError:
            return False
        self.reserved += 1
        self.started += 1
        return True

    def _serve(self, core: bool) -> None:
        me = threading.current_thread()
        with self.lock:
            while not self.stopping:
                if not self.queue:
                    self.idle += 1
                    try:
                        woken = self._work.wait(None if core else self.idle_seconds)
                    finally:
                        self.idle -= 1
                    if not woken and not self.queue:
                        break  # an extra thread idle for idle_seconds
                    continue
                task = self.queue.popleft()
                self.lock.release()
                try:
                    self._run(task)
                finally:
                    self.lock.acquire()
            self.threads.discard(me)
            self._exited.notify_all()

    def _serve_one(self, task: Any) -> None:
        try:
            self._run(task)
        finally:
            with self.lock:
                self.reserved -= 1
                self._exited.notify_all()

    def _run(self, task: Any) -> None:
        try:
            task.service()
        except BaseException:
            self.logger.exception("Exception when servicing %r", task)


def _is_control_request(channel: Any) -> bool:
    """Is the request a waitress channel is about to serve a control request (``/__mock/...``)?"""
    try:
        return is_control_path(channel.requests[0].path)
    except (AttributeError, IndexError, TypeError):
        return False


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


def _refused_answer(app: Flask) -> Callable[[str, int, str], tuple[int, list[tuple[str, str]], bytes]]:
    """:func:`render_refused_request` with the status as a number, as the native server takes it."""

    def answer(path: str, status: int, message: str) -> tuple[int, list[tuple[str, str]], bytes]:
        line, headers, body = render_refused_request(app, path, status, message)
        return int(line.split(" ", 1)[0]), headers, body

    return answer


def _crash_answer(app: Flask) -> Any:
    """An API-shaped 500 for an error that escaped Flask's own handlers (never a blank page)."""
    import logging

    refused = _refused_answer(app)

    def answer(environ: dict[str, Any], error: BaseException) -> tuple[int, list[tuple[str, str]], bytes]:
        logging.getLogger("mockserver").error("unexpected error while answering %s %s", environ.get("REQUEST_METHOD"),
                                              environ.get("PATH_INFO"), exc_info=error)
        return refused(environ.get("PATH_INFO", "/"), 500, f"Internal error in the mock server: {type(error).__name__}.")

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
