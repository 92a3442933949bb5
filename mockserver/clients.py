"""Builders for clients pointed at a mock server: ``requests`` sessions, ``httpx`` clients and
the vendors' SDKs.

:class:`~mockserver.server.MockServer` exposes these as ``session()``, ``httpx_client()``,
``wallaroo_sdk_client()`` and ``modelarts_sdk_client()``; they are here, apart from the
server, so they can also be pointed at a standalone server by URL::

    from mockserver.clients import wallaroo_sdk_client
    client = wallaroo_sdk_client("http://127.0.0.1:8080", token)

The SDKs are optional dependencies (the ``sdk`` extra) and heavy to import (``import
wallaroo`` alone takes seconds), so they are imported only when a builder is called.
Passing ``app`` instead of a network round trip answers every call in-process.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, Mapping

from .inprocess import BaseUrlSession, InProcessSession, WsgiAdapter, httpx_transport

if TYPE_CHECKING:
    import requests

#: one line that works on a fresh machine (the SDKs are on PyPI; this package's ``sdk``
#: extra installs the same two, e.g. ``pip install './checkout[sdk]'`` or ``'<wheel>[sdk]'``)
SDK_EXTRA_HINT = ("install the SDKs with: pip install 'wallaroo>=2025.1' 'huaweicloudsdkmodelarts>=3.1' "
                  "(or this package's [sdk] extra)")
#: what :func:`wallaroo_client` sets while the SDK builds its client (and restores after)
_WALLAROO_ENVIRONMENT = ("XDG_CACHE_HOME", "WALLAROO_USER", "WALLAROO_PASSWORD", "WALLAROO_SDK_CREDENTIALS",
                         "WALLAROO_URL", "WALLAROO_SDK_AUTH_TYPE")
_environment_lock = threading.Lock()


def requests_session(base_url: str, headers: Mapping[str, str] | None = None, *, app: Any = None) -> requests.Session:
    """A ``requests.Session`` resolving relative URLs against ``base_url`` and sending ``headers``.

    With ``app`` (a WSGI app) every request is answered in-process, without a socket.
    """
    if app is not None:
        return InProcessSession(app, base_url, headers)
    return BaseUrlSession(base_url, headers)


def httpx_client(base_url: str, headers: Mapping[str, str] | None = None, *, app: Any = None) -> Any:
    """An ``httpx.Client`` with ``base_url`` and ``headers`` set; with ``app`` (a WSGI app),
    answered in-process. httpx is imported here: clients.py stays importable without it."""
    import httpx

    if app is not None:
        return httpx.Client(base_url=base_url, headers=dict(headers or {}), transport=httpx_transport(app))
    return httpx.Client(base_url=base_url, headers=dict(headers or {}))


def wallaroo_sdk_client(base_url: str, token: str, *, app: Any = None, raise_on_unexpected_status: bool = False,
                        timeout: float | None = 30.0) -> Any:
    """The Wallaroo SDK's generated ``AuthenticatedClient`` with a Bearer token.

    Use it with the SDK's endpoint modules, e.g.
    ``wallaroo.wallaroo_ml_ops_api_client.api.workspace.workspaces_list.sync(client=client, body=...)``.
    With ``app`` the (synchronous) calls are answered in-process.
    """
    try:
        import httpx
        from wallaroo.wallaroo_ml_ops_api_client.client import AuthenticatedClient
    except ImportError as error:  # pragma: no cover - CI installs the SDKs
        raise ImportError(f"the Wallaroo SDK client needs the 'wallaroo' package; {SDK_EXTRA_HINT}") from error
    httpx_args: dict[str, Any] = {}
    if app is not None:
        httpx_args["transport"] = httpx_transport(app)
    return AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=raise_on_unexpected_status,
                               timeout=httpx.Timeout(timeout), httpx_args=httpx_args)


def wallaroo_client(base_url: str, login: str, password: str, *, cache_dir: str | os.PathLike[str]) -> Any:
    """The Wallaroo SDK's high-level ``wallaroo.Client``, logged in as ``login`` with its own token cache.

    The SDK reads the login from ``WALLAROO_USER``/``WALLAROO_PASSWORD`` and caches the token
    in ``$XDG_CACHE_HOME/wallaroo_sdk/auth/keycloak.json``, one file shared by every user,
    server and session (a second client for another user would reuse the first one's token
    and make no login). Here the client is built with those variables pointing at
    ``cache_dir`` and this user, under a lock, and the environment is restored afterwards;
    the SDK keeps the cache path and credentials it read, so later refreshes stay private.
    The SDK logs in while the client is built (a Keycloak ``password`` grant).
    """
    try:
        import wallaroo
    except ImportError as error:  # pragma: no cover - CI installs the SDKs
        raise ImportError(f"wallaroo_client() needs the 'wallaroo' package; {SDK_EXTRA_HINT}") from error
    with _environment_lock:
        saved = {name: os.environ.get(name) for name in _WALLAROO_ENVIRONMENT}
        try:
            for name in _WALLAROO_ENVIRONMENT:
                os.environ.pop(name, None)
            os.environ.update(XDG_CACHE_HOME=os.fspath(cache_dir), WALLAROO_USER=login, WALLAROO_PASSWORD=password)
            return wallaroo.Client(api_endpoint=base_url, auth_type="user_password")
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def modelarts_sdk_client(base_url: str, *, access_key: str, secret_key: str, project_id: str, app: Any = None,
                         http_config: Any = None) -> Any:
    """A ``huaweicloudsdkmodelarts`` ``ModelArtsClient`` signing with AK/SK, sent to ``base_url``.

    ``with_endpoints([base_url])`` is used, so the SDK makes no IAM project lookup. With
    ``app`` every call is answered in-process (the SDK's ``requests`` session gets an
    in-process transport adapter).
    """
    try:
        from huaweicloudsdkcore.auth.credentials import BasicCredentials
        from huaweicloudsdkcore.http.http_config import HttpConfig
        from huaweicloudsdkmodelarts.v1 import ModelArtsClient
    except ImportError as error:  # pragma: no cover - CI installs the SDKs
        raise ImportError(f"the ModelArts SDK client needs 'huaweicloudsdkmodelarts'; {SDK_EXTRA_HINT}") from error
    if http_config is None:
        http_config = HttpConfig.get_default_config()
        http_config.timeout = (5, 30)
    client = (ModelArtsClient.new_builder()
              .with_http_config(http_config)
              .with_credentials(BasicCredentials(access_key, secret_key, project_id))
              .with_endpoints([base_url])
              .build())
    if app is not None:
        _mount_inprocess(client, app)
    return client


def _mount_inprocess(client: Any, app: Any) -> None:
    """Route a Huawei Cloud SDK client's requests session to ``app``."""
    http_client = client.get_http_client()
    session = getattr(http_client, "_session", None)
    if session is None or not hasattr(session, "mount"):  # pragma: no cover - depends on the SDK version
        raise RuntimeError("this version of huaweicloudsdkcore keeps no requests session to route in-process; "
                           "use the socket server (modelarts_sdk_client() on a started server)")
    adapter = WsgiAdapter(app)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
