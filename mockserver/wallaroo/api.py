"""The Wallaroo MLOps API's descriptor (see :class:`mockserver.api.Api`)."""

from __future__ import annotations

from typing import Any

from ..api import Api, loader
from ..errors import ApiError
from .backend import WallarooBackend
from .exceptions import HttpError, KeycloakHttpError
from .graphql.errors import GraphQLHttpError

GRAPHQL_PATH = "/v1/graphql"
TOKEN_PATH = "/auth/realms/master/protocol/openid-connect/token"


def is_graphql(path: str) -> bool:
    return path == GRAPHQL_PATH or path.startswith(GRAPHQL_PATH + "/")


def owns(path: str) -> bool:
    return path.startswith("/v1/api/") or path == "/v1/api" or path.startswith("/auth/") or is_graphql(path)


def error_for(status: int, message: str, path: str) -> ApiError:
    """Generic failures in the shape of the service behind the path: Keycloak under ``/auth/``,
    Hasura's ``errors`` under ``/v1/graphql``, the MLOps API's ``{"msg", "code"}`` elsewhere."""
    if path.startswith("/auth/"):
        return KeycloakHttpError(status, message)
    if is_graphql(path):
        return GraphQLHttpError(status, message)
    return HttpError(status, message)


def banner(server: Any) -> list[str]:
    """The token endpoint and every user with the password to log in with, as loaded."""
    lines = [f"Wallaroo: token endpoint POST {server.url}{TOKEN_PATH} "
             "(client_id sdk-client or api-client, grant_type password)"]
    users = server.wallaroo.users()
    if not users:
        lines.append("  (no users; add some with a scenario or POST /__mock/scenarios/load)")
    for user in users:
        notes = [note for note, on in (("admin", user.admin), ("disabled", not user.enabled)) if on]
        suffix = f"  ({', '.join(notes)})" if notes else ""
        lines.append(f"  user {user.username}  password {user.password}{suffix}")
    return lines


API = Api(name="wallaroo", make_blueprint=loader("mockserver.wallaroo.routes", "blueprint"), owns=owns,
          error_for=error_for, make_backend=WallarooBackend, openapi=loader("mockserver.wallaroo.openapi"),
          banner=banner)
