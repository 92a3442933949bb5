"""The Wallaroo MLOps API (workspaces, users), its Keycloak login and admin user API.

Shapes follow the vendor's OpenAPI 3.0.3 spec of these paths, the recorded answers and
docs/wallaroo.md (the fidelity contract), written here from those facts.
"""

from __future__ import annotations

from typing import Any

from ..openapi.schema import (
    EMPTY_OBJECT,
    ANY,
    answer,
    array,
    body,
    boolean,
    enum,
    header,
    integer,
    mapping,
    nullable,
    obj,
    operation,
    path_param,
    query,
    ref,
    string,
)

TAG_WORKSPACES = "Wallaroo: workspaces"
TAG_USERS = "Wallaroo: users"
TAG_LOGIN = "Wallaroo: platform and Keycloak"

#: sections served beside this API's, merged into the document per operation (its identity
#: provider; models, pipelines and inference, described beside their routes)
EXTENSIONS = ("mockserver.openapi.keycloak", "mockserver.wallaroo.catalog.openapi")

TAGS = [
    {"name": TAG_WORKSPACES, "description": "The MLOps API's workspace endpoints (`POST /v1/api/workspaces/*`). "
     "Errors are `{\"msg\", \"code\"}` with status 400, 401 or 500, the only ones the vendor's generated client "
     "parses."},
    {"name": TAG_USERS, "description": "The MLOps API's user endpoints. Admin-only ones answer 401 to other users."},
    {"name": TAG_LOGIN, "description": "What a Wallaroo client needs besides the MLOps API: the platform "
     "configuration, Keycloak's token endpoint (realm `master`), and the Keycloak admin user API and the "
     "GraphQL endpoint the high-level SDK uses."},
]

BEARER: list[dict[str, list[str]]] = [{"wallarooBearer": []}]

SECURITY_SCHEMES = {
    "wallarooBearer": {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "A Keycloak access token of realm `master` (from the token endpoint, or "
                       "`server.wallaroo.issue_token(...)`), sent as `Authorization: Bearer <token>`.",
    },
}

_WORKSPACE_ID = integer("Workspace numeric id.", minimum=0)
_WWW_AUTHENTICATE = {"WWW-Authenticate": header('Always `Bearer realm="master"`.')}

