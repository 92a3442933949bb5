"""The Wallaroo MLOps API (workspaces and users) and its Keycloak login.

The face exports the backend only (importing it loads no Flask); the descriptor the server
uses is :data:`mockserver.wallaroo.api.API`.
"""

from __future__ import annotations

from .backend import WallarooBackend

__all__ = ["WallarooBackend"]
