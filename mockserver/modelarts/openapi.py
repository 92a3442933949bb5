"""The ModelArts workspace API, its API gateway errors and the two IAM endpoints clients need.

Shapes follow the ModelArts API reference, the ``huaweicloudsdkmodelarts`` models and
docs/modelarts.md (the fidelity contract).
"""

from __future__ import annotations

from typing import Any

from ..openapi.schema import (
    ANY,
    answer,
    array,
    body,
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
    boolean,
)

TAG_WORKSPACES = "ModelArts: workspaces"
TAG_QUOTAS = "ModelArts: quotas, authorization checks, IAM users"
TAG_IAM = "IAM (Keystone)"

#: sections served beside this API's, merged into the document per operation (its identity provider)
EXTENSIONS = ("mockserver.openapi.keystone",)

TAGS = [
    {"name": TAG_WORKSPACES, "description": "`/v1/{project_id}/workspaces`. Every route authenticates first, as "
     "the API gateway does (`X-Auth-Token` or an SDK-HMAC-SHA256 signature), then checks the project. Errors are "
     "`{\"error_msg\", \"error_code\", \"request_id\"}`; every answer carries `X-Request-Id`. An unknown route, "
     "or a known one with another method, is the gateway's 404 `APIG.0101`."},
    {"name": TAG_QUOTAS, "description": "Per-workspace quotas, the authorization check and the account's IAM "
     "users."},
    {"name": TAG_IAM, "description": "Keystone's password login (`POST /v3/auth/tokens`, token in "
     "`X-Subject-Token`) and the project lookup the SDK makes without a project id. Errors are "
     "`{\"error\": {\"code\", \"message\", \"title\"}}`."},
]

SECURITY: list[dict[str, list[str]]] = [{"modelartsToken": []}, {"modelartsSignature": []}]

SECURITY_SCHEMES = {
    "modelartsToken": {
        "type": "apiKey", "in": "header", "name": "X-Auth-Token",
        "description": "A project-scoped IAM token (`POST /v3/auth/tokens`, or "
                       "`server.modelarts.issue_token(...)`), valid 24 hours of mock time.",
    },
    "modelartsSignature": {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": "AK/SK signing as `huaweicloudsdkcore` does it: `Authorization: SDK-HMAC-SHA256 "
                       "Access=<AK>, SignedHeaders=<h1;h2>, Signature=<hex>`, with `X-Sdk-Date` "
                       "(`YYYYMMDDTHHMMSSZ`, within 15 minutes of the mock clock) and `X-Project-Id`.",
    },
}

_REQUEST_ID = {"X-Request-Id": header("32 hex digits; error bodies repeat it as `request_id`.")}
_PROJECT = path_param("project_id", "The project (IAM project id; never `api`).")
_WORKSPACE = path_param("workspace_id", "32 hex digits, or `0` for the default workspace.")

_GRANT_IN = obj({
    "user_id": string("IAM user id; wins over `user_name`."),
    "user_name": string("IAM user name."),
    "user_type": string("`IAM` (default), `FEDERATE` or `AGENCY`, any letter case."),
}, "One of `user_id` and `user_name` is needed.", required=())

_WORKSPACE_MEMBERS: dict[str, Any] = {
    "id": string("32 hex digits; `0` is the project's default workspace."),
    "name": string(),
    "description": string(),
    "owner": string("The creator's IAM user name."),
    "create_time": integer("Epoch milliseconds (mock clock).", format="int64"),
    "update_time": integer("Epoch milliseconds (mock clock).", format="int64"),
    "enterprise_project_id": string(),
    "enterprise_project_name": string(),
    "auth_type": enum(["public", "private", "internal", "PUBLIC", "PRIVATE", "INTERNAL"],
                      "Lower case unless the scenario setting `auth_type_case` is `upper`."),
    "status": enum(["NORMAL", "DELETING", "CREATE_FAILED", "DELETE_FAILED"]),
    "status_info": string(),
}

