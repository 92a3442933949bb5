"""Wallaroo's Keycloak beyond the token endpoint: the OpenID Connect provider of realm ``master``
and the admin user API python-keycloak's ``KeycloakAdmin`` drives (docs/wallaroo.md, section 9)."""

from __future__ import annotations

from typing import Any

from .schema import ANY, answer, array, body, boolean, header, integer, obj, operation, path_param, ref, string
from ..wallaroo.openapi import BEARER, TAG_LOGIN

REALM = "/auth/realms/master"
OIDC = f"{REALM}/protocol/openid-connect"
ADMIN = "/auth/admin/realms/master"

_OAUTH_ERROR = ref("KeycloakOAuthError")
_ADMIN_ERROR = ref("KeycloakAdminError")
_FORM_CLIENT = {
    "client_id": string("The client (or HTTP Basic `client_id:client_secret`)."),
    "client_secret": string("The confidential `api-client`'s secret (scenario setting `api_client_secret`)."),
}


def _form(properties: dict[str, Any], optional: tuple[str, ...]) -> dict[str, Any]:
    return {"required": True, "content": {"application/x-www-form-urlencoded": {
        "schema": obj(properties, optional=optional)}}}


def _admin_errors(*statuses: int) -> dict[str, Any]:
    texts = {400: "The body is not what Keycloak expects.", 401: "Any token problem.",
             403: "The caller is no realm admin.", 404: "No such user or role.",
             409: "A user with this username or email exists."}
    return {str(status): answer(texts[status], _ADMIN_ERROR) for status in statuses}


_ROLE = ref("KeycloakRole")
#: a role as a request names it: python-keycloak sends the whole representation, only `name` counts
_ROLE_IN = obj({"id": string(), "name": string(), "description": string(), "composite": boolean(),
                "clientRole": boolean(), "containerId": string()}, required=("name",), additional=True)

SCHEMAS: dict[str, Any] = {
    "OpenIdConfiguration": obj({
        "issuer": string("`<server>/auth/realms/master`: the `iss` of every token."),
        "authorization_endpoint": string("Listed as the discovery standard requires; not served."),
        "token_endpoint": string(), "introspection_endpoint": string(), "userinfo_endpoint": string(),
        "end_session_endpoint": string(), "jwks_uri": string(),
        "grant_types_supported": array(string()), "response_types_supported": array(string()),
        "subject_types_supported": array(string()), "id_token_signing_alg_values_supported": array(string()),
        "scopes_supported": array(string()), "claims_supported": array(string()),
    }, "The OpenID Connect discovery document (the members validators read).", additional=True),
    "JsonWebKeySet": obj({"keys": array(obj({
        "kid": string("RFC 7638 thumbprint of the key; every token's header names it."),
        "kty": string("`RSA`"), "alg": string("`RS256`"), "use": string("`sig`"),
        "n": string("Modulus, base64url."), "e": string("Exponent, base64url."),
    }))}, "The realm's signing keys (one RSA-2048 key)."),
    "KeycloakRealm": obj({
        "realm": string(), "public_key": string("The signing key's SubjectPublicKeyInfo, base64 (no PEM armour)."),
        "token-service": string(), "account-service": string(), "tokens-not-before": integer(),
    }, "The realm's public document."),
    "KeycloakUserInfo": obj({
        "sub": string(), "email_verified": boolean(), "preferred_username": string(), "name": string(),
        "given_name": string(), "family_name": string(), "email": string(),
    }, "Standard claims of the token's user.", optional=("name", "given_name", "family_name", "email")),
    "KeycloakIntrospection": obj({
        "active": boolean(), "sub": string(), "client_id": string(), "username": string(),
        "token_type": string(), "exp": integer(), "iat": integer(), "scope": string(),
    }, "RFC 7662: `{\"active\": false}`, or the token's claims with `active: true`.", required=("active",),
        additional=True),
    "KeycloakRole": obj({
        "id": string(), "name": string(), "description": string(), "composite": boolean(),
        "clientRole": boolean(), "containerId": string(),
    }, "A realm role (RoleRepresentation)."),
}

