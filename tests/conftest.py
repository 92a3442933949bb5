"""What the test folders share: the default scenario's names and ids, and client builders.

The session server itself comes from the plugin (``mockserver`` fixture); this file only
holds what used to be copied from test file to test file. Constants are imported with
``from conftest import PROJECT`` (pytest puts this folder on ``sys.path`` when it loads
the file; the folders have no ``__init__.py``, so basenames stay unique across them).
Vendor SDKs are imported inside the builders, so a folder that does not use them does not
pay for their import.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable, Iterator
from typing import Any

# In-process inner pytest runs (pytester, the docs' examples) unload every module they
# imported when they end. What the mock loads lazily (PyJWT and cryptography with the first
# token, onnx, numpy and pyarrow with the first model, granian with the first server) must be
# loaded here first: a second copy of cryptography's Python classes no longer matches its
# compiled core ("Expected instance of hashes.HashAlgorithm"), and a second start of onnx's
# and numpy's compiled modules corrupted the heap (test_plugin_pytester.py run alone segfaulted).
import jwt  # noqa: F401
import numpy  # noqa: F401
import onnx  # noqa: F401  (its numpy extension types register once per process)
import pyarrow  # noqa: F401
import pytest
import requests
from cryptography.hazmat.primitives import serialization  # noqa: F401
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: F401

import mockserver
from mockserver import MockServer
from mockserver.native import native_available

if native_available():  # the same for granian: its Rust module, initialized a second time, crashes
    import granian._futures  # noqa: F401
    import granian.http  # noqa: F401

# and for the package itself: a module an inner run loaded first is loaded again after it, and
# the session's server then raised one copy of an exception class where routes caught the other
# (a control API 403 came out as a 500 "Refused")
for _module in pkgutil.walk_packages(mockserver.__path__, "mockserver."):
    if not _module.name.endswith("__main__"):
        importlib.import_module(_module.name)

# == the default scenario (fixtures/default.json) ====================================
PROJECT = "0123456789abcdef0123456789abcdef"  # the ModelArts eu-de project
ACCESS_KEY = "MOCKACCESSKEY0000001"  # modelarts-dev's AK/SK
SECRET_KEY = "mock-secret-key-0000000000000000000000001"
VIEWER_ID = "e1f2a3b4c5d6e7f8091a2b3c4d5e6f70"  # the ModelArts user modelarts-viewer
DEVELOPER_ID = "3c9a2e57-6a1f-4d0b-8f2e-5b7d1c4e9a01"  # developer@example.com, Wallaroo platform admin
ADMIN_ID = "1bc88c6d-b476-4e4d-aa1a-a5a3554591d3"  # the Keycloak user admin
TOKEN_PATH = "/auth/realms/master/protocol/openid-connect/token"  # Keycloak's token endpoint
GRAPHQL = "/v1/graphql"  # Wallaroo's GraphQL endpoint
WALLAROO_ENV = ("WALLAROO_USER", "WALLAROO_PASSWORD", "WALLAROO_SDK_CREDENTIALS", "WALLAROO_URL",
                "WALLAROO_SDK_AUTH_TYPE", "WALLAROO_TASK_ID")


# == Wallaroo ==========================================================================
def password_login(url: str, username: str, password: str, client_id: str = "sdk-client") -> requests.Response:
    """Keycloak's password grant at ``url`` (a server's base URL), as the Wallaroo SDK logs in."""
    return requests.post(f"{url}{TOKEN_PATH}", data={"client_id": client_id, "grant_type": "password",
                                                     "username": username, "password": password}, timeout=10)


def graphql_operations(server: MockServer) -> list[str]:
    """The operation name of each GraphQL request so far (the SDK sends no operationName)."""
    names = []
    for entry in server.journal.find("POST", GRAPHQL):
        query = json.loads(entry.body)["query"]
        names.append(query.split("(")[0].split("{")[0].split()[-1])
    return names


class WallarooCaller:
    """One Wallaroo user's view of the REST API: plain ``requests`` and the vendor's
    generated client (``wallaroo.wallaroo_ml_ops_api_client``), both with the user's token."""

    def __init__(self, server: MockServer, login: str) -> None:
        from wallaroo.wallaroo_ml_ops_api_client import AuthenticatedClient

        self.server = server
        self.token = server.wallaroo.issue_token(login)
        self.client = AuthenticatedClient(base_url=server.url, token=self.token)

    def close(self) -> None:
        self.client.get_httpx_client().close()

    def post(self, action: str, body: Any = None, *, raw: str | None = None) -> requests.Response:
        """``POST /v1/api/<action>`` with ``body`` as JSON, or ``raw`` sent as is."""
        url = f"{self.server.url}/v1/api/{action}"
        headers = {"Authorization": f"Bearer {self.token}"}
        if raw is not None:
            return requests.post(url, data=raw, headers={**headers, "Content-Type": "application/json"})
        return requests.post(url, json=body, headers=headers)

    def ok(self, action: str, body: Any) -> Any:
        response = self.post(action, body)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def wallaroo_caller(mockserver) -> Iterator[Callable[[str], WallarooCaller]]:
    """``wallaroo_caller(login)``: a :class:`WallarooCaller` on the session server, closed afterwards."""
    callers: list[WallarooCaller] = []

    def make(login: str) -> WallarooCaller:
        callers.append(WallarooCaller(mockserver, login))
        return callers[-1]

    yield make
    for caller in callers:
        caller.close()


@pytest.fixture
def wallaroo_sdk_env(monkeypatch, tmp_path) -> Callable[[str, str], None]:
    """A clean environment for the high-level ``wallaroo.Client``: no credentials from outside.

    Returns ``as_user(login, password)``, which points the SDK at those credentials and at a
    token cache of that login's own under the test's ``tmp_path`` (``XDG_CACHE_HOME``): the
    SDK caches its token on disk and would otherwise reuse another login's (or another
    server's) token. Logging in twice as the same user reuses the cache, as for a real user.
    """
    for name in WALLAROO_ENV:
        monkeypatch.delenv(name, raising=False)

    def as_user(login: str, password: str) -> None:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "sdk-cache" / login))
        monkeypatch.setenv("WALLAROO_USER", login)
        monkeypatch.setenv("WALLAROO_PASSWORD", password)

    return as_user


@pytest.fixture
def wallaroo_login(mockserver, wallaroo_sdk_env) -> Callable[..., Any]:
    """``wallaroo_login(login, password)``: a logged-in high-level ``wallaroo.Client``."""
    import wallaroo

    def connect(login: str = "developer@example.com", password: str = "developer") -> Any:
        wallaroo_sdk_env(login, password)
        return wallaroo.Client(api_endpoint=mockserver.url, auth_type="user_password")

    return connect


# == ModelArts =========================================================================
def modelarts_sdk(server: MockServer, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY,
                  project_id: str = PROJECT) -> Any:
    """The vendor's ``ModelArtsClient`` signing with any AK/SK (even wrong ones) for any project."""
    from mockserver import clients

    return clients.modelarts_sdk_client(server.url, access_key=access_key, secret_key=secret_key,
                                        project_id=project_id)


# == servers of a module's own =========================================================
@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    """A started server of the module's own, for tests that load scenarios or states that
    would otherwise change the baseline of the session's shared server."""
    own = MockServer().start()
    try:
        yield own
    finally:
        own.stop()