_QUOTA_MEMBERS: dict[str, Any] = {
    "name_en": string(), "name_cn": string(), "resource": string("e.g. `exemlProject.gpu_duration`."),
    "quota": integer("-1: unlimited."), "min_quota": integer(), "max_quota": integer(),
    "unit_en": string(), "unit_cn": string(),
    "update_time": integer("Epoch milliseconds: the workspace's create time until the quota changes.",
                           format="int64"),
}

SCHEMAS: dict[str, Any] = {
    "ModelArtsError": obj({
        "error_msg": string(), "error_code": string("e.g. `ModelArts.0104`, `APIG.0301`."),
        "request_id": string("Equal to the `X-Request-Id` header."),
    }, "The error body of ModelArts and of its API gateway."),
    "KeystoneError": obj({"error": obj({"code": integer(), "message": string(), "title": string()})},
                         "The error body of IAM."),
    "KeystoneToken": obj({"token": obj({
        "expires_at": string(format="date-time"), "methods": array(string()),
        "catalog": array(ref("KeystoneService"), "Absent with `?nocatalog=...` and for unscoped tokens."),
        "domain": ref("IamDomain"),
        "roles": array(obj({"id": string(), "name": string()})),
        "project": obj({"domain": ref("IamDomain"), "id": string(), "name": string()}),
        "issued_at": string(format="date-time"),
        "user": obj({"domain": ref("IamDomain"), "id": string(), "name": string(),
                     "password_expires_at": string()}),
    }, optional=("catalog", "domain", "roles", "project"))}, "A token's description."),
    "KeystoneService": obj({"endpoints": array(obj({
        "id": string(), "interface": string(), "region": string(), "region_id": string(),
        "url": string()})), "id": string(), "name": string(), "type": string()}, "A catalog entry."),
    "ModelArtsWorkspace": obj(dict(_WORKSPACE_MEMBERS), "A workspace as listed."),
    "ModelArtsCreatedWorkspace": obj({**_WORKSPACE_MEMBERS, "grants": array(obj({
        "user_id": string(), "user_name": string()}))}, "A workspace as the create call answers it."),
    "ModelArtsShownWorkspace": obj({**_WORKSPACE_MEMBERS, "grants": array(obj({
        "user_id": string(), "user_name": string(), "user_type": enum(["IAM", "FEDERATE", "AGENCY"])}))},
        "A workspace as the show call answers it."),
    "ModelArtsWorkspaceId": obj({"workspace_id": string()}),
    "ModelArtsQuota": obj({**_QUOTA_MEMBERS, "used_quota": nullable(integer("null when the quota is -1."))}),
    "ModelArtsUpdatedQuota": obj(dict(_QUOTA_MEMBERS), "A changed quota (without `used_quota`)."),
    "IamDomain": obj({"id": string(), "name": string()}),
}

_ERRORS = {
    400: "Invalid body or query (`ModelArts.0101`, `0104`), unknown workspace (`0104 ... not exist.`), the "
         "default workspace (`3566`), an abnormal status (`7004`), the workspace limit (`7006`).",
    401: "No or bad credentials (`APIG.0301`); a token without a project (`ModelArts.0212`).",
    403: "Credentials of another project (`ModelArts.0210`); no access to the workspace or the action denied "
         "(`ModelArts.0108`).",
}


