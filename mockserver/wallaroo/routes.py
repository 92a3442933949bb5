"""Wallaroo routes: thin views over :class:`~mockserver.wallaroo.backend.WallarooBackend`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from ..responses import app_json
from ..context import current, json_body
from . import exceptions as errors
from . import parsing
from .backend import WallarooBackend
from .keycloak import KeycloakRealm
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


# -- Keycloak: realm master as an OpenID Connect provider -----------------------------
REALM = "/auth/realms/master"
OIDC = f"{REALM}/protocol/openid-connect"


def realm() -> KeycloakRealm:
    return backend().realm


def no_content() -> Response:
    """Keycloak's 204: no body and no Content-Type (Flask would default to text/html)."""
    response = Response(status=204)
    del response.headers["Content-Type"]
    return response


@blueprint.post(f"{OIDC}/token")
def token() -> Response:
    form = parsing.token_request()
    issuer = realm_issuer(request.host_url)
    if form.grant_type == "password":
        if not form.username:
            raise errors.MissingUsername()
        return ok(realm().login(client=form.client, username=form.username, password=form.password or "",
                                issuer=issuer, scope=form.scope, nonce=form.nonce))
    if form.grant_type == "refresh_token":
        if not form.refresh_token:
            raise errors.MissingFormParameter("refresh_token")
        return ok(realm().refresh(client=form.client, refresh_token=form.refresh_token, issuer=issuer))
    if form.grant_type == "client_credentials":
        return ok(realm().client_credentials(client=form.client, issuer=issuer, scope=form.scope))
    raise errors.UnsupportedGrantType()


@blueprint.get(REALM)
def realm_document() -> Response:
    """The realm's public data: python-keycloak's ``public_key()`` reads ``public_key`` here."""
    return ok(realm().realm_document(realm_issuer(request.host_url)))


@blueprint.get(f"{REALM}/.well-known/openid-configuration")
def openid_configuration() -> Response:
    return ok(realm().discovery(realm_issuer(request.host_url)))


@blueprint.get(f"{OIDC}/certs")
def certs() -> Response:
    """The JWKS: the public key of every token's ``kid``."""
    return ok(realm().jwks())


@blueprint.route(f"{OIDC}/userinfo", methods=["GET", "POST"])
def userinfo() -> Response:
    return ok(realm().userinfo(request.headers.get("Authorization")))


@blueprint.post(f"{OIDC}/logout")
def logout() -> Response:
    """Ends the session of the refresh token (python-keycloak's ``logout``): 204."""
    client = parsing.client_credentials()
    realm().logout(client=client, refresh_token=parsing.form_value("refresh_token"),
                   issuer=realm_issuer(request.host_url))
    return no_content()


@blueprint.post(f"{OIDC}/token/introspect")
def introspect() -> Response:
    client = parsing.client_credentials()
    return ok(realm().introspect(client=client, token=parsing.form_value("token")))


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
ADMIN = "/auth/admin/realms/master"


def keycloak_caller() -> User:
    """The bearer token's user; failures in Keycloak's admin-API shape."""
    try:
        return caller()
    except errors.Unauthorized:
        raise errors.KeycloakUnauthorized() from None


@blueprint.get(f"{ADMIN}/users")
def keycloak_users() -> Response:
    user = keycloak_caller()
    query = parsing.user_search()
    return ok(realm().search_users(user, query.query, first=query.first, max_results=query.max_results,
                                   brief=query.brief))


@blueprint.get(f"{ADMIN}/users/<user_id>")
def keycloak_user(user_id: str) -> Response:
    user = keycloak_caller()
    return ok(realm().user_representation(user, user_id))


@blueprint.put(f"{ADMIN}/users/<user_id>")
def keycloak_user_update(user_id: str) -> Response:
    user = keycloak_caller()
    update = parsing.keycloak_user_update()
    realm().update_user(user, user_id, enabled=update.enabled, first_name=update.first_name,
                          last_name=update.last_name, email=update.email, email_verified=update.email_verified,
                          required_actions=update.required_actions)
    return no_content()


@blueprint.get(f"{ADMIN}/users/count")
def keycloak_users_count() -> Response:
    user = keycloak_caller()
    query = parsing.user_search()
    return ok(realm().count_users(user, query.query))


@blueprint.post(f"{ADMIN}/users")
def keycloak_user_create() -> Response:
    """201 with the new user's URL in ``Location`` (python-keycloak reads the id from it)."""
    user = keycloak_caller()
    user_id = realm().create_user(user, parsing.new_user())
    response = Response(status=201)
    del response.headers["Content-Type"]
    response.headers["Location"] = f"{request.host_url.rstrip('/')}{ADMIN}/users/{user_id}"
    return response


@blueprint.delete(f"{ADMIN}/users/<user_id>")
def keycloak_user_delete(user_id: str) -> Response:
    user = keycloak_caller()
    realm().delete_user(user, user_id)
    return no_content()


@blueprint.put(f"{ADMIN}/users/<user_id>/reset-password")
def keycloak_user_reset_password(user_id: str) -> Response:
    user = keycloak_caller()
    reset = parsing.password_reset()
    realm().reset_password(user, user_id, value=reset.value, temporary=reset.temporary)
    return no_content()


@blueprint.get(f"{ADMIN}/users/<user_id>/role-mappings/realm")
def keycloak_user_realm_roles(user_id: str) -> Response:
    user = keycloak_caller()
    return ok(realm().user_realm_roles(user, user_id))


@blueprint.post(f"{ADMIN}/users/<user_id>/role-mappings/realm")
def keycloak_user_realm_roles_add(user_id: str) -> Response:
    user = keycloak_caller()
    realm().map_realm_roles(user, user_id, parsing.role_list(), add=True)
    return no_content()


@blueprint.delete(f"{ADMIN}/users/<user_id>/role-mappings/realm")
def keycloak_user_realm_roles_remove(user_id: str) -> Response:
    user = keycloak_caller()
    realm().map_realm_roles(user, user_id, parsing.role_list(), add=False)
    return no_content()


@blueprint.get(f"{ADMIN}/roles")
def keycloak_realm_roles() -> Response:
    keycloak_caller()
    return ok(realm().realm_roles())


@blueprint.get(f"{ADMIN}/roles/<role_name>")
def keycloak_realm_role(role_name: str) -> Response:
    keycloak_caller()
    return ok(realm().realm_role(role_name))
