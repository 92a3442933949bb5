"""The pytest plugin: a mock Wallaroo + ModelArts server as a fixture.

Registered through the ``pytest11`` entry point, so installing the package is enough;
no conftest is needed. Fixtures:

``mockserver``
    The session's server (one per session, or per pytest-xdist worker, on 127.0.0.1 and
    a free port), reset to the test's scenarios before the test (about 0.1 ms).
``mockserver_inprocess``
    The same, but nothing listens: clients built from it (``session()``,
    ``wallaroo_sdk_client()``, ``test_client()``, ``httpx_transport()``...) call the app
    in-process, for the fastest tests.
``mockserver_factory``
    Builds extra, independent servers (``mockserver_factory(["empty"], state_file=...)``),
    stopped when the test ends.
``mockserver_session`` / ``mockserver_inprocess_session``
    The session-scoped servers behind the two fixtures above (not reset per test).
``mockserver_scenarios``, ``mockserver_listen_address``
    Override these (session scope) in a conftest to change the session's default
    scenarios or where the server listens.
``mockserver_sdk_cache``
    The session's private ``XDG_CACHE_HOME``: the ``wallaroo`` SDK caches its login there
    (not in the user's, shared by every session, server and user); emptied of SDK logins
    before each test. ``mockserver.wallaroo_client(user)`` gives each client its own.

Marks:

``@pytest.mark.mockserver_scenario("wallaroo-tutorial", ...)``
    Scenarios (built-in names, file paths - relative ones are looked up next to the test
    file first - or scenario dicts) replacing the default ones for a test, class or module
    (the closest mark wins: function, then class, then module).
``@pytest.mark.mockserver_strict`` / ``@pytest.mark.mockserver_strict(False)``
    Fail the test at teardown if a request matched no route of the mock (a typo in a
    path, an endpoint the mock lacks). Turn it on for a whole suite with the ini option
    ``mockserver_strict = true``.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

import pytest

if TYPE_CHECKING:
    from mockserver import MockServer

# The package (Flask, the app, both APIs) is imported only when a fixture is first used, so
# installing the plugin costs nothing to suites, or test runs, that never ask for it.
DEFAULT_SCENARIOS = ("default",)
SCENARIO_MARK = "mockserver_scenario"
STRICT_MARK = "mockserver_strict"
_call_failed = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("mockserver_scenarios", type="args", default=list(DEFAULT_SCENARIOS),
                  help="mockserver: the scenarios every test starts from unless marked otherwise (default: default)")
    parser.addini("mockserver_strict", type="bool", default=False,
                  help="mockserver: fail a test at teardown when one of its requests matched no route of the mock")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{SCENARIO_MARK}(*scenarios): start the mockserver fixture from these scenarios "
        "(built-in names, file paths or dicts) instead of the default ones")
    config.addinivalue_line(
        "markers", f"{STRICT_MARK}(enabled=True): fail the test at teardown if a request to the mockserver "
        "matched no route")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":  # strict mode stays quiet about a test that already failed
        item.stash[_call_failed] = report.failed
    return report


# -- configuration fixtures (override them in a conftest) ------------------------------------
@pytest.fixture(scope="session")
def mockserver_listen_address() -> tuple[str, int]:
    """``(host, port)`` the session server listens on; port 0 picks a free port (xdist-safe)."""
    return ("127.0.0.1", 0)


@pytest.fixture(scope="session")
def mockserver_scenarios(pytestconfig: pytest.Config) -> Sequence[Any]:
    """The scenarios each test starts from unless a ``mockserver_scenario`` mark says otherwise.

    Relative paths in the ini option are relative to the ini file's folder (else the rootdir),
    as the ini file is where they are written: ``cd tests && pytest`` finds the same files.
    """
    from mockserver.scenarios import looks_like_path

    folder = pytestconfig.inipath.parent if pytestconfig.inipath is not None else pytestconfig.rootpath
    scenarios = [str(folder / ref) if looks_like_path(ref) and not Path(ref).is_absolute() else ref
                 for ref in pytestconfig.getini("mockserver_scenarios")]
    return tuple(scenarios) or DEFAULT_SCENARIOS


# -- the vendors' SDK caches -----------------------------------------------------------
#: where the wallaroo SDK caches its login under $XDG_CACHE_HOME (one file for every user and server)
WALLAROO_SDK_CACHE = "wallaroo_sdk"


@pytest.fixture(scope="session")
def mockserver_sdk_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private ``XDG_CACHE_HOME`` for the session (each pytest-xdist worker has its own).

    The ``wallaroo`` SDK caches its token in ``$XDG_CACHE_HOME/wallaroo_sdk/auth/keycloak.json``
    and reuses it for any user and any server, so a token from another session, server or
    user would be sent instead of a login. The plugin points ``XDG_CACHE_HOME`` at a
    directory of the session's own (restored when the session ends) and empties the SDK's
    part of it before every test. Other tools' caches are linked in, so nothing is rebuilt.
    """
    root = tmp_path_factory.mktemp("xdg-cache")
    previous = os.environ.get("XDG_CACHE_HOME")
    shared = Path(previous) if previous else Path.home() / ".cache"
    try:
        for entry in shared.iterdir():
            if entry.name != WALLAROO_SDK_CACHE:
                (root / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    except OSError:
        pass  # no shared cache (or no symlinks): the tools rebuild theirs in the private one
    os.environ["XDG_CACHE_HOME"] = str(root)
    try:
        yield root
    finally:
        if previous is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = previous


def _forget_sdk_logins(cache: Path) -> None:
    """No test starts with a token another test's ``wallaroo.Client`` cached."""
    sdk = cache / WALLAROO_SDK_CACHE
    if sdk.exists():
        shutil.rmtree(sdk, ignore_errors=True)


# -- the servers ---------------------------------------------------------------------
def _control_token() -> str | None:
    """The control API token the environment asks for (the CLI reads the same variable)."""
    return os.environ.get("MOCKSERVER_CONTROL_TOKEN") or None


@pytest.fixture(scope="session")
def mockserver_session(mockserver_listen_address: tuple[str, int],
                       mockserver_scenarios: Sequence[Any]) -> Iterator[MockServer]:
    """The session's listening server (stopped at the end of the session); not reset per test."""
    host, port = mockserver_listen_address
    # a token in the environment protects the session's control API too; the server's own
    # clients (session(), httpx_client(), test_client()) send it
    server = _new_server(mockserver_scenarios, host=host, port=port, control_token=_control_token()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mockserver_inprocess_session(mockserver_scenarios: Sequence[Any]) -> MockServer:
    """The session's in-process server: the same app and store, with no socket."""
    return _new_server(mockserver_scenarios, control_token=_control_token())


def _new_server(scenarios: Sequence[Any], **options: Any) -> MockServer:
    """A server on the session's default scenarios; a bad one errors every test in one line, as
    a bad mark does, not with a traceback out of the session fixture."""
    from mockserver import MockServer
    from mockserver.state import ScenarioError

    try:
        return MockServer(scenarios, **options)
    except ScenarioError as error:
        problem = str(error)
    pytest.fail(f"cannot load the mockserver scenarios: {problem}", pytrace=False)


@pytest.fixture
def mockserver(request: pytest.FixtureRequest, mockserver_session: MockServer,
               mockserver_scenarios: Sequence[Any], mockserver_sdk_cache: Path) -> Iterator[MockServer]:
    """The session's server, reset to the test's scenarios before the test.

    ``mockserver.url``, ``wallaroo_headers()``, ``modelarts_credentials()``, ``session()``,
    ``wallaroo_client(user)``, ``journal.assert_called(...)``, ``clock``, ``faults``,
    ``add_wallaroo_user(...)``...
    """
    _forget_sdk_logins(mockserver_sdk_cache)
    with _prepared(request, mockserver_session, mockserver_scenarios) as server:
        yield server


@pytest.fixture
def mockserver_inprocess(request: pytest.FixtureRequest, mockserver_inprocess_session: MockServer,
                         mockserver_scenarios: Sequence[Any], mockserver_sdk_cache: Path) -> Iterator[MockServer]:
    """Like ``mockserver`` but with no socket: its clients call the app in-process."""
    _forget_sdk_logins(mockserver_sdk_cache)
    with _prepared(request, mockserver_inprocess_session, mockserver_scenarios) as server:
        yield server


@pytest.fixture
def mockserver_factory(mockserver_sdk_cache: Path) -> Iterator[Callable[..., MockServer]]:
    """``mockserver_factory(scenarios=("default",), **MockServer_options)``: a new started server.

    Every server it made is stopped (and its state file saved, if it has one) when the test ends.
    """
    from mockserver import MockServer

    made: list[MockServer] = []

    def factory(scenarios: Sequence[Any] = DEFAULT_SCENARIOS, *, start: bool = True, **options: Any) -> MockServer:
        server = MockServer(scenarios, **options)
        made.append(server)
        return server.start() if start else server

    try:
        yield factory
    finally:
        for server in reversed(made):
            server.stop()


# -- per-test preparation ------------------------------------------------------------
@contextmanager
def _prepared(request: pytest.FixtureRequest, server: MockServer, defaults: Sequence[Any]) -> Iterator[MockServer]:
    from mockserver.state import ScenarioError

    scenarios = _scenarios_for(request, defaults)
    try:
        server.use_scenarios(scenarios)
        problem = None
    except ScenarioError as error:
        problem = str(error)
    if problem is not None:
        pytest.fail(f"cannot load the mockserver scenarios: {problem}", pytrace=False)
    server.strict = _strict_for(request)
    try:
        yield server
        if server.strict and not request.node.stash.get(_call_failed, False):
            report = server.journal.unmatched_report()
            if report:
                pytest.fail(f"mockserver strict mode: {report}\n(allow it for this test with "
                            f"@pytest.mark.{STRICT_MARK}(False) or mockserver.strict = False)", pytrace=False)
    finally:
        server.strict = False
        if list(scenarios) != list(defaults):
            server.use_scenarios(defaults)  # leave the session server on its default baseline


def _scenarios_for(request: pytest.FixtureRequest, defaults: Sequence[Any]) -> list[Any]:
    mark = request.node.get_closest_marker(SCENARIO_MARK)
    if mark is None:
        return list(defaults)
    if mark.kwargs:
        pytest.fail(f"@pytest.mark.{SCENARIO_MARK} takes scenarios only (names, paths or dicts), "
                    f"not {', '.join(mark.kwargs)}=", pytrace=False)
    if not mark.args:
        pytest.fail(f"@pytest.mark.{SCENARIO_MARK} needs at least one scenario; use 'empty' for none", pytrace=False)
    return [_near_test_file(ref, request) for ref in mark.args]


def _near_test_file(ref: Any, request: pytest.FixtureRequest) -> Any:
    """A relative scenario path is looked up next to the test file first."""
    if isinstance(ref, (str, Path)):
        from mockserver.scenarios import looks_like_path

        text = str(ref)
        if (isinstance(ref, Path) or looks_like_path(text)) and not Path(text).is_absolute():
            candidate = Path(request.path).parent / text
            if candidate.is_file():
                return str(candidate)
    return ref


def _strict_for(request: pytest.FixtureRequest) -> bool:
    mark = request.node.get_closest_marker(STRICT_MARK)
    if mark is None:
        return bool(request.config.getini("mockserver_strict"))
    enabled = mark.args[0] if mark.args else mark.kwargs.get("enabled", True)
    return bool(enabled)