def _op(operation_id: str, summary: str, tag: str, ok: dict[str, Any], statuses: tuple[int, ...], *,
        description: str | None = None, request_body: dict[str, Any] | None = None,
        parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    responses = {"200": {**ok, "headers": _REQUEST_ID}}
    for status in statuses:
        responses[str(status)] = answer(_ERRORS[status], ref("ModelArtsError"), headers=_REQUEST_ID)
    return operation(operation_id, summary, tag, responses, description=description, request_body=request_body,
                     parameters=parameters, security=SECURITY)


_WORKSPACE_BODY = {
    "name": string("4-64 of `A-Za-z0-9-_`; not `default`; unique in the project."),
    "description": string("0-256 characters."),
    "enterprise_project_id": string("Default `0`."),
    "auth_type": string("`PUBLIC` (default), `PRIVATE` or `INTERNAL`, any letter case."),
    "grants": array(_GRANT_IN, "Only with `INTERNAL` (and required then)."),
}

PATHS: dict[str, Any] = {
    "/v1/{project_id}/workspaces": {
        "parameters": [_PROJECT],
        "get": _op("ListWorkspace", "List workspaces", TAG_WORKSPACES, answer("A page of workspaces.", obj({
            "total_count": integer("Matches before paging."), "count": integer("Items on this page."),
            "workspaces": array(ref("ModelArtsWorkspace"))})), (400, 401, 403),
            description="`offset` is a page number: the first item is `offset * limit`.",
            parameters=[
                query("offset", integer(minimum=0), "Page number (default 0)."),
                query("limit", integer(minimum=1), "Page size (default 1000)."),
                query("sort_by", enum(["name", "update_time", "status"]), "Default `name`."),
                query("order", enum(["asc", "desc"]), "Default `desc`."),
                query("enterprise_project_id", string(), "Exact match."),
                query("name", string(), "Case-insensitive substring."),
                query("filter_accessible", boolean(), "Leave out workspaces the caller cannot open."),
            ]),
        "post": _op("CreateWorkspace", "Create a workspace", TAG_WORKSPACES,
                    answer("The new workspace.", ref("ModelArtsCreatedWorkspace")), (400, 401, 403),
                    description="The caller becomes `owner`; quotas start unlimited.",
                    request_body=body(obj(dict(_WORKSPACE_BODY), required=("name",)),
                                      example={"name": "test-workspace", "description": "for tests"})),
    },
    "/v1/{project_id}/workspaces/{workspace_id}": {
        "parameters": [_PROJECT, _WORKSPACE],
        "get": _op("ShowWorkspace", "Show a workspace", TAG_WORKSPACES,
                   answer("The workspace.", ref("ModelArtsShownWorkspace")), (400, 401, 403)),
        "put": _op("UpdateWorkspace", "Update a workspace", TAG_WORKSPACES,
                   answer("Its id.", ref("ModelArtsWorkspaceId")), (400, 401, 403),
                   description="Only the members given change; `update_time` moves to now.",
                   request_body=body(obj({k: v for k, v in _WORKSPACE_BODY.items() if k != "enterprise_project_id"},
                                         required=()), example={"description": "renamed"})),
        "delete": _op("DeleteWorkspace", "Delete a workspace", TAG_WORKSPACES,
                      answer("Its id.", ref("ModelArtsWorkspaceId")), (400, 401, 403),
                      description="Gone at once, or `DELETING` for `delete_delay_seconds` of mock time."),
    },
    "/v1/{project_id}/workspaces/{workspace_id}/quotas": {
        "parameters": [_PROJECT, _WORKSPACE],
        "get": _op("ShowWorkspaceQuotas", "Show a workspace's quotas", TAG_QUOTAS,
                   answer("The whole catalogue.", obj({"quotas": array(ref("ModelArtsQuota"))})), (400, 401, 403)),
        "put": _op("UpdateWorkspaceQuotas", "Change a workspace's quotas", TAG_QUOTAS,
                   answer("The changed quotas, in request order.",
                          obj({"quotas": array(ref("ModelArtsUpdatedQuota"))})), (400, 401, 403),
                   description="All items are checked before any changes: -1, or a positive integer within "
                               "`[min_quota, max_quota]`.",
                   request_body=body(obj({"quotas": array(obj({
                       "resource": string(), "quota": integer(),
                       "workspace_id": string("Accepted and ignored (the docs' example sends it)."),
                   }, optional=("workspace_id",)))}),
                       example={"quotas": [{"resource": "exemlProject.gpu_duration", "quota": 10}]})),
    },
    "/v1/{project_id}/workspaces/{workspace_id}/auth": {
        "parameters": [_PROJECT, _WORKSPACE],
        "post": _op("ValidateAuthorization", "Check actions against the caller's permissions", TAG_QUOTAS,
                    answer("A verdict per request.", obj({"results": array(obj({
                        "action": string(), "verdict": enum(["allow", "deny"]), "action_id": string(),
                        "resource": string("Echoed; `\"\"` when absent."),
                        "cause": array(obj({"policy_name": string(), "condition": array(obj({
                            "key": string(), "operator": string(), "value": array(string())}))})),
                    }))})), (400, 401, 403),
                    request_body=body(obj({"requests": array(obj({
                        "action_id": string(), "action": string("`service:resource:operation`."),
                        "resource": string(), "service_attributes": mapping(string()),
                    }, optional=("resource", "service_attributes")))}),
                        example={"requests": [{"action_id": "1", "action": "modelarts:workspace:get"}]})),
    },
    "/v1/{project_id}/workspaces/users/list": {
        "parameters": [_PROJECT],
        "get": _op("ListUsers", "List the account's IAM users", TAG_QUOTAS,
                   answer("Users in scenario order.", obj({"users": array(obj({"userName": string()}))})),
                   (400, 401, 403), description="400 `ModelArts.7003` when the caller may not list IAM users."),
    },
    "/v3/auth/tokens": {"post": operation(
        "KeystoneCreateUserTokenByPassword", "IAM: get a token (password or token method)", TAG_IAM,
        {"201": answer("The token is in `X-Subject-Token`; the body describes it.", ref("KeystoneToken"),
            headers={"X-Subject-Token": header("The token, for `X-Auth-Token`."), **_REQUEST_ID}),
         "400": answer("The body is not a password or token login.", ref("KeystoneError"), headers=_REQUEST_ID),
         "401": answer("Wrong user, domain or password; a bad, expired or revoked token to re-scope; a scope the "
                       "user has no access to.",
                       ref("KeystoneError"), headers=_REQUEST_ID)},
        parameters=[query("nocatalog", string(), "Any value leaves the catalog out.")],
        request_body=body(obj({"auth": obj({
            "identity": obj({"methods": array(string("`password`, or `token` to re-scope a token.")),
                             "password": obj({"user": obj({
                                 "id": string(), "name": string(), "password": string(),
                                 "domain": obj({"id": string(), "name": string()}, required=()),
                             }, required=("password",))}),
                             "token": obj({"id": string("The token to re-scope (or send it as X-Auth-Token).")},
                                          required=())}, required=("methods",)),
            "scope": obj({"project": obj({"id": string(), "name": string(), "domain": ANY}, required=()),
                          "domain": obj({"id": string(), "name": string()}, required=())}, required=()),
        }, optional=("scope",))}), example={"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "modelarts-dev", "password": "modelarts-dev", "domain": {"name": "mock-account"}}}},
            "scope": {"project": {"name": "eu-de"}}}}),
        security=[]),
    },
    "/v3/projects": {"get": operation(
        "KeystoneListProjects", "IAM: list projects", TAG_IAM,
        {"200": answer("The caller's account's projects that match.", obj({
            "links": obj({"self": string(), "previous": nullable(string()), "next": nullable(string())}),
            "projects": array(obj({
                "is_domain": boolean(), "description": string(), "links": obj({"self": string()}),
                "enabled": boolean(), "id": string(), "parent_id": string(), "domain_id": string(),
                "name": string()}))}), headers=_REQUEST_ID),
         "400": answer("`page` or `per_page` out of range, not an integer, or given alone.", ref("KeystoneError"),
                       headers=_REQUEST_ID),
         "401": answer("No or bad credentials.", ref("KeystoneError"), headers=_REQUEST_ID)},
        parameters=[query("name", string(), "Exact project name (the SDK sends the region id)."),
                    query("domain_id", string(), "Exact account id."),
                    query("parent_id", string(), "Exact parent id: a region project's parent is its account."),
                    query("enabled", boolean(), "Projects are always enabled."),
                    query("is_domain", boolean(), "`true`: projects acting as domains (there are none)."),
                    query("page", integer(minimum=1), "Page number from 1; needs `per_page`."),
                    query("per_page", integer(minimum=1, maximum=5000), "Projects per page; needs `page`.")],
        security=SECURITY),
    },
}
