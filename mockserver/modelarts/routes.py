"""ModelArts workspace and IAM routes: thin views over :class:`~mockserver.modelarts.backend.ModelArtsBackend`.

Served at the root of the host (the SDK drops any path of the endpoint). The project id
segment never matches ``api``, so ``/v1/api/...`` stays Wallaroo's. Every ModelArts view
authenticates first (the gateway), then checks the project (ModelArts), then parses.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response, request

from ..responses import app_json
from ..context import current
from . import exceptions as errors
from . import keystone, parsing
from .backend import ModelArtsBackend
from .records import Caller

blueprint = Blueprint("modelarts", __name__)

PROJECT = '<regex("(?!api$)[^/]+"):project_id>'
WORKSPACES = f"/v1/{PROJECT}/workspaces"


def backend() -> ModelArtsBackend:
    return current().state["modelarts"]  # type: ignore[return-value]


def _credentials() -> Caller:
    authorization = request.headers.get("Authorization")
    return backend().authenticate(token=request.headers.get("X-Auth-Token"), authorization=authorization,
                                  signed=parsing.signed_request() if authorization else None)


def caller(project_id: str) -> Caller:
    """The authenticated caller, allowed to act in ``project_id`` (else 401/403)."""
    who = _credentials()
    backend().authorize_project(who, project_id, request.headers.get("X-Project-Id"))
    return who


def ok(body: Any, status: int = 200) -> Response:
    return app_json(body, status)


def base_url() -> str:
    return request.host_url.rstrip("/")


# -- IAM (Keystone v3) -------------------------------------------------------------
def iam_caller() -> Caller:
    """The caller of an IAM API (X-Auth-Token or AK/SK); failures in Keystone's shape."""
    try:
        return _credentials()
    except errors.GatewayAuthError as error:
        raise errors.KeystoneUnauthorized(error.reason) from None


def iam_ok(body: Any, status: int = 200) -> Response:
    response = ok(body, status)
    response.headers["X-IAM-Trace-Id"] = uuid.uuid4().hex
    return response


def links() -> dict[str, Any]:
    return {"self": request.url, "previous": None, "next": None}


@blueprint.get("/")
def iam_versions() -> Response:
    """Keystone's version list (300 Multiple Choices), the first thing version discovery reads."""
    return iam_ok({"versions": {"values": [keystone.version(base_url())]}}, 300)


@blueprint.get("/v3")
def iam_version() -> Response:
    """The v3 version document: keystoneauth1 and openstacksdk discover the identity API here."""
    return iam_ok({"version": keystone.version(base_url())})


@blueprint.post("/v3/auth/tokens")
def iam_create_token() -> Response:
    login = parsing.password_login()
    scope: dict[str, Any] = dict(scope_project_id=login.scope_project_id, scope_project_name=login.scope_project_name,
                 scope_project_domain_id=login.scope_project_domain_id,
                 scope_project_domain_name=login.scope_project_domain_name, scope_domain_id=login.scope_domain_id,
                 scope_domain_name=login.scope_domain_name, base_url=base_url(), nocatalog=parsing.nocatalog())
    if login.token_id is not None:
        token, body = backend().keystone.rescope(login.token_id, **scope)
    else:
        token, body = backend().login(
            user_id=login.user_id, user_name=login.user_name, domain_id=login.domain_id,
            domain_name=login.domain_name, password=login.password or "", **scope)
    response = iam_ok(body, 201)
    response.headers["X-Subject-Token"] = token
    return response


def subject_token() -> str:
    token = request.headers.get("X-Subject-Token", "").strip()
    if not token:
        raise errors.KeystoneMissingSubjectToken()
    return token


@blueprint.get("/v3/auth/tokens")
def iam_validate_token() -> Response:
    """Also HEAD (Flask answers it from this view, without the body)."""
    who = iam_caller()
    token = subject_token()
    response = iam_ok(backend().keystone.validate(who, token, base_url=base_url(), nocatalog=parsing.nocatalog()))
    response.headers["X-Subject-Token"] = token
    return response