SCHEMAS: dict[str, Any] = {
    "WallarooError": obj({
        "msg": string("What went wrong."),
        "code": integer("The HTTP status, repeated.", minimum=0),
    }, "Every error of `/v1/api`, in the shape of Wallaroo's API service (`msg`: the message, `code`: the "
     "HTTP status): 400, 401 or 500, and the router's 404/405."),
    "WallarooWorkspace": obj({
        "id": _WORKSPACE_ID,
        "name": string("Unique on the instance; DNS-compatible."),
        "created_at": string("ISO 8601 with offset, as PostgreSQL renders a timestamptz "
                             "(`2024-07-11T16:53:30.02561+00:00`).", format="date-time"),
        "created_by": string("The creator's user id (email for default workspaces)."),
        "archived": boolean("Always false: nothing archives."),
        "models": array(integer(minimum=0), "Model ids."),
        "pipelines": array(integer(minimum=0), "Pipeline ids."),
    }, "A `workspaces/list` item: all seven members, in this order."),
    "WorkspaceMember": obj({
        "user_id": string("Keycloak user id."),
        "user_type": enum(["OWNER", "COLLABORATOR"]),
    }),
    "KeycloakUser": obj({
        "access": obj({
            "manageGroupMembership": boolean(), "view": boolean(), "mapRoles": boolean(),
            "impersonate": boolean(), "manage": boolean(),
        }),
        "createdTimestamp": integer("Epoch milliseconds."),
        "disableableCredentialTypes": array(string()),
        "email": string("Absent when the user has none (the built-in `admin`)."),
        "emailVerified": boolean(),
        "enabled": boolean(),
        "federatedIdentities": array(ANY, "Only in `users/query` answers by `user_ids`."),
        "firstName": string("Absent when unset."),
        "id": string("Keycloak user id (a UUID)."),
        "lastLogin": nullable(integer("Only in `users/query`: epoch ms of the last password login (null when "
                                      "never, and always null in a query by `user_ids`, as recorded).")),
        "lastName": string("Absent when unset."),
        "notBefore": integer(),
        "realmRoles": array(string(), "Only in `users/query {}` answers, for admins: `[\"admin\"]`."),
        "requiredActions": array(string(), "e.g. `UPDATE_PASSWORD` for users invited with `require_reset`."),
        "totp": boolean("Only in the Keycloak admin API's answers."),
        "username": string(),
    }, "Keycloak's UserRepresentation.", optional=("email", "federatedIdentities", "firstName", "lastName", "totp",
                                                    "disableableCredentialTypes", "notBefore", "requiredActions",
                                                    "lastLogin", "realmRoles")),
    "KeycloakTokenResponse": obj({
        "access_token": string("A JWT signed RS256 with the realm key named by its `kid` (see `certs`)."),
        "expires_in": integer("Seconds (scenario setting `access_token_lifetime`, default 3600)."),
        "refresh_expires_in": integer("Seconds (`refresh_token_lifetime`, default 1800)."),
        "refresh_token": string("A JWT with `typ: Refresh` (not for client_credentials)."),
        "id_token": string("With the `openid` scope: a JWT with `typ: ID` and the client as audience."),
        "token_type": enum(["Bearer"]),
        "not-before-policy": integer(),
        "session_state": string(),
        "scope": string("`profile email`, with `openid` first when it was asked for."),
    }, optional=("refresh_token", "id_token", "session_state")),
    "KeycloakOAuthError": obj({
        "error": string("`invalid_grant`, `invalid_request`, `invalid_client` or `unsupported_grant_type`."),
        "error_description": string(),
    }, "Keycloak's OAuth error shape, for the token endpoint."),
    "GraphQLResponse": obj({
        "data": ANY,
        "errors": array(obj({
            "extensions": obj({"path": string("JSON path of what failed, e.g. `$.selectionSet.workspace_by_pk`."),
                               "code": string("Hasura's code: `validation-failed`, `constraint-violation`, "
                                              "`invalid-jwt`...")}),
            "message": string(),
        }), "One error; no `data` then."),
    }, "Hasura's answer: `{\"data\"}` or `{\"errors\"}`.", optional=("data", "errors")),
    "KeycloakAdminError": obj({
        "error": string(),
        "errorMessage": string("Instead of `error` on a 409, and on a 400 for an attribute the user profile "
                               "refuses (e.g. `error-username-invalid-character`)."),
        "field": string("With such a 400: the attribute refused (`username`)."),
        "params": array(string(), "With such a 400: `[<field>]`."),
    }, "Keycloak admin API errors: `{\"error\"}` (or `{\"errorMessage\"}` for a 409, "
       "`{\"field\", \"errorMessage\", \"params\"}` for a refused attribute).", required=()),
}


def _errors(*statuses: int) -> dict[str, Any]:
    texts = {
        400: "A member is missing or of the wrong type, the body is not JSON, or the request breaks a rule "
             "(unknown workspace, invalid or taken name...).",
        401: "No, malformed, invalid or expired token; a disabled or unknown user; or a permissions error.",
        500: "Only where the real API was recorded answering 500 (an email no user has).",
    }
    return {str(status): answer(texts[status], ref("WallarooError"),
                                headers=_WWW_AUTHENTICATE if status == 401 else None)
            for status in statuses}


def _mlops(operation_id: str, summary: str, tag: str, request: dict[str, Any] | None, ok: Any,
           statuses: tuple[int, ...], description: str | None = None) -> dict[str, Any]:
    return operation(operation_id, summary, tag, {"200": answer("Success.", ok), **_errors(*statuses)},
                     description=description, request_body=request, security=BEARER)


_MEMBER_REF = {
    "workspace_id": _WORKSPACE_ID,
    "email": nullable(string("The user's email; decides when both are given.")),
    "user_id": nullable(string("The user's Keycloak id.")),
}

