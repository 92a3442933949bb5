"""Wallaroo routes: thin views over :class:`~mockserver.wallaroo.backend.WallarooBackend`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from ..responses import app_json
from ..context import current, json_body
from . import exceptions as errors
from . import parsing
from .backend import WallarooBackend
from .catalog.routes import blueprint as catalog_blueprint
from .records import User
from .tokens import realm_issuer

blueprint = Blueprint("wallaroo", __name__)
blueprint.register_blueprint(catalog_blueprint)


def backend() -> WallarooBackend:
    return current().state["wallaroo"]  # type: ignore[return-value]


def caller() -> User:
    return backend().authenticate(request.headers.get("Authorization"))


def ok(body: Any) -> Response:
    return app_json(body, 200)


# -- platform ----------------------------------------------------------------------
@blueprint.get("/v1/api/config")
def config() -> Response:
    """Read without auth by ``wallaroo.Client()`` when it is constructed."""
    return ok({"default_arch": backend().data.catalog.settings.default_arch})


# -- documentation: a real instance serves its API docs at /v1/api/docs ----------------
@blueprint.get("/v1/api/docs")
def docs() -> Response:
    """A self-contained HTML page rendered from the OpenAPI document (mockserver/openapi/)."""
    from ..openapi import docs_page

    return Response(docs_page(request.host_url), mimetype="text/html")


@blueprint.get("/v1/api/openapi.json")
def openapi() -> Response:
    from ..openapi import openapi_document

    return ok(openapi_document(request.host_url))


# -- Keycloak ------------------------------------------------------------------------
@blueprint.post("/auth/realms/master/protocol/openid-connect/token")
def token() -> Response:
    form = parsing.token_request()
    issuer = realm_issuer(request.host_url)
    if form.grant_type == "password":
        if not form.username:
            raise errors.MissingUsername()
        return ok(backend().login(client_id=form.client_id, username=form.username, password=form.password or "",
                                  issuer=issuer))
    if form.grant_type == "refresh_token":
        if not form.refresh_token:
            raise errors.MissingFormParameter("refresh_token")
        return ok(backend().refresh(client_id=form.client_id, refresh_token=form.refresh_token, issuer=issuer))
    raise errors.UnsupportedGrantType()


# -- workspaces ----------------------------------------------------------------------
@blueprint.post("/v1/api/workspaces/list")
def workspaces_list() -> Response:
    user = caller()
    fields = parsing.body_fields()
    return ok({"workspaces": backend().list_workspaces(user, parsing.user_ids_filter(fields))})


@blueprint.post("/v1/api/workspaces/create")
def workspaces_create() -> Response:
    user = caller()
    name = parsing.workspace_name(parsing.body_fields())
    return ok({"workspace_id": backend().create_workspace(user, name)})


@blueprint.post("/v1/api/workspaces/add_user")
def workspaces_add_user() -> Response:
    user = caller()
    ref = parsing.member_ref(parsing.body_fields(), with_type=True)
    backend().add_workspace_user(user, workspace_id=ref.workspace_id, email=ref.email, user_id=ref.user_id,
                                 user_type=ref.user_type)
    return ok({})


@blueprint.post("/v1/api/workspaces/list_users")
def workspaces_list_users() -> Response:
    user = caller()
    workspace_id = parsing.workspace_id(parsing.body_fields())
    return ok({"users": backend().list_workspace_users(user, workspace_id)})


@blueprint.post("/v1/api/workspaces/remove_user")
def workspaces_remove_user() -> Response:
    user = caller()
    ref = parsing.member_ref(parsing.body_fields(), with_type=False)
    affected = backend().remove_workspace_user(user, workspace_id=ref.workspace_id, email=ref.email,
                                               user_id=ref.user_id)
    return ok({"affected_rows": affected})


@blueprint.post("/v1/api/workspaces/validate")
def workspaces_validate() -> Response:
    user = caller()
    parsing.body_fields(optional=True)
    return ok(backend().validate_workspaces(user))


# -- users ---------------------------------------------------------------------------
@blueprint.post("/v1/api/users/query")
def users_query() -> Response:
    user = caller()
    user_ids = parsing.query_user_ids(parsing.body_fields())
    return ok({"users": backend().query_users(user, user_ids)})


@blueprint.post("/v1/api/users/invite")
def users_invite() -> Response:
    user = caller()
    invite = parsing.invite(parsing.body_fields())
    return ok(backend().invite(user, email=invite.email, password=invite.password, roles=invite.roles,
                               require_reset=invite.require_reset))


@blueprint.post("/v1/api/users/deactivate")
def users_deactivate() -> Response:
    user = caller()
    backend().set_enabled(user, email=parsing.email(parsing.body_fields()), enabled=False)
    return ok({})


@blueprint.post("/v1/api/users/activate")
def users_activate() -> Response:
    user = caller()
    backend().set_enabled(user, email=parsing.email(parsing.body_fields()), enabled=True)
    return ok({})


@blueprint.post("/v1/api/user")
def users_edit() -> Response:
    user = caller()
    edit = parsing.user_edit(parsing.body_fields())
    backend().edit_user(user, user_id=edit.user_id, first_name=edit.first_name, last_name=edit.last_name,
                        email=edit.email, enabled=edit.enabled, is_admin=edit.is_admin)
    return ok({})


# -- GraphQL (Hasura): what the high-level SDK reads and changes workspaces through ---
@blueprint.post("/v1/graphql")
def graphql() -> Response:
    """Answered 200 whatever happens, errors included, as Hasura does (see graphql/engine.py)."""
    from .graphql import answer  # graphql-core is loaded on the first GraphQL request

    return ok(answer(backend(), request.headers.get("Authorization"), json_body))


# -- Keycloak admin REST API (the high-level SDK's user lookups and enable/disable) ---
def keycloak_caller() -> User:
    """The bearer token's user; failures in Keycloak's admin-API shape."""
    try:
        return caller()
    except errors.Unauthorized:
        raise errors.KeycloakUnauthorized() from None


@blueprint.get("/auth/admin/realms/master/users")
def keycloak_users() -> Response:
    user = keycloak_caller()
    query = parsing.user_search()
    return ok(backend().search_users(user, email=query.email, username=query.username, search=query.search,
                                     exact=query.exact, first=query.first, max_results=query.max_results))


@blueprint.get("/auth/admin/realms/master/users/<user_id>")
def keycloak_user(user_id: str) -> Response:
    user = keycloak_caller()
    return ok(backend().user_representation(user, user_id))


@blueprint.put("/auth/admin/realms/master/users/<user_id>")
def keycloak_user_update(user_id: str) -> Response:
    user = keycloak_caller()
    update = parsing.keycloak_user_update()
    backend().update_user(user, user_id, enabled=update.enabled, first_name=update.first_name,
                          last_name=update.last_name, email=update.email, email_verified=update.email_verified,
                          required_actions=update.required_actions)
    # Keycloak's 204 carries no body and no Content-Type (Flask would default to text/html).
    response = Response(status=204)
    del response.headers["Content-Type"]
    return response
