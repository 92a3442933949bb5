"""granian's Rust HTTP front-end, run in a background thread of this process (one store, no IPC).

granian parses requests and keeps connections in Rust (hyper on tokio), and hands each
request to one of its Python threads through its RSGI interface. Nothing here waits on a
client or a clock while holding such a thread:

* a request without a body runs the app on the thread that received it (one hand-off
  between threads per request, as granian's WSGI interface had);
* a body is read chunk by chunk, each chunk arriving as a callback on one of granian's
  threads; the app runs on the thread that receives the last one. A client that sends half
  a body and stops costs a few objects, not a thread (granian's WSGI interface read bodies
  on its Python threads: 300 such clients froze the server), and is answered 408 after
  BODY_IDLE_TIMEOUT_S;
* a request a latency fault delays waits in a timer (:class:`_Timers`), woken by its
  deadline or by a reset, and then runs on a small pool of its own.

So granian's threads only ever run the app: its pool grows with the requests running at
once (it can be slow to grow when all are busy, which used to leave a request queued
behind requests held for a minute; now behind the app's own work only).

No asyncio loop is involved: granian's futures deliver their results through "the event
loop" they are given, and :class:`_DirectLoop` runs them at once instead. docs/performance.md
("The HTTP server") gives the measurements behind the choice.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import socket
import sys
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from typing import Any, Callable

from .errors import DropConnection

#: Python threads granian may run the app on at once (idle ones exit after a few seconds)
NATIVE_PY_THREADS = 256
#: connections open at once (granian's backpressure), when :func:`serve` gives no limit;
#: more wait in the accept queue
NATIVE_BACKPRESSURE = 1024
#: a client has this long to send a whole request head (header bytes dripped slowly included)
HEADER_READ_TIMEOUT_MS = 10_000
#: a request body the client stops sending is answered 408 after this long without a byte
#: (waitress closes a connection idle this long)
BODY_IDLE_TIMEOUT_S = 60.0
#: request bodies in memory at once, in bytes (at least two bodies at the cap): past it, a
#: request with a body is answered 503 at once instead of growing memory
BODY_BUDGET_BYTES = 64 * 1024 * 1024
#: threads that run requests released from a latency fault (more wait for one)
HELD_THREADS = 32
#: how long stop() waits for requests the app is running to answer (as waitress's stop does)
STOP_GRACE_S = 1.0
#: how long stop() waits for granian's own threads to end (see _let_granian_threads_end)
THREADS_END_S = 0.5

#: environ key holding the request body our server already read into memory (bytes): the
#: app then takes it as is instead of reading ``wsgi.input`` through Werkzeug's stream guards
READ_BODY = "mockserver.body"
#: environ key: the fault rule the server took for this request before the app ran (None
#: when none fired) and whose latency it already held; the app neither takes nor holds again
TAKEN_FAULT = "mockserver.fault"
#: environ key: the store's reset epoch when the server began holding the request
HELD_AT_EPOCH = "mockserver.held_at_epoch"
#: environ key: ``time.perf_counter()`` when the server got the request (its journaled
#: duration then includes the body read and any latency hold)
STARTED = "mockserver.started"

#: a handler's answer: status, headers, body
Answer = tuple[int, list[tuple[str, str]], bytes]


def native_available() -> bool:
    """True when granian's compiled module imports (CPython wheels; not on PyPy or exotic
    platforms) on a platform this server runs on (not Windows: granian's futures need a real
    event loop there)."""
    if os.name == "nt":
        return False
    try:
        import granian._granian  # noqa: F401
    except ImportError:
        return False
    return True


def _compiled() -> Any:
    """granian's compiled module, typed loosely: the stubs it ships lag behind its signatures
    (the workers take an IPC slot and metrics the stubs do not list)."""
    import granian._granian as compiled

    return compiled


class _DirectLoop:
    """The "event loop" granian's futures report to: a callback runs at once, on the thread
    completing the future (one of granian's Python threads), instead of on a loop's thread."""

    def call_soon(self, callback: Callable[..., Any], *args: Any, context: Any = None) -> None:
        callback(*args)

    call_soon_threadsafe = call_soon


class _StartResponse:
    __slots__ = ("status", "headers")

    def __init__(self) -> None:
        self.status = 200
        self.headers: list[tuple[str, str]] = []

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        self.status = int(status.split(" ", 1)[0])
        self.headers = headers


class _InFlight:
    """How many requests the app is running or a fault holds, so stop() lets them answer first.

    A deque's append and pop are atomic under the GIL: counting takes no lock, which
    every request would otherwise contend for.
    """

    def __init__(self) -> None:
        self._active: deque[None] = deque()

    def enter(self) -> None:
        self._active.append(None)

    def leave(self) -> None:
        self._active.pop()

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self._active and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self._active


class _Timers:
    """One thread running callbacks at their deadlines (body timeouts, latency holds)."""

    def __init__(self, name: str) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._ids = itertools.count()
        self._cancelled: set[int] = set()
        self._condition = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def call_at(self, deadline: float, callback: Callable[[], None]) -> int:
        with self._condition:
            timer = next(self._ids)
            heapq.heappush(self._heap, (deadline, timer, callback))
            if self._heap[0][1] == timer:
                self._condition.notify()
        return timer

    def cancel(self, timer: int) -> None:
        with self._condition:
            self._cancelled.add(timer)

    def stop(self) -> None:
        with self._condition:
            self._stopped = True
            self._condition.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    self._condition.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
                if self._stopped:
                    return
                _, timer, callback = heapq.heappop(self._heap)
                if not self._heap:  # a timer cancelled after it fired would stay listed forever
                    cancelled = timer in self._cancelled
                    self._cancelled.clear()
                    if cancelled:
                        continue
                elif timer in self._cancelled:
                    self._cancelled.discard(timer)
                    continue
            try:
                callback()
            except Exception:  # noqa: BLE001 - one callback failing must not stop the others
                logging.getLogger("mockserver").exception("timer callback failed")


def body_size(environ: dict[str, Any], limit: int | None) -> int | None:
    """How many body bytes to read before the app runs: ``-1`` for all there are, None to
    read none and leave the body for the app to refuse.

    A request with neither ``Content-Length`` nor chunked encoding has no body (RFC 9112
    6.3): 0, without asking granian. A body over ``limit`` by its ``Content-Length`` is left
    unread (the app refuses it from the header); a streamed one is read up to one byte past
    the limit (the app tells it is over).
    """
    length = environ.get("CONTENT_LENGTH", "")
    if length:
        if not (length.isascii() and length.isdigit()):
            return None
        size = int(length)
        return None if limit is not None and size > limit else size
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return -1 if limit is None else limit + 1
    return 0


class _BodyBudget:
    """Bytes of request bodies in memory across requests."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def take(self, size: int) -> bool:
        with self._lock:
            if self.used + size > self.limit:
                return False
            self.used += size
            return True

    def give_back(self, size: int) -> None:
        if size:
            with self._lock:
                self.used -= size


class NativeServer:
    """granian's Rust HTTP/1.1 server in a background thread, calling the WSGI app on its
    Python threads through RSGI (see the module's docstring). Parsing, keep-alive, timeouts
    and slow clients stay in Rust: a client that drips bytes or never reads costs a task and
    a few objects, never a thread."""

    name = "granian"

    def __init__(self, app: Any, host: str, port: int, *, threads: int = 8,
                 on_crash: Callable[[dict[str, Any], BaseException], Answer] | None = None,
                 on_refused: Callable[[str, int, str], Answer] | None = None,
                 max_connections: int = NATIVE_BACKPRESSURE) -> None:
        self.app = app
        self.host = host
        self.threads = max(threads, NATIVE_PY_THREADS)
        self._on_crash = on_crash
        self._on_refused = on_refused
        self.max_connections = max_connections
        self.body_idle_timeout = BODY_IDLE_TIMEOUT_S
        config = getattr(app, "config", None)
        self._limit: int | None = config.get("MAX_CONTENT_LENGTH") if config is not None else None
        self._budget = _BodyBudget(max(BODY_BUDGET_BYTES, 2 * ((self._limit or 0) + 1)))
        # the mock's context where the app is the mock (benchmarks serve plain Flask apps too)
        self._context: Any = getattr(app, "extensions", {}).get("mockserver")
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
        self._timers: _Timers | None = None
        self._held_pool: ThreadPoolExecutor | None = None
        #: requests a latency fault holds: key -> (its timer, the request's continuation)
        self._held: dict[int, tuple[int, Callable[[], None]]] = {}
        self._hold_ids = itertools.count()
        self._held_lock = threading.Lock()
        self._stop_listening: Callable[[], None] | None = None
        self._own_threads = 0
        #: bodies being read, for the sweep that times out those that stopped arriving
        self._reading: dict[int, _BodyRead] = {}
        #: stop() has begun: nothing is held or read any more, so nothing outlives the server
        self._stopping = False

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        logging.getLogger("_granian.utils").addFilter(_QUIET_DROPS)  # the same filter object: added once
        self._signal = _compiled().WorkerSignal()
        self._timers = _Timers(f"mockserver:{self.port}:timers")
        self._timers.call_at(time.monotonic() + self._sweep_every(), self._sweep)
        self._held_pool = ThreadPoolExecutor(HELD_THREADS, thread_name_prefix=f"mockserver:{self.port}:held")
        if self._context is not None:
            self._stop_listening = self._context.faults.on_release(self._release_held)
        ready = threading.Event()
        failure: list[BaseException] = []
        before = _foreign_threads()
        self._thread = threading.Thread(target=self._run, args=(ready, failure), name=f"mockserver:{self.port}",
                                        daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            self._end_helpers()
            raise failure[0]
        after = _foreign_threads()
        #: granian's own threads this server started (see stop)
        self._own_threads = max(after - before, 0) if before is not None and after is not None else 0

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        from granian.http import HTTP1Settings

        stopped = threading.Event()
        try:
            self._signal.add_cb(stopped.set)
            loop = _DirectLoop()
            worker = _compiled().RSGIWorker(
                1, (None, self._holder), None,
                1,  # Rust runtime threads: parsing and I/O (the app runs on the Python threads below)
                512,  # Rust blocking threads
                self.threads, 5,  # Python threads for the app, and their idle timeout (s)
                self.max_connections, "1",
                HTTP1Settings(header_read_timeout=HEADER_READ_TIMEOUT_MS, keep_alive=True),
                None, False, None,  # HTTP/2 settings, websockets, static files
                False, None, None, None, "tls1.3", None, [], False,  # no TLS
                (None, None),  # no metrics
            )
            # granian's CallbackScheduler (its stubs lag behind its signature): it calls
            # _schedule_fn with each request; no task machinery is needed without a loop
            scheduler = _compiled().CallbackScheduler(loop, None, None, None, None)
            scheduler._schedule_fn = self._receive  # granian calls it with each request
            worker.serve_mtr(scheduler, loop, self._signal)
        except BaseException as error:  # noqa: BLE001 - reported to start()
            failure.append(error)
            ready.set()
            return
        ready.set()
        stopped.wait()

    def stop(self, grace: float = STOP_GRACE_S) -> None:
        # requests the app is running (say, just released from a latency fault) answer
        # before the Rust runtime goes: an answer handed to a runtime shutting down is lost.
        # Bodies still coming are answered 503 now: granian's shutdown would otherwise wait
        # for them, and carry them out after stop() returned
        self._stopping = True
        self._release_held()
        for read in list(self._reading.values()):
            read.refuse(503, "The mock server is stopping; the request was not carried out.")
        self._in_flight.wait_idle(grace)
        threads_before = _foreign_threads()
        if self._signal is not None:
            self._signal.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._holder = None
        self._socket.close()
        self._end_helpers()
        _let_granian_threads_end(threads_before, self._own_threads)

    def _sweep_every(self) -> float:
        return min(1.0, self.body_idle_timeout / 4)

    def _sweep(self) -> None:
        """On the timer thread, every second or so: answer 408 for the bodies that stopped
        arriving. One sweep rather than a timer per body: a body read in microseconds would
        otherwise leave a timer (and its request) behind for the whole timeout."""
        now = time.monotonic()
        for read in list(self._reading.values()):
            if now - read.last_byte >= self.body_idle_timeout:
                read.time_out()
        if self._timers is not None:
            self._timers.call_at(time.monotonic() + self._sweep_every(), self._sweep)

    def _end_helpers(self) -> None:
        if self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None
        if self._timers is not None:
            self._timers.stop()
        if self._held_pool is not None:
            self._held_pool.shutdown(wait=False)

    # -- one request -------------------------------------------------------------------
    def _receive(self, watcher: Any) -> None:
        """granian's scheduler hook, on one of its Python threads: a request has arrived."""
        proto = watcher.proto
        environ: dict[str, Any] = {}
        try:
            environ = self._environ(watcher.scope)
            size = body_size(environ, self._limit)
            if size:  # None (left for the app to refuse) and 0 (no body) read nothing
                if self._stopping:
                    self._refuse(proto, environ["PATH_INFO"], 503,
                                 "The mock server is stopping; the request was not carried out.")
                    return
                _BodyRead(self, environ, proto, size).pump()
                return
            environ["wsgi.input"] = BytesIO(b"")
            if size == 0:
                environ[READ_BODY] = b""
            self._serve(environ, proto, size is not None)
        except Exception as error:  # noqa: BLE001 - a bug here must still answer, in shape
            self._answer_crash(environ, proto, error)

    def _serve(self, environ: dict[str, Any], proto: Any, body_taken: bool, body_bytes: int = 0) -> bool:
        """The body is in (or left for the app): take the fault, hold it or run the app. True
        when the request is held: its ``body_bytes`` are given back to the budget once it ran."""
        context = self._context
        if body_taken and context is not None and context.faults.active():
            path = environ["PATH_INFO"]
            if not path.isascii():
                path = path.encode("latin-1").decode("utf-8", "replace")
            path = "/" + path.lstrip("/")  # Werkzeug's request.path, which the app's faults match
            api = context.api_for(path)
            rule = context.faults.take(environ["REQUEST_METHOD"], path, api.name if api else None)
            environ[TAKEN_FAULT] = rule
            if rule is not None and rule.latency_ms:
                environ[HELD_AT_EPOCH] = context.state.epoch  # the app must not wait either
                if not self._stopping:  # stopping: its wait is over before it began
                    self._hold(rule.latency_ms / 1000.0, environ, proto, body_bytes)
                    return True
        self._run_app(environ, proto)
        return False

    def _hold(self, seconds: float, environ: dict[str, Any], proto: Any, body_bytes: int) -> None:
        assert self._timers is not None and self._held_pool is not None
        pool = self._held_pool
        self._in_flight.enter()

        def go_on() -> None:
            try:
                pool.submit(self._run_held, environ, proto, body_bytes)
            except RuntimeError:  # the pool is shut down: the server stopped
                self._in_flight.leave()
                self._budget.give_back(body_bytes)

        key = next(self._hold_ids)
        with self._held_lock:  # registered before its timer can fire and look for it
            timer = self._timers.call_at(time.monotonic() + seconds, lambda: self._take_held(key))
            self._held[key] = (timer, go_on)

    def _take_held(self, key: int) -> None:
        with self._held_lock:
            held = self._held.pop(key, None)
        if held is not None:
            held[1]()

    def _release_held(self) -> None:
        """Every request a latency fault holds goes on now (a reset, cleared faults, a stop)."""
        with self._held_lock:
            held, self._held = self._held, {}
        for timer, go_on in held.values():
            if self._timers is not None:
                self._timers.cancel(timer)
            go_on()

    def _run_held(self, environ: dict[str, Any], proto: Any, body_bytes: int) -> None:
        try:
            self._run_app(environ, proto)
        finally:
            self._in_flight.leave()
            self._budget.give_back(body_bytes)

    def _run_app(self, environ: dict[str, Any], proto: Any) -> None:
        start_response = _StartResponse()
        self._in_flight.enter()
        try:
            result = self.app(environ, start_response)
            try:
                data = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except DropConnection:
            # a length the body never reaches: whether or not the status line went out
            # first, no client can take what it gets for a complete answer
            stream = proto.response_stream(200, [("content-length", "1")])
            stream.send_bytes(b"")  # sent at once; the awaitable it returns is not needed
            del stream  # ended now, short of its length: hyper closes the connection
            return
        except Exception as error:  # noqa: BLE001 - the app's own handlers missed it: still answer in shape
            self._answer_crash(environ, proto, error)
            return
        finally:
            self._in_flight.leave()
        proto.response_bytes(start_response.status, start_response.headers, data)

    def _answer_crash(self, environ: dict[str, Any], proto: Any, error: BaseException) -> None:
        """A 500 in the API's shape. Never raises: granian calls this code from Rust, which
        does not expect an exception back."""
        try:
            if self._on_crash is None:
                logging.getLogger("mockserver").error("unexpected error", exc_info=error)
                proto.response_bytes(500, [("content-type", "text/plain")], b"Internal error in the mock server.")
                return
            proto.response_bytes(*self._on_crash(environ, error))
        except Exception:  # noqa: BLE001 - the connection is gone, or the answer could not be built
            logging.getLogger("mockserver").exception("could not answer a failed request")

    def _refuse(self, proto: Any, path: str, status: int, message: str,
                       headers: list[tuple[str, str]] | None = None) -> None:
        """Answer a request refused before the app ran (408, 503), in its API's shape."""
        if self._on_refused is None:
            answer: Answer = (status, [("content-type", "text/plain")], message.encode())
        else:
            answer = self._on_refused(path, status, message)
        # the rest of the body is never read: hyper must not wait for it to reuse the connection
        proto.response_bytes(answer[0], [*answer[1], *(headers or []), ("connection", "close")], answer[2])

    def _environ(self, scope: Any) -> dict[str, Any]:
        """The WSGI environ for an RSGI scope, as granian's WSGI interface built it (PEP 3333
        strings: the percent-decoded path as latin-1), from the WSGI keys only: granian's own
        wrapper copied ``os.environ`` in, so an ``HTTP_PROXY`` variable looked like a header."""
        path = scope.path
        if not path.isascii():
            path = path.encode("utf-8").decode("latin-1")
        environ = {
            "REQUEST_METHOD": scope.method, "SCRIPT_NAME": "", "PATH_INFO": path,
            "QUERY_STRING": scope.query_string, "SERVER_NAME": self.host, "SERVER_PORT": str(self.port),
            "SERVER_PROTOCOL": "HTTP/1.1" if scope.http_version == "1.1" else "HTTP/1.0",
            "REMOTE_ADDR": scope.client.rpartition(":")[0].strip("[]"), "SERVER_SOFTWARE": "mockserver",
            "wsgi.errors": sys.stderr, "wsgi.input_terminated": True, "wsgi.multiprocess": False,
            "wsgi.multithread": True, "wsgi.run_once": False, "wsgi.url_scheme": "http", "wsgi.version": (1, 0),
            STARTED: time.perf_counter(),
        }
        for name, value in scope.headers.items():
            if name == "content-type":
                environ["CONTENT_TYPE"] = value
            elif name == "content-length":
                environ["CONTENT_LENGTH"] = value
            else:
                key = _header_key(name)
                if key in environ:  # a repeated header: one value, as a proxy would join them
                    environ[key] += ("; " if key == "HTTP_COOKIE" else ",") + value
                else:
                    environ[key] = value
        if "HTTP_HOST" not in environ and scope.authority:
            environ["HTTP_HOST"] = scope.authority
        return environ


class _BodyRead:
    """One request's body, read chunk by chunk without holding a thread.

    Each chunk is a granian future; a chunk not there yet calls back, on one of granian's
    threads, when it comes. The app runs on the thread that gets the last one. The server's
    sweep (:meth:`NativeServer._sweep`) answers 408 for a body with no new byte for its
    idle timeout.
    """

    def __init__(self, server: NativeServer, environ: dict[str, Any], proto: Any, size: int) -> None:
        self.server = server
        self.environ = environ
        self.proto = proto
        self.size = size
        self.chunks: list[bytes] = []
        self.got = 0
        self.last_byte = time.monotonic()
        self.finished = False
        # the sweep and a late chunk may race to finish; the budget moves under it too
        self._lock = threading.Lock()
        self._chunks = proto.__aiter__()
        server._reading[id(self)] = self

    def pump(self) -> None:
        """Take the chunks already there; wait (by callback) for the first one that is not."""
        while True:
            future = self._chunks.__anext__()
            if not future.done():
                future.add_done_callback(self._arrived)
                return
            if not self._take(future):
                return

    def _arrived(self, future: Any) -> None:
        try:
            if self._take(future):
                self.pump()
        except Exception as error:  # noqa: BLE001 - run by granian, which would drop it silently
            if self._finish():
                self.server._answer_crash(self.environ, self.proto, error)

    def _take(self, future: Any) -> bool:
        """Keep one chunk; False once the body is complete (and handed on) or abandoned."""
        try:
            chunk = future.result()
            failed = False
        except Exception:  # noqa: BLE001 - the client went away mid-body
            chunk, failed = b"", True
        if chunk:
            with self._lock:
                if self.finished:
                    return False
                over = not self.server._budget.take(len(chunk))
                if not over:
                    self.chunks.append(chunk)
                    self.got += len(chunk)
                    self.last_byte = time.monotonic()
            if over:
                if self._finish():
                    self.server._refuse(self.proto, self.environ["PATH_INFO"], 503,
                                        "Too many request bodies are in progress at once; try again.",
                                        [("retry-after", "1")])
                return False
            if self.size < 0 or self.got < self.size:
                return True
        if not chunk and "CONTENT_LENGTH" not in self.environ and (failed or not self._ended_cleanly()):
            # a chunked body cut short or malformed (granian hands over both as an empty
            # chunk): acting on the part that came would act on a request nobody sent. A
            # short Content-Length body goes on: the app answers 400 with the byte counts
            if self._finish():
                self.server._refuse(self.proto, self.environ["PATH_INFO"], 400,
                                    "The chunked request body was cut short or malformed; nothing was done.")
            return False
        if not self._finish(keep_budget=True):
            return False
        data = b"".join(self.chunks)
        self.chunks = []
        environ = self.environ
        environ["wsgi.input"] = BytesIO(data)
        environ[READ_BODY] = data
        held = False
        try:
            held = self.server._serve(environ, self.proto, True, self.got)
        except Exception as error:  # noqa: BLE001 - a bug here must still answer, in shape
            self.server._answer_crash(environ, self.proto, error)
        finally:
            if not held:  # a held request keeps its bytes counted until it has run
                self.server._budget.give_back(self.got)
        return False

    def _ended_cleanly(self) -> bool:
        """Did the body end with its last chunk, rather than an error? granian turns both into
        an empty chunk, but only a clean end leaves nothing more to iterate."""
        try:
            self._chunks.__anext__()
        except StopAsyncIteration:
            return True
        return False

    def _finish(self, keep_budget: bool = False) -> bool:
        """Mark the read done (giving its bytes back unless the app is to run on them); False
        when something else finished it first."""
        with self._lock:
            if self.finished:
                return False
            self.finished = True
            if not keep_budget:
                self.server._budget.give_back(self.got)
                self.chunks = []
        self.server._reading.pop(id(self), None)
        return True

    def time_out(self) -> None:
        """On the sweep's thread: no byte for the idle timeout. Answer 408 and let the body go."""
        self.refuse(408, f"The request body stopped arriving: no byte for {self.server.body_idle_timeout:g} s.")

    def refuse(self, status: int, message: str) -> None:
        """Answer ``status`` in the API's shape and let the body go, unless it is already done."""
        if self._finish():
            self.server._refuse(self.proto, self.environ["PATH_INFO"], status, message)


def _foreign_threads() -> int | None:
    """Threads of this process that are not Python's (granian's), where the OS tells (Linux)."""
    try:
        return len(os.listdir("/proc/self/task")) - threading.active_count()
    except OSError:
        return None


def _let_granian_threads_end(before: int | None, own: int) -> None:
    """Give granian's threads, woken by the stop, the moment they need to end.

    Each takes the GIL once more to end; one still waiting for it when the interpreter
    finalizes is ended by CPython from inside Rust code that cannot unwind, and the process
    aborts. They are not Python threads, so nothing can join them: wait (boundedly) until
    the ``own`` threads this server started are gone from the ``before`` count, or, where
    the OS does not tell, a moment with the GIL released.
    """
    if before is None:
        time.sleep(0.02)
        return
    deadline = time.monotonic() + THREADS_END_S
    while time.monotonic() < deadline:
        now = _foreign_threads()
        if now is None or now <= before - own:
            return
        time.sleep(0.002)


#: "content-type" -> "HTTP_CONTENT_TYPE", for the header names seen most (bounded)
_HEADER_KEYS: dict[str, str] = {}


def _header_key(name: str) -> str:
    key = _HEADER_KEYS.get(name)
    if key is None:
        key = "HTTP_" + name.upper().replace("-", "_")
        if len(_HEADER_KEYS) < 512:  # a client inventing names cannot grow it without bound
            _HEADER_KEYS[name] = key
    return key


class _QuietDrops(logging.Filter):
    """granian logs every failed response body as an application crash, traceback included;
    a drop fault is not one."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "DropConnection" not in record.getMessage()


_QUIET_DROPS = _QuietDrops()
