"""``MockServer``: the one public object behind the CLI, the pytest plugin and user code.

It owns a store (:class:`~mockserver.state.State`), the request journal, the fault
injector and the Flask app, and can serve them over a socket from a background thread
(:mod:`mockserver.serving`) or in-process with no socket at all (:mod:`mockserver.inprocess`).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from . import scenarios as scenario_files
from . import serving
from .apis import all_apis
from .app import DEFAULT_MAX_BODY_BYTES, app_routes, create_app
from .context import MockContext
from .controller import Controller, remove_leftover_temp_files
from .faults import FaultInjector
from .journal import DEFAULT_JOURNAL_LIMIT, DEFAULT_JOURNAL_MAX_BYTES, Journal
from .matching import CONTROL_PREFIX
from .state import State
from .testclient import INPROCESS_BASE_URL

if TYPE_CHECKING:
    import requests
    from flask.testing import FlaskClient

    from .clock import Clock
    from .modelarts.backend import ModelArtsBackend
    from .wallaroo.backend import WallarooBackend
    from .wallaroo.records import User, Workspace

logger = logging.getLogger("mockserver")

DEFAULT_SCENARIOS = ("default",)
#: the users the helpers act as unless told otherwise (both are in the ``default`` scenario)
DEFAULT_WALLAROO_USER = "developer@example.com"
DEFAULT_MODELARTS_USER = "modelarts-dev"
APIS = ("wallaroo", "modelarts")


class MockServer:
    """A Wallaroo + ModelArts test double with its own in-memory state.

    ``scenarios`` are names of built-in scenarios, paths to scenario files, or scenario
    documents (dicts), loaded in order; together they are the baseline that
    :meth:`reset` returns to. Nothing listens until :meth:`start` (or ``with``).
    """

    def __init__(self, scenarios: Iterable[scenario_files.ScenarioRef] = DEFAULT_SCENARIOS, *,
                 host: str = "127.0.0.1", port: int = 0, state_file: str | os.PathLike[str] | None = None,
                 journal_limit: int = DEFAULT_JOURNAL_LIMIT, journal_max_bytes: int = DEFAULT_JOURNAL_MAX_BYTES,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, threads: int = 8,
                 log_requests: bool = False, fault_seed: int = 0, server: str = "auto",
                 control_token: str | None = None, save_dir: str | os.PathLike[str] | None = None,
                 scenario_dirs: Iterable[str | os.PathLike[str]] = (), allow_hosts: Iterable[str] = (),
                 durable: bool = False) -> None:
        """``server``: the HTTP server (serving.SERVERS); ``control_token``: required by the control
        API (sent by this object's own clients); ``save_dir``: where ``POST /__mock/state/save`` may
        write besides the state file; ``scenario_dirs``: where the control API may read scenario
        files; ``allow_hosts``: host names the control API answers besides IP addresses and
        localhost (docs/guarantees.md, "Security model"); ``durable``: every request that may
        write (any method but GET, HEAD and OPTIONS) is answered only once the state file holds
        its change, so no acknowledged write is lost, even to ``kill -9`` (needs ``state_file``)."""
        from .control.security import ControlPolicy

        if server not in serving.SERVERS:
            raise ValueError(f"unknown server {server!r}; expected one of {', '.join(serving.SERVERS)}")
        scenarios = list(scenarios)
        self.host = host
        self.port = port
        self.threads = threads
        #: the HTTP server ``start()`` uses: "granian", "waitress", or "auto" (granian when it imports)
        self.server = server
        self.state = State()
        self.apis = all_apis()
        for api in self.apis:
            if api.make_backend is not None:
                self.state.register(api.make_backend(self.state))
        self.journal = Journal(journal_limit, journal_max_bytes)
        self.faults = FaultInjector(fault_seed)
        self.control_token = control_token or None
        self.control_policy = ControlPolicy.build(token=self.control_token, save_dir=save_dir,
                                                  scenario_dirs=scenario_dirs, scenario_files=scenarios,
                                                  host_names=[host, *allow_hosts])
        if durable and not state_file:
            raise ValueError("durable=True needs a state_file to write every change to")
        self.controller = Controller(self.state, self.journal, self.faults, state_file=state_file)
        self.controller.durable = durable
        self.context = MockContext(state=self.state, journal=self.journal, faults=self.faults, apis=self.apis,
                                   max_body_bytes=max_body_bytes, log_requests=log_requests, server=self,
                                   controller=self.controller, control_policy=self.control_policy)
        self.app = create_app(self.context)
        self.journal.known_routes = self._known_routes
        #: the plugin fails a test at teardown if a request matched no route while this is set
        self.strict = False
        self._server: Any = None
        self._cache_root: str | None = None
        self.load_scenarios(scenarios, replace=True)
        if self.state_file is not None:
            remove_leftover_temp_files(self.state_file)
            if self.state_file.exists():
                self.load_state_file(self.state_file)
                if durable:  # the file holds what was just loaded: the first write saves, not a read
                    self.controller.note_saved()

    # == lifecycle =====================================================================
    def start(self) -> MockServer:
        """Listen on ``host:port`` (port 0 picks a free one) and serve from a background thread."""
        if self._server is not None:
            return self
        self._server = serving.serve(self.app, host=self.host, port=self.port, threads=self.threads,
                                     server=self.server)
        self.port = self._server.port
        return self

    def stop(self) -> None:
        """Stop listening and close open connections; saves the state file if one is set."""
        server, self._server = self._server, None
        if server is not None:
            self.faults.release_held()  # requests a latency fault holds answer now, not after the server
            server.stop()
        if self.state_file is not None:
            self.save_state(self.state_file)

    @property
    def server_name(self) -> str | None:
        """The HTTP server listening now ("granian" or "waitress"); None while not running."""
        return self._server.name if self._server is not None else None

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
            raise RuntimeError("the server is not running; call start() or use the in-process helpers "
                               "(session(), test_client(), httpx_transport()), which need no socket")
        host = self.host if self.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """:attr:`url` when listening, else the placeholder URL the in-process helpers use."""
        return self.url if self._server is not None else INPROCESS_BASE_URL

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "in-process"
        return f"<MockServer {where} scenarios={self.state.scenarios!r}>"

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
        self.controller.reset()

    def load_scenarios(self, scenarios: Iterable[scenario_files.ScenarioRef], *, replace: bool = False,
                       as_baseline: bool = True) -> None:
        """Load scenarios (names, paths or dicts) on top of the state, or instead of it."""
        self.controller.load_scenarios(scenarios, replace=replace, as_baseline=as_baseline)

    def use_scenarios(self, scenarios: Iterable[scenario_files.ScenarioRef]) -> None:
        """Make ``scenarios`` the baseline (instead of the current one) and reset to it; just a
        reset when they already are (the pytest plugin calls this before every test)."""
        self.controller.use_scenarios(scenarios)

    def load(self, scenario: scenario_files.ScenarioRef) -> None:
        """Add one scenario's data for the current test only (the next reset removes it)."""
        self.controller.load(scenario)

    def export_state(self) -> dict[str, Any]:
        return self.controller.export_state()

    def import_state(self, document: dict[str, Any], *, as_baseline: bool = False,
                     source: str = "state document") -> None:
        """Replace the whole state with a document from :meth:`export_state` (validated first)."""
        self.controller.import_state(document, as_baseline=as_baseline, source=source)

    def save_state(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the state document atomically (temp file + rename) and return its path."""
        return self.controller.save_state(path)

    def load_state_file(self, path: str | os.PathLike[str]) -> None:
        """Restore a saved state: its data, and its baseline when the file has one."""
        self.controller.load_state_file(path)

    @property
    def state_file(self) -> Path | None:
        """Where :meth:`save_state` writes by default, and :meth:`stop` saves."""
        return self.controller.state_file

    @state_file.setter
    def state_file(self, path: str | os.PathLike[str] | None) -> None:
        self.controller.state_file = Path(path) if path else None

    # == test helpers: credentials ======================================================
    def wallaroo_token(self, user: str = DEFAULT_WALLAROO_USER, *, lifetime: int | None = None) -> str:
        """A valid Wallaroo (Keycloak) access token for a user, by id, email or username."""
        from .wallaroo.tokens import realm_issuer

        return self.wallaroo.issue_token(user, issuer=realm_issuer(self.base_url), lifetime=lifetime)

    def wallaroo_headers(self, user: str = DEFAULT_WALLAROO_USER) -> dict[str, str]:
        """``{"Authorization": "Bearer <token>"}`` for a Wallaroo user."""
        return {"Authorization": f"Bearer {self.wallaroo_token(user)}"}

    @property
    def modelarts_project_id(self) -> str | None:
        """The id of the first ModelArts project of the loaded scenarios (None when there is none)."""
        return self.modelarts.default_project_id()

    def modelarts_credentials(self, user: str = DEFAULT_MODELARTS_USER) -> dict[str, Any]:
        """An IAM user's ``user_name, password, account, project_id, region, access_key, secret_key``."""
        return self.modelarts.credentials(user_name=user)

    def modelarts_token(self, user: str = DEFAULT_MODELARTS_USER, project_id: str | None = None) -> str:
        """A valid IAM token (``X-Auth-Token``) for a user, scoped to a project (default: the first)."""
        return self.modelarts.issue_token(user_name=user, project_id=project_id)

    def modelarts_headers(self, user: str = DEFAULT_MODELARTS_USER, project_id: str | None = None) -> dict[str, str]:
        """``{"X-Auth-Token": <token>}`` for an IAM user."""
        return {"X-Auth-Token": self.modelarts_token(user, project_id)}

    def control_headers(self) -> dict[str, str]:
        """``{"X-Mockserver-Token": <token>}`` when the control API needs a token, else ``{}``."""
        from .control.security import TOKEN_HEADER

        return {TOKEN_HEADER: self.control_token} if self.control_token else {}

    def headers(self, api: str | None, user: str | None = None) -> dict[str, str]:
        """Auth headers for ``api`` (``"wallaroo"``, ``"modelarts"``, or None for none), plus the
        control token if one is set, so the same client can also drive ``/__mock/``."""
        if api is None:
            return self.control_headers()
        if api == "wallaroo":
            return {**self.control_headers(), **self.wallaroo_headers(user or DEFAULT_WALLAROO_USER)}
        if api == "modelarts":
            return {**self.control_headers(), **self.modelarts_headers(user or DEFAULT_MODELARTS_USER)}
        raise ValueError(f"unknown api {api!r}; expected one of {', '.join(APIS)} or None")

    # == test helpers: per-test data ===================================================
    def add_wallaroo_user(self, **fields: Any) -> User:
        """Add a Wallaroo user for this test, as a scenario's ``wallaroo.users`` item would."""
        return self.wallaroo.add_user(**fields)

    def add_wallaroo_workspace(self, **fields: Any) -> Workspace:
        """Add a Wallaroo workspace for this test (``name``, ``members=[{"user", "user_type"}]``...)."""
        return self.wallaroo.add_workspace(**fields)

    def add_modelarts_user(self, **fields: Any) -> Any:
        """Add an IAM user for this test (``name``, ``password``, ``account``, ``access_keys``...)."""
        return self.modelarts.add_user(**fields)

    def add_modelarts_project(self, **fields: Any) -> Any:
        """Add a ModelArts project (with its default workspace) for this test."""
        return self.modelarts.add_project(**fields)

    def add_modelarts_workspace(self, project_id: str | None = None, **fields: Any) -> Any:
        """Add a ModelArts workspace for this test to a project (default: the first project)."""
        project = project_id or self.modelarts_project_id
        if project is None:
            raise LookupError("no ModelArts project is loaded; pass project_id or add a project first")
        return self.modelarts.add_workspace(project, **fields)

    # == clients (requests, httpx and the SDKs are imported only when asked for) ==========
    def _inprocess(self, inprocess: bool | None) -> bool:
        return not self.running if inprocess is None else inprocess

    def session(self, api: str | None = "wallaroo", user: str | None = None, *,
                inprocess: bool | None = None) -> requests.Session:
        """A ``requests.Session`` with the base URL and ``api``'s auth headers for ``user`` set.

        Relative URLs work: ``session.post("/v1/api/workspaces/list", json={})``. Over the
        socket when the server is running, else in-process (force either with ``inprocess``).
        """
        from . import clients

        headers = self.headers(api, user)
        if self._inprocess(inprocess):
            return clients.requests_session(INPROCESS_BASE_URL, headers, app=self.app)
        return clients.requests_session(self.url, headers)

    def inprocess_session(self, api: str | None = None, user: str | None = None, *,
                          base_url: str = INPROCESS_BASE_URL) -> requests.Session:
        """A ``requests.Session`` whose requests are answered in-process, without a socket."""
        from . import clients

        return clients.requests_session(base_url, self.headers(api, user), app=self.app)

    def httpx_client(self, api: str | None = "wallaroo", user: str | None = None, *,
                     inprocess: bool | None = None) -> Any:
        """An ``httpx.Client`` with the base URL and auth headers set (in-process if not running)."""
        from . import clients

        headers = self.headers(api, user)
        if self._inprocess(inprocess):
            return clients.httpx_client(INPROCESS_BASE_URL, headers, app=self.app)
        return clients.httpx_client(self.url, headers)

    def wallaroo_sdk_client(self, user: str = DEFAULT_WALLAROO_USER, *, inprocess: bool | None = None,
                            raise_on_unexpected_status: bool = False) -> Any:
        """The Wallaroo SDK's generated ``AuthenticatedClient``, logged in as ``user``."""
        from . import clients

        inproc = self._inprocess(inprocess)
        return clients.wallaroo_sdk_client(INPROCESS_BASE_URL if inproc else self.url, self.wallaroo_token(user),
                                           app=self.app if inproc else None,
                                           raise_on_unexpected_status=raise_on_unexpected_status)

    def wallaroo_client(self, user: str = DEFAULT_WALLAROO_USER, *, password: str | None = None) -> Any:
        """A high-level ``wallaroo.Client`` logged in as ``user`` (id, email or username).

        Each client logs in itself (a Keycloak ``password`` grant, in the journal) and keeps
        its token in a cache directory of its own, so two clients for two users never share a
        token (the SDK's default cache is one file for every user, server and session).
        ``password`` defaults to the user's password in the store. Needs a running server.
        """
        from . import clients

        found = self.wallaroo.find_user(user)
        if found is None:
            raise LookupError(f"no Wallaroo user {user!r} in the loaded scenarios")
        secret = found.password if password is None else password
        cache_dir = tempfile.mkdtemp(prefix="wallaroo-client-", dir=self._client_cache_root())
        return clients.wallaroo_client(self.url, found.username, secret, cache_dir=cache_dir)

    def _client_cache_root(self) -> str:
        """A temporary directory for the SDK clients' token caches, removed with this object."""
        if self._cache_root is None:
            self._cache_root = tempfile.mkdtemp(prefix="mockserver-sdk-cache-")
            weakref.finalize(self, shutil.rmtree, self._cache_root, ignore_errors=True)
        return self._cache_root

    def modelarts_sdk_client(self, user: str = DEFAULT_MODELARTS_USER, *, project_id: str | None = None,
                             inprocess: bool | None = None) -> Any:
        """A ``ModelArtsClient`` signing with ``user``'s AK/SK, for a project (default: the user's)."""
        from . import clients

        credentials = self.modelarts_credentials(user)
        inproc = self._inprocess(inprocess)
        return clients.modelarts_sdk_client(INPROCESS_BASE_URL if inproc else self.url,
                                            access_key=credentials["access_key"],
                                            secret_key=credentials["secret_key"],
                                            project_id=project_id or credentials["project_id"],
                                            app=self.app if inproc else None)

    # == in-process access (no socket) =================================================
    def test_client(self) -> FlaskClient:
        """Flask's test client on this server's app (sending the control token, if set)."""
        client = self.app.test_client()
        for name, value in self.control_headers().items():
            client.environ_base["HTTP_" + name.upper().replace("-", "_")] = value
        return client

    def httpx_transport(self) -> Any:
        """An ``httpx`` transport calling the app in-process (``httpx.Client(transport=...)``)."""
        from .inprocess import httpx_transport

        return httpx_transport(self.app)

    def _known_routes(self) -> list[tuple[str, str]]:
        return app_routes(self.app, lambda rule: not rule.startswith(CONTROL_PREFIX))