@blueprint.delete("/v3/auth/tokens")
def iam_revoke_token() -> Response:
    who = iam_caller()
    backend().keystone.revoke(who, subject_token())
    response = Response(status=204)
    del response.headers["Content-Type"]
    response.headers["X-IAM-Trace-Id"] = uuid.uuid4().hex
    return response


@blueprint.get("/v3/auth/projects")
def iam_auth_projects() -> Response:
    who = iam_caller()
    return iam_ok({"links": links(), "projects": backend().keystone.auth_projects(who, base_url=base_url())})


@blueprint.get("/v3/auth/domains")
def iam_auth_domains() -> Response:
    who = iam_caller()
    return iam_ok({"links": links(), "domains": backend().keystone.auth_domains(who, base_url=base_url())})


@blueprint.get("/v3/auth/catalog")
def iam_auth_catalog() -> Response:
    who = iam_caller()
    return iam_ok({"links": links(), "catalog": backend().keystone.catalog(who, base_url=base_url())})


@blueprint.get("/v3/projects")
def iam_list_projects() -> Response:
    who = iam_caller()
    projects = backend().list_projects(who, parsing.project_query(), base_url=base_url())
    return iam_ok({"links": links(), "projects": projects})


@blueprint.get("/v3/projects/<project_id>")
def iam_show_project(project_id: str) -> Response:
    who = iam_caller()
    return iam_ok({"project": backend().keystone.project(who, project_id, base_url=base_url())})


# -- workspaces ----------------------------------------------------------------------
@blueprint.get(WORKSPACES)
def list_workspaces(project_id: str) -> Response:
    who = caller(project_id)
    return ok(backend().list_workspaces(who, project_id, parsing.list_query()))


@blueprint.post(WORKSPACES)
def create_workspace(project_id: str) -> Response:
    who = caller(project_id)
    body = parsing.workspace_input(parsing.body_fields())
    return ok(backend().create_workspace(who, project_id, body))


# declared before <workspace_id> routes so the fixed path is never read as an id
@blueprint.get(f"{WORKSPACES}/users/list")
def list_iam_users(project_id: str) -> Response:
    who = caller(project_id)
    return ok(backend().list_iam_users(who, project_id))


@blueprint.get(f"{WORKSPACES}/<workspace_id>")
def show_workspace(project_id: str, workspace_id: str) -> Response:
    who = caller(project_id)
    return ok(backend().show_workspace(who, project_id, workspace_id))


@blueprint.put(f"{WORKSPACES}/<workspace_id>")
def update_workspace(project_id: str, workspace_id: str) -> Response:
    who = caller(project_id)
    body = parsing.workspace_input(parsing.body_fields())
    return ok(backend().update_workspace(who, project_id, workspace_id, body))


@blueprint.delete(f"{WORKSPACES}/<workspace_id>")
def delete_workspace(project_id: str, workspace_id: str) -> Response:
    who = caller(project_id)
    return ok(backend().delete_workspace(who, project_id, workspace_id))


@blueprint.get(f"{WORKSPACES}/<workspace_id>/quotas")
def show_quotas(project_id: str, workspace_id: str) -> Response:
    who = caller(project_id)
    return ok(backend().show_quotas(who, project_id, workspace_id))


@blueprint.put(f"{WORKSPACES}/<workspace_id>/quotas")
def update_quotas(project_id: str, workspace_id: str) -> Response:
    who = caller(project_id)
    changes = parsing.quota_changes(parsing.body_fields())
    return ok(backend().update_quotas(who, project_id, workspace_id, changes))


@blueprint.post(f"{WORKSPACES}/<workspace_id>/auth")
def validate_authorization(project_id: str, workspace_id: str) -> Response:
    who = caller(project_id)
    checks = parsing.auth_checks(parsing.body_fields())
    return ok(backend().validate_authorization(who, project_id, workspace_id, checks))