PATHS: dict[str, Any] = {
    REALM: {"get": operation(
        "keycloak.realm", "Keycloak: the realm document (public key)", TAG_LOGIN,
        {"200": answer("The realm.", ref("KeycloakRealm"))}, security=[]),
    },
    f"{REALM}/.well-known/openid-configuration": {"get": operation(
        "keycloak.discovery", "OpenID Connect discovery", TAG_LOGIN,
        {"200": answer("The provider's configuration.", ref("OpenIdConfiguration"))}, security=[]),
    },
    f"{OIDC}/certs": {"get": operation(
        "keycloak.certs", "JWKS: the keys that sign the tokens", TAG_LOGIN,
        {"200": answer("The key set.", ref("JsonWebKeySet"))}, security=[]),
    },
    f"{OIDC}/userinfo": {
        method: operation(
            f"keycloak.userinfo.{method}", "OpenID Connect userinfo", TAG_LOGIN,
            {"200": answer("The user's claims.", ref("KeycloakUserInfo")),
             "401": answer("No token, a bad or expired one, or its session ended by logout.", _OAUTH_ERROR,
                           headers={"WWW-Authenticate": header("`Bearer realm=\"master\", error=...`")}),
             "403": answer("The token lacks the `openid` scope.", _OAUTH_ERROR)},
            description="Needs an access token whose scope has `openid` (as Keycloak since version 19).",
            security=BEARER)
        for method in ("get", "post")
    },
    f"{OIDC}/logout": {"post": operation(
        "keycloak.logout", "End the session of a refresh token", TAG_LOGIN,
        {"204": answer("Ended: the session's refresh tokens are refused from now on (`Session not active`)."),
         "400": answer("No or a bad refresh token, or another client's.", _OAUTH_ERROR),
         "401": answer("Unknown client or wrong secret.", _OAUTH_ERROR)},
        request_body=_form({**_FORM_CLIENT, "refresh_token": string()}, optional=("client_secret",)), security=[]),
    },
    f"{OIDC}/token/introspect": {"post": operation(
        "keycloak.introspect", "Token introspection (confidential clients)", TAG_LOGIN,
        {"200": answer("The token's state.", ref("KeycloakIntrospection")),
         "400": answer("No `token`.", _OAUTH_ERROR),
         "401": answer("Unknown client, no or a wrong secret.", _OAUTH_ERROR),
         "403": answer("A public client (`Client not allowed.`).", _OAUTH_ERROR)},
        request_body=_form({**_FORM_CLIENT, "token": string("An access, refresh or ID token.")},
                           optional=("client_secret",)), security=[]),
    },
    f"{ADMIN}/users/count": {"get": operation(
        "keycloak.users.count", "Keycloak admin API: count users", TAG_LOGIN,
        {"200": answer("How many users match (the filters of the user search).", integer()),
         **_admin_errors(400, 401)}, security=BEARER),
    },
    f"{ADMIN}/users/{{user_id}}/reset-password": {
        "parameters": [path_param("user_id", "Keycloak user id.")],
        "put": operation(
            "keycloak.users.resetPassword", "Keycloak admin API: set a user's password (admin)", TAG_LOGIN,
            {"204": answer("Set; a temporary one must be changed before the next login."),
             **_admin_errors(400, 401, 403, 404)},
            request_body=body(obj({"type": string("`password`"), "value": string(),
                                   "temporary": boolean("Default true, as in Keycloak.")},
                                  optional=("type", "temporary")),
                              example={"type": "password", "value": "s3cret", "temporary": False}),
            security=BEARER),
    },
    f"{ADMIN}/users/{{user_id}}/role-mappings/realm": {
        "parameters": [path_param("user_id", "Keycloak user id.")],
        "get": operation(
            "keycloak.users.realmRoles", "Keycloak admin API: a user's realm roles", TAG_LOGIN,
            {"200": answer("`default-roles-master`, and `admin` for realm admins.", array(_ROLE)),
             **_admin_errors(401, 404)}, security=BEARER),
        "post": operation(
            "keycloak.users.realmRoles.add", "Keycloak admin API: map realm roles (admin)", TAG_LOGIN,
            {"204": answer("Mapped."), **_admin_errors(400, 401, 403, 404)},
            request_body=body(array(_ROLE_IN), example=[{"name": "admin"}]), security=BEARER),
        "delete": operation(
            "keycloak.users.realmRoles.remove", "Keycloak admin API: unmap realm roles (admin)", TAG_LOGIN,
            {"204": answer("Unmapped."), **_admin_errors(400, 401, 403, 404)},
            request_body=body(array(_ROLE_IN), example=[{"name": "admin"}]), security=BEARER),
    },
    f"{ADMIN}/roles": {"get": operation(
        "keycloak.roles", "Keycloak admin API: realm roles", TAG_LOGIN,
        {"200": answer("The realm's roles.", array(_ROLE)), **_admin_errors(401)}, security=BEARER),
    },
    f"{ADMIN}/roles/{{role_name}}": {
        "parameters": [path_param("role_name", "Role name.")],
        "get": operation(
            "keycloak.roles.get", "Keycloak admin API: a realm role", TAG_LOGIN,
            {"200": answer("The role.", _ROLE), **_admin_errors(401, 404)}, security=BEARER),
    },
}

#: operations added to paths the Wallaroo module already describes
USERS_POST = operation(
    "keycloak.users.create", "Keycloak admin API: create a user (admin)", TAG_LOGIN,
    {"201": answer("Created; no body.", headers={"Location": header("The new user's URL (its id is the last part).")}),
     **_admin_errors(400, 401, 403, 409)},
    description="The user is the same as one made by `users/invite`. Without `enabled: true` the user is "
                "disabled, as in Keycloak; without a password credential it cannot log in.",
    request_body=body(obj({
        "username": string(), "email": string(), "firstName": string(), "lastName": string(),
        "enabled": boolean(), "emailVerified": boolean(), "requiredActions": array(string()),
        "credentials": array(obj({"type": string(), "value": string(), "temporary": boolean()},
                                 optional=("type", "temporary"))),
    }, "A UserRepresentation.", required=("username",), additional=ANY),
        example={"username": "new@example.com", "email": "new@example.com", "enabled": True,
                 "credentials": [{"type": "password", "value": "s3cret", "temporary": False}]}),
    security=BEARER)
USER_DELETE = operation(
    "keycloak.users.delete", "Keycloak admin API: delete a user (admin)", TAG_LOGIN,
    {"204": answer("Deleted with their memberships; their tokens are refused from now on."),
     **_admin_errors(401, 403, 404)}, security=BEARER)
# merged per operation into the paths the Wallaroo section already describes (document.py)
PATHS[f"{ADMIN}/users"] = {"post": USERS_POST}
PATHS[f"{ADMIN}/users/{{user_id}}"] = {"delete": USER_DELETE}
