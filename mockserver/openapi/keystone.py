"""IAM as Keystone v3 beyond the password login: version documents, token validation and
revocation, ``/v3/auth/*`` and the project lookup (docs/modelarts.md, "IAM (Keystone v3)")."""

from __future__ import annotations

from typing import Any

from ..modelarts.openapi import SECURITY, TAG_IAM
from .schema import answer, array, boolean, header, nullable, obj, operation, path_param, query, ref, string

_TRACE = {"X-IAM-Trace-Id": header("32 hex digits, new for every answer.")}
_ERROR = ref("KeystoneError")
_LINKS = obj({"self": string(), "previous": nullable(string()), "next": nullable(string())})
_SUBJECT = {"name": "X-Subject-Token", "in": "header", "required": True, "description": "The token to look at.",
            "schema": {"type": "string"}}


def _errors(**texts: str) -> dict[str, Any]:
    return {status.lstrip("_"): answer(text, _ERROR) for status, text in texts.items()}


_UNAUTHORIZED = "No, a bad, expired or revoked token, or a bad signature."

SCHEMAS: dict[str, Any] = {
    "KeystoneVersion": obj({
        "id": string("`v3.0`"), "status": string("`stable`"), "updated": string(format="date-time"),
        "links": array(obj({"rel": string(), "href": string()})),
        "media-types": array(obj({"base": string(), "type": string()})),
    }, "One API version."),
    "KeystoneProject": obj({
        "is_domain": boolean(), "description": string(), "links": obj({"self": string()}), "enabled": boolean(),
        "id": string(), "parent_id": string(), "domain_id": string(), "name": string(),
    }, "A project (an OTC region's project of the account)."),
}

PATHS: dict[str, Any] = {
    "/": {"get": operation(
        "KeystoneListVersions", "IAM: API versions", TAG_IAM,
        {"300": answer("Multiple Choices: the one version, v3.", obj({"versions": obj({
            "values": array(ref("KeystoneVersion"))})}), headers=_TRACE)},
        description="Keystone's version list; version discovery may start here.", security=[]),
    },
    "/v3": {"get": operation(
        "KeystoneShowVersion", "IAM: the v3 version document", TAG_IAM,
        {"200": answer("The version.", obj({"version": ref("KeystoneVersion")}), headers=_TRACE)},
        description="keystoneauth1 and openstacksdk read it to discover the identity API.", security=[]),
    },
    "/v3/auth/tokens": {
        "get": operation(
            "KeystoneValidateToken", "IAM: validate a token (also HEAD, without the body)", TAG_IAM,
            {"200": answer("The subject token's description, as its login answered it.", ref("KeystoneToken"),
                           headers={"X-Subject-Token": header("The subject token."), **_TRACE}),
             **_errors(_400="No `X-Subject-Token`.", _401=_UNAUTHORIZED,
                       _403="The subject token belongs to another account.",
                       _404="The subject token is not ours, expired, revoked, or its user is gone.")},
            parameters=[_SUBJECT, query("nocatalog", string(), "Any value leaves the catalog out.")],
            security=SECURITY),
        "delete": operation(
            "KeystoneRevokeToken", "IAM: revoke a token", TAG_IAM,
            {"204": answer("Revoked: refused everywhere from now on, also after a reset.", headers=_TRACE),
             **_errors(_400="No `X-Subject-Token`.", _401=_UNAUTHORIZED,
                       _403="The subject token belongs to another account.",
                       _404="The subject token is not ours, expired or already revoked.")},
            parameters=[_SUBJECT], security=SECURITY),
    },
    "/v3/auth/projects": {"get": operation(
        "KeystoneListAuthProjects", "IAM: projects the caller can scope to", TAG_IAM,
        {"200": answer("The caller's account's projects.", obj({"links": _LINKS, "projects": array(
            ref("KeystoneProject"))}), headers=_TRACE),
         **_errors(_401=_UNAUTHORIZED)}, security=SECURITY),
    },
    "/v3/auth/domains": {"get": operation(
        "KeystoneListAuthDomains", "IAM: domains the caller can scope to", TAG_IAM,
        {"200": answer("The caller's account (what `GlobalCredentials` without a domain id looks up).", obj({
            "links": _LINKS, "domains": array(obj({
                "enabled": boolean(), "id": string(), "name": string(), "description": string(),
                "links": obj({"self": string()})}))}), headers=_TRACE),
         **_errors(_401=_UNAUTHORIZED)}, security=SECURITY),
    },
    "/v3/auth/catalog": {"get": operation(
        "KeystoneShowCatalog", "IAM: the service catalog of the caller's token", TAG_IAM,
        {"200": answer("The catalog (AK/SK: of the account's first project).", obj({
            "links": _LINKS, "catalog": array(ref("KeystoneService"))}), headers=_TRACE),
         **_errors(_401=_UNAUTHORIZED, _403="An unscoped token has no catalog.")}, security=SECURITY),
    },
    "/v3/projects/{project_id}": {
        "parameters": [path_param("project_id", "Project id.")],
        "get": operation(
            "KeystoneShowProject", "IAM: a project", TAG_IAM,
            {"200": answer("The project.", obj({"project": ref("KeystoneProject")}), headers=_TRACE),
             **_errors(_401=_UNAUTHORIZED, _404="No such project in the caller's account.")},
            security=SECURITY),
    },
}