PATHS: dict[str, Any] = {
    "/v1/api/workspaces/list": {"post": _mlops(
        "workspaces.list", "List workspaces", TAG_WORKSPACES,
        body(obj({
            "user_id": nullable(string("Only the workspaces this user belongs to (spec, SDK).")),
            "user_ids": nullable(array(string(), "Only the workspaces these users belong to (newer docs); "
                                                 "a union with `user_id`.")),
        }, optional=("user_id", "user_ids")), "`{}` lists what the caller may see: every workspace for admins, "
             "their memberships for others.", example={}),
        obj({"workspaces": array(ref("WallarooWorkspace"))}), (400, 401),
        "Ordered by id."),
    },
    "/v1/api/workspaces/create": {"post": _mlops(
        "workspaces.create", "Create a workspace", TAG_WORKSPACES,
        body(obj({"workspace_name": string("DNS-compatible: ASCII letters, digits and `-`, a letter first, "
                                           "no `-` last, under 64 characters; unique on the instance.")}),
             example={"workspace_name": "fraud-detection"}),
        obj({"workspace_id": _WORKSPACE_ID}), (400, 401),
        "The caller becomes the workspace's OWNER. A caller without an email (the built-in `admin`) gets a 400."),
    },
    "/v1/api/workspaces/add_user": {"post": _mlops(
        "workspaces.add_user", "Add a user to a workspace", TAG_WORKSPACES,
        body(obj({**_MEMBER_REF,
                  "url": nullable(string("Accepted and ignored (the SDK sends it).")),
                  "user_type": nullable(string("`OWNER` or `COLLABORATOR` in any letter case; default "
                                               "COLLABORATOR."))},
                 optional=("email", "user_id", "url", "user_type")),
             example={"workspace_id": 1, "email": "developer@example.com", "user_type": "COLLABORATOR"}),
        EMPTY_OBJECT, (400, 401, 500),
        "Re-adding a member updates its `user_type`. An email or id no user has is the recorded 500."),
    },
    "/v1/api/workspaces/list_users": {"post": _mlops(
        "workspaces.list_users", "List a workspace's users", TAG_WORKSPACES,
        body(obj({"workspace_id": _WORKSPACE_ID}), example={"workspace_id": 1}),
        obj({"users": array(ref("WorkspaceMember"))}), (400, 401), "Members in the order they joined."),
    },
    "/v1/api/workspaces/remove_user": {"post": _mlops(
        "workspaces.remove_user", "Remove a user from a workspace", TAG_WORKSPACES,
        body(obj(dict(_MEMBER_REF), optional=("email", "user_id")),
             example={"workspace_id": 1, "user_id": "3c9a2e57-6a1f-4d0b-8f2e-5b7d1c4e9a01"}),
        obj({"affected_rows": integer("1 if the user was a member, else 0.", minimum=0, maximum=1)}),
        (400, 401, 500), "An email no user has is the recorded 500."),
    },
    "/v1/api/workspaces/validate": {"post": _mlops(
        "workspaces.validate", "Validate workspaces (admin)", TAG_WORKSPACES,
        body(EMPTY_OBJECT, "None needed; a JSON body is accepted and ignored.", required=False),
        EMPTY_OBJECT, (400, 401), "One-time migrations on a real instance; here always `{}`."),
    },
    "/v1/api/users/query": {"post": _mlops(
        "users.query", "Query users", TAG_USERS,
        body(obj({"user_ids": nullable(array(string(), "Only these users; unknown ids map to null."))},
                 optional=("user_ids",)), example={}),
        obj({"users": mapping(nullable(ref("KeycloakUser")), "User id -> representation (or null).")}),
        (400, 401), "Open to every authenticated user."),
    },
    "/v1/api/users/invite": {"post": _mlops(
        "users.invite", "Invite a user (admin)", TAG_USERS,
        body(obj({
            "email": string(),
            "roles": nullable(array(string(), "`admin` (or `admin_user`) makes an admin.")),
            "password": nullable(string("Generated (`Mock-` + 12 hex digits) when absent.")),
            "require_reset": nullable(boolean("Adds the required action UPDATE_PASSWORD.")),
        }, optional=("roles", "password", "require_reset")), example={"email": "ana@example.com"}),
        obj({"id": string("The new user's id (a UUID)."), "password": string()}), (400, 401),
        "The user gets a default workspace `<email> - Default Workspace` unless the scenario setting "
        "`default_workspace_on_invite` is false."),
    },
    "/v1/api/users/deactivate": {"post": _mlops(
        "users.deactivate", "Deactivate a user (admin)", TAG_USERS,
        body(obj({"email": string()}), example={"email": "ana@example.com"}), EMPTY_OBJECT, (400, 401, 500),
        "Their tokens stop working at once. An email no user has is the recorded 500."),
    },
    "/v1/api/users/activate": {"post": _mlops(
        "users.activate", "Activate a user (admin)", TAG_USERS,
        body(obj({"email": string()}), example={"email": "ana@example.com"}), EMPTY_OBJECT, (400, 401, 500),
        "An email no user has is the recorded 500."),
    },
    "/v1/api/user": {"post": _mlops(
        "users.edit", "Edit a user (admin)", TAG_USERS,
        body(obj({"id": string(), "firstName": string(), "lastName": string(), "email": string(),
                  "enabled": boolean(), "isAdmin": boolean()}, "Every member is required (camelCase)."),
             example={"id": "3c9a2e57-6a1f-4d0b-8f2e-5b7d1c4e9a01", "firstName": "Dev", "lastName": "Eloper",
                      "email": "developer@example.com", "enabled": True, "isAdmin": True}),
        EMPTY_OBJECT, (400, 401)),
    },
    "/v1/graphql": {"post": operation(
        "graphql", "GraphQL (Hasura): workspaces, members, default workspaces", TAG_LOGIN,
        {"200": answer("Always 200, errors included (as Hasura answers): `data`, or `errors` with Hasura's "
                       "codes (token problems too). A JSON array of requests gets an array of answers.",
                       ref("GraphQLResponse"))},
        description="The tables `workspace`, `workspace_users` and `user_default_workspace` of the same store, "
                    "as the high-level SDK reads and changes them; introspection works. See docs/wallaroo.md.",
        request_body=body(obj({
            "query": string("A GraphQL document."),
            "variables": nullable(mapping(ANY)),
            "operationName": nullable(string()),
        }, optional=("variables", "operationName")), example={
            "query": "query WorkspaceById($id: bigint!) { workspace_by_pk(id: $id) { id name users { user_id } } }",
            "variables": {"id": 1}}),
        security=BEARER),
    },
    "/v1/api/config": {"get": operation(
        "config", "Platform configuration", TAG_LOGIN,
        {"200": answer("`{\"default_arch\"}`: what the SDK reads before an upload (scenario setting "
                       "`default_arch`, default `x86`).", obj({"default_arch": enum(["x86", "arm", "power10"])}))},
        description="Read without authentication by `wallaroo.Client()` when it is built.", security=[]),
    },
    "/auth/realms/master/protocol/openid-connect/token": {"post": operation(
        "keycloak.token", "Keycloak token endpoint (realm master)", TAG_LOGIN,
        {"200": answer("Tokens.", ref("KeycloakTokenResponse")),
         "400": answer("No grant_type, unsupported grant, disabled or not fully set-up account, bad or "
                       "inactive refresh token.", ref("KeycloakOAuthError")),
         "401": answer("Wrong or missing credentials, unknown or missing client.", ref("KeycloakOAuthError"))},
        description="The password grant (`username` is the username or the email, case-insensitively), the "
                    "refresh_token grant and, for the confidential `api-client` with its secret, client_credentials. "
                    "Public clients: `sdk-client`, `admin-cli`, `account`, `security-admin-console`. "
                    "`api-client`'s secret is checked whenever it is sent (form or HTTP Basic).",
        request_body={"required": True, "content": {"application/x-www-form-urlencoded": {
            "schema": obj({
                "grant_type": enum(["password", "refresh_token", "client_credentials"]),
                "client_id": string(),
                "username": string("Password grant."),
                "password": string("Password grant."),
                "refresh_token": string("Refresh grant."),
                "client_secret": string("`api-client`'s secret (scenario setting `api_client_secret`)."),
                "scope": string("`openid` adds an ID token."),
                "nonce": string("Copied into the ID token."),
            }, optional=("username", "password", "refresh_token", "client_secret", "scope", "nonce")),
            "example": {"grant_type": "password", "client_id": "sdk-client", "username": "developer@example.com",
                        "password": "developer"}}}},
        security=[]),
    },
    "/auth/admin/realms/master/users": {"get": operation(
        "keycloak.users.search", "Keycloak admin API: search users", TAG_LOGIN,
        {"200": answer("Matching users, ordered by username.", array(ref("KeycloakUser"))),
         "400": answer("`first` or `max` not a non-negative integer.", ref("KeycloakAdminError")),
         "401": answer("Any token problem.", ref("KeycloakAdminError"))},
        parameters=[
            query("email", string(), "Substring of the email, case-insensitive (exact with `exact=true`)."),
            query("username", string(), "Substring of the username (exact with `exact=true`)."),
            query("firstName", string(), "Substring of the first name (exact with `exact=true`)."),
            query("lastName", string(), "Substring of the last name (exact with `exact=true`)."),
            query("enabled", boolean(), "Only enabled (`true`) or disabled users; any text but `true` is false."),
            query("emailVerified", boolean(), "Only users whose email is (not) verified."),
            query("search", string(), "Substring of username, email, first or last name (`id:<id>`: one user); "
                                      "with it only `enabled` applies, as in Keycloak."),
            query("exact", boolean(), "Exact (case-insensitive) matches for the name and email filters."),
            query("q", string(), "`key:value` pairs (values may be quoted); keys other than the filters' names "
                                 "are user attributes, which no user here has."),
            query("idpAlias", string(), "Users linked to this identity provider: none (there are none)."),
            query("idpUserId", string(), "Users with this identity-provider user id: none."),
            query("briefRepresentation", boolean(), "`true`: Keycloak's brief representation (no "
                                                    "`disableableCredentialTypes`, `notBefore`, "
                                                    "`requiredActions`, `totp`)."),
            query("first", integer(minimum=0), "Results to skip (default 0)."),
            query("max", integer(minimum=0), "Most results (default 100)."),
        ], security=BEARER),
    },
    "/auth/admin/realms/master/users/{user_id}": {
        "parameters": [path_param("user_id", "Keycloak user id.")],
        "get": operation(
            "keycloak.users.get", "Keycloak admin API: a user", TAG_LOGIN,
            {"200": answer("The user.", ref("KeycloakUser")),
             "401": answer("Any token problem.", ref("KeycloakAdminError")),
             "404": answer("No such user.", ref("KeycloakAdminError"))},
            security=BEARER),
        "put": operation(
            "keycloak.users.update", "Keycloak admin API: update a user (admin)", TAG_LOGIN,
            {"204": answer("Updated; no body."),
             "400": answer("The body is not a JSON object or a member has the wrong type.",
                           ref("KeycloakAdminError")),
             "401": answer("Any token problem.", ref("KeycloakAdminError")),
             "403": answer("The caller is no admin.", ref("KeycloakAdminError")),
             "404": answer("No such user.", ref("KeycloakAdminError")),
             "409": answer("Another user has this email.", ref("KeycloakAdminError"))},
            description="`enabled`, `firstName`, `lastName`, `email`, `emailVerified` and `requiredActions` are "
                        "applied; other members are ignored.",
            request_body=body(obj({
                "enabled": boolean(), "firstName": string(), "lastName": string(), "email": string(),
                "emailVerified": boolean(), "requiredActions": array(string()),
            }, "A (partial) UserRepresentation.", required=()), example={"enabled": False}),
            security=BEARER),
    },
}
