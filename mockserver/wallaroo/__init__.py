"""The Wallaroo MLOps API (workspaces and users) and its Keycloak login."""

from __future__ import annotations

from flask import has_request_context, request

from ..api import Api
from ..errors import ApiError
from .exceptions import HttpError, KeycloakHttpError
from .graphql.errors import GraphQLHttpError
from .backend import WallarooBackend
from .routes import blueprint


GRAPHQL_PATH = "/v1/graphql"


def _is_graphql(path: str) -> bool:
    return path == GRAPHQL_PATH or path.startswith(GRAPHQL_PATH + "/")


def _owns(path: str) -> bool:
    return path.startswith("/v1/api/") or path == "/v1/api" or path.startswith("/auth/") or _is_graphql(path)


def _http_error(status: int, message: str) -> ApiError:
    """Generic failures in the shape of the service behind the path: Keycloak under ``/auth/``,
    Hasura's ``errors`` under ``/v1/graphql``."""
    if has_request_context():
        if request.path.startswith("/auth/"):
            return KeycloakHttpError(status, message)
        if _is_graphql(request.path):
            return GraphQLHttpError(status, message)
    return HttpError(status, message)


api = Api(name="wallaroo", blueprint=blueprint, owns=_owns, http_error=_http_error, make_backend=WallarooBackend)

__all__ = ["api", "WallarooBackend"]
