"""The Wallaroo MLOps API (workspaces and users) and its Keycloak login."""

from __future__ import annotations

from ..api import Api
from .exceptions import HttpError
from .models import WallarooBackend
from .routes import blueprint


def _owns(path: str) -> bool:
    return path.startswith("/v1/api/") or path == "/v1/api" or path.startswith("/auth/")


api = Api(name="wallaroo", blueprint=blueprint, owns=_owns, http_error=HttpError, make_backend=WallarooBackend)

__all__ = ["api", "WallarooBackend"]
