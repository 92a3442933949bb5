"""``MockServer``: the one public object behind the CLI, the pytest plugin and user code.

It owns a store (:class:`~mockserver.state.State`), the request journal, the fault
injector and the Flask app, and can serve them over a socket from a background thread
(waitress: keep-alive and a thread pool, so one test client is not throttled by a new
TCP connection per request) or in-process with no socket at all.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from . import scenarios as scenario_files
from .api import Api
from .app import DEFAULT_MAX_BODY_BYTES, create_app
from .context import MockContext
from .errors import DropConnection
from .faults import FaultInjector
from .journal import Journal
from .state import State

if TYPE_CHECKING:
    import requests
    from flask.testing import FlaskClient

    from .clock import Clock
    from .modelarts.models import ModelArtsBackend
    from .wallaroo.models import WallarooBackend

logger = logging.getLogger("mockserver")

DEFAULT_SCENARIOS = ("default",)


def all_apis() -> list[Api]:
    """The mocked APIs and the control API, in routing order."""
    from .control import api as control_api
    from .modelarts import api as modelarts_api
    from .wallaroo import api as wallaroo_api

    return [control_api, wallaroo_api, modelarts_api]


class MockServer:
    """A Wallaroo + ModelArts test double with its own in-memory state.

    ``scenarios`` are names of built-in scenarios, paths to scenario files, or scenario
    documents (dicts), loaded in order; together they are the baseline that
    :meth:`reset` returns to. Nothing listens until :meth:`start` (or ``with``).
    """

    def __init__(self, scenarios: Iterable[scenario_files.ScenarioRef] = DEFAULT_SCENARIOS, *,
                 host: str = "127.0.0.1", port: int = 0, state_file: str | os.PathLike[str] | None = None,
                 journal_limit: int = 10_000, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, threads: int = 8,
                 log_requests: bool = False, fault_seed: int = 0) -> None:
        self.host = host
        self.port = port
        self.threads = threads
        self.state_file = Path(state_file) if state_file else None
        self.state = State()
        self.apis = all_apis()
        for api in self.apis:
            if api.make_backend is not None:
                self.state.register(api.make_backend(self.state))
        self.journal = Journal(journal_limit)
        self.faults = FaultInjector(fault_seed)
        self.context = MockContext(state=self.state, journal=self.journal, faults=self.faults, apis=self.apis,
                                   max_body_bytes=max_body_bytes, log_requests=log_requests, server=self)
        self.app = create_app(self.context)
        self.load_scenarios(scenarios, replace=True)
        if self.state_file is not None and self.state_file.exists():
            self.load_state_file(self.state_file)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._save_lock = threading.Lock()

    # == lifecycle =====================================================================
    def start(self) -> MockServer:
        """Listen on ``host:port`` (port 0 picks a free one) and serve from a background thread."""
        if self._server is not None:
            return self
        from waitress.server import create_server

        self._server = create_server(_wsgi_for_waitress(self.app), host=self.host, port=self.port,
                                     threads=self.threads, ident="mockserver", clear_untrusted_proxy_headers=True,
                                     channel_timeout=60, connection_limit=1000, expose_tracebacks=False)
        self.port = self._server.effective_port
        self._thread = threading.Thread(target=self._server.run, name=f"mockserver:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and close open connections; saves the state file if one is set."""
        server, self._server = self._server, None
        if server is not None:
            from waitress import wasyncore

            # close_all runs on the server's own loop thread, woken by the trigger, so
            # stopping takes milliseconds rather than the loop's poll timeout.
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
            if self._thread is not None:
                self._thread.join(timeout=5)
            server.task_dispatcher.shutdown(timeout=1)
        self._thread = None
        if self.state_file is not None:
            self.save_state(self.state_file)

    @property
    def running(self) -> bool:
        return self._server is not None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("the server is not running; call start() or use the in-process helpers")
        host = self.host if self.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    # == state =========================================================================
    @property
    def clock(self) -> Clock:
        return self.state.clock

    @property
    def wallaroo(self) -> WallarooBackend:
        return self.state["wallaroo"]  # type: ignore[return-value]

    @property
    def modelarts(self) -> ModelArtsBackend:
        return self.state["modelarts"]  # type: ignore[return-value]

    def reset(self) -> None:
        """Back to the baseline scenarios; clears the journal and faults, and unfreezes the clock."""
        self.state.reset()
        self.journal.clear()
        self.faults.clear()
        self.state.clock.reset()

    def load_scenarios(self, scenarios: Iterable[scenario_files.ScenarioRef], *, replace: bool = False,
                       as_baseline: bool = True) -> None:
        """Load scenarios (names, paths or dicts) on top of the state, or instead of it."""
        documents = [scenario_files.resolve(ref) for ref in scenarios]
        self.state.load(documents, replace=replace, as_baseline=as_baseline)

    def load(self, scenario: scenario_files.ScenarioRef) -> None:
        """Add one scenario's data for the current test only (the next reset removes it)."""
        self.load_scenarios([scenario], as_baseline=False)

    def export_state(self) -> dict[str, Any]:
        return self.state.export()

    def import_state(self, document: dict[str, Any], *, as_baseline: bool = False) -> None:
        self.state.import_(document, as_baseline=as_baseline)

    def save_state(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the state document atomically (temp file + rename) and return its path."""
        target = Path(path) if path is not None else self.state_file
        if target is None:
            raise ValueError("no path given and no state_file configured")
        document = self.state.export()
        with self._save_lock:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(document, handle, indent=2, ensure_ascii=False)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return target

    def load_state_file(self, path: str | os.PathLike[str]) -> None:
        source = Path(path)
        document = scenario_files.read(source)
        self.state.import_(document, source=str(source))

    # == in-process access (no socket) =================================================
    def test_client(self) -> FlaskClient:
        """Flask's test client on this server's app."""
        return self.app.test_client()

    def inprocess_session(self, *, base_url: str = "http://mockserver.local") -> requests.Session:
        """A ``requests.Session`` whose requests are answered in-process, without a socket."""
        from .transport import InProcessSession

        return InProcessSession(self.app, base_url)

    def httpx_transport(self) -> Any:
        """An ``httpx`` transport calling the app in-process (``httpx.Client(transport=...)``)."""
        import httpx

        return httpx.WSGITransport(app=_wsgi_for_inprocess(self.app))


def _wsgi_for_waitress(app: Any) -> Any:
    """Translate :class:`DropConnection` into waitress's way of closing a connection."""
    from waitress.channel import ClientDisconnected

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        try:
            return app(environ, start_response)
        except DropConnection:
            raise ClientDisconnected() from None

    return wsgi


def _wsgi_for_inprocess(app: Any) -> Any:
    """In-process transports see a dropped connection as a connection error."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        try:
            return app(environ, start_response)
        except DropConnection as drop:
            raise ConnectionResetError(f"connection dropped by {drop}") from None

    return wsgi
