"""ModelArts, API gateway and IAM errors: one class per error.

ModelArts and its gateway answer ``{"error_msg", "error_code", "request_id"}`` (the key
order of the documented example); the ``request_id`` is also sent as ``X-Request-Id``,
the only place the SDK reads it from. The IAM endpoints answer in Keystone's shape,
``{"error": {"code", "message", "title"}}``. docs/modelarts.md lists every choice.
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError


class ModelArtsError(ApiError):
    """Base: ``{"error_msg", "error_code", "request_id"}``."""

    status = 400
    error_code = "ModelArts.0104"
    description = "Parameter error."

    def body(self, request_id: str) -> dict[str, Any]:
        return {"error_msg": self.description, "error_code": self.error_code, "request_id": request_id}


# -- 400 ModelArts.0101: the body is not what the API can read ------------------------
class InvalidArgument(ModelArtsError):
    """Malformed JSON, a body that is not an object, a member of the wrong type."""

    error_code = "ModelArts.0101"
    description = "Invalid Argument."

    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid Argument. {reason}")


# -- 400 ModelArts.0104: parameter errors ---------------------------------------------
class ParameterError(ModelArtsError):
    error_code = "ModelArts.0104"
    description = "Parameter error."


class MissingParameter(ParameterError):
    def __init__(self, name: str) -> None:
        super().__init__(f"Parameter error. {name} is mandatory.")


class WorkspaceNotFound(ParameterError):
    """The one documented failure body of the workspace API."""

    def __init__(self, workspace_id: str) -> None:
        super().__init__(f"workspace: {workspace_id} not exist.")


class InvalidWorkspaceName(ParameterError):
    def __init__(self, name: str, *, cjk: bool = False) -> None:
        allowed = "letters, digits, Chinese characters, hyphens (-) and underscores (_)" if cjk else \
            "letters, digits, hyphens (-) and underscores (_)"
        super().__init__(f"Invalid workspace name: {name}. Enter 4 to 64 characters; only {allowed} are allowed.")


class ReservedWorkspaceName(ParameterError):
    def __init__(self, name: str) -> None:
        super().__init__(f"Invalid workspace name: {name}. The name default is reserved for the default workspace.")


class DuplicateWorkspaceName(ParameterError):
    def __init__(self, name: str) -> None:
        super().__init__(f"workspace name: {name} already exists.")


class DescriptionTooLong(ParameterError):
    def __init__(self, length: int) -> None:
        super().__init__(f"Invalid description: {length} characters. Enter 0 to 256 characters.")


class InvalidAuthType(ParameterError):
    def __init__(self, value: str) -> None:
        super().__init__(f"Invalid auth_type: {value}. Valid values: PUBLIC, PRIVATE, INTERNAL.")


class GrantsRequireInternal(ParameterError):
    description = "Parameter error. grants can be set only when auth_type is INTERNAL."


class InternalRequiresGrants(ParameterError):
    description = "Parameter error. grants is mandatory when auth_type is INTERNAL."


class InvalidGrant(ParameterError):
    def __init__(self, index: int, reason: str) -> None:
        super().__init__(f"Invalid grants[{index}]: {reason}")


class UnknownEnterpriseProject(ParameterError):
    def __init__(self, enterprise_project_id: str) -> None:
        super().__init__(f"enterprise project: {enterprise_project_id} not exist.")


class InvalidQueryParameter(ParameterError):
    def __init__(self, name: str, value: str, expected: str) -> None:
        super().__init__(f"Invalid {name}: {value}. {expected}")


class UnknownQuotaResource(ParameterError):
    def __init__(self, resource: str) -> None:
        super().__init__(f"Invalid quota resource: {resource}.")


class DuplicateQuotaResource(ParameterError):
    def __init__(self, resource: str) -> None:
        super().__init__(f"Invalid quotas: the resource {resource} appears more than once.")


class InvalidQuotaValue(ParameterError):
    def __init__(self, resource: str, value: int, minimum: int, maximum: int) -> None:
        super().__init__(f"Invalid quota {value} for the resource {resource}. The quota must be -1 (unlimited) or "
                         f"a positive integer from {max(minimum, 1)} to {maximum}.")


class InvalidAction(ParameterError):
    def __init__(self, index: int, action: str) -> None:
        super().__init__(f"Invalid requests[{index}].action: {action}. Expected service:resource:operation.")


# -- 400: workspace service errors -----------------------------------------------------
class DefaultWorkspaceForbidden(ModelArtsError):
    error_code = "ModelArts.3566"
    description = "Forbidden to modify the default workspace."


class WorkspaceAbnormal(ModelArtsError):
    error_code = "ModelArts.7004"

    def __init__(self, workspace_id: str, action: str) -> None:
        super().__init__(f"the status of workspace: {workspace_id} is abnormal, can not execute [action: {action}]")


class WorkspaceLimit(ModelArtsError):
    error_code = "ModelArts.7006"

    def __init__(self, limit: int) -> None:
        super().__init__(f"workspace number over limit, limit: {limit}")


class IamUserListForbidden(ModelArtsError):
    error_code = "ModelArts.7003"
    description = "no permission to get iam user list, please check permission"


# -- 401/403 from ModelArts itself -----------------------------------------------------
class NotAuthorized(ModelArtsError):
    status = 403
    error_code = "ModelArts.0108"

    def __init__(self, action: str) -> None:
        super().__init__(f"You are not authorized to perform the ({action}) operation.")


class ProjectMismatch(ModelArtsError):
    status = 403
    error_code = "ModelArts.0210"
    description = "The project id in the request URL does not match the token."


class TokenWithoutProject(ModelArtsError):
    status = 401
    error_code = "ModelArts.0212"
    description = "Invalid token header because the token does not contain a project."


# -- the API gateway in front of ModelArts ---------------------------------------------
class GatewayError(ModelArtsError):
    error_code = "APIG.0201"


class GatewayAuthError(GatewayError):
    """``APIG.0301``, 401: the credentials were rejected before reaching ModelArts."""

    status = 401
    error_code = "APIG.0301"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"Incorrect IAM authentication information: {reason}")


class TokenNotFound(GatewayAuthError):
    def __init__(self) -> None:
        super().__init__("x-auth-token not found")


class TokenUndecodable(GatewayAuthError):
    def __init__(self) -> None:
        super().__init__("decrypt token fail")


class TokenExpired(GatewayAuthError):
    def __init__(self, expires_at: str) -> None:
        super().__init__(f"token expires, expires_at: {expires_at}")


class UnknownAccessKey(GatewayAuthError):
    def __init__(self, access_key: str) -> None:
        super().__init__(f"Get secretKey failed,ak:{access_key},err:ak not exist")


class SignatureMismatch(GatewayAuthError):
    def __init__(self, detail: str = "") -> None:
        super().__init__("verify aksk signature fail" + (f", {detail}" if detail else ""))


_GATEWAY_HTTP = {
    404: ("APIG.0101", "The API does not exist or has not been published in the environment."),
    405: ("APIG.0101", "The API does not exist."),
    400: ("APIG.0201", "API request error."),
    413: ("APIG.0201", "Request entity too large."),
    414: ("APIG.0201", "Request URI too large."),
    401: ("APIG.0301", "Incorrect IAM authentication information."),
    403: ("APIG.0302", "The IAM user is not authorized to access the API."),
    429: ("APIG.0308", "The throttling threshold has been reached."),
    500: ("ModelArts.0010", "Internal error."),
    502: ("APIG.0202", "Backend unavailable."),
    503: ("APIG.0202", "Backend unavailable."),
    504: ("APIG.0203", "Backend timeout."),
}


class GatewayHttpError(GatewayError):
    """A generic HTTP failure under ``/v1/...`` in the gateway's words (APIG error table).

    A wrong method is ``404 APIG.0101 The API does not exist.`` on the real gateway (an API
    is a method and a path), so a 405 from the router is answered as that 404.
    """

    def __init__(self, status: int, description: str | None = None) -> None:
        code, message = _GATEWAY_HTTP.get(status, (f"APIG.{status:04d}", description or "Request error."))
        self.status = 404 if status == 405 else status
        self.error_code = code
        super().__init__(message if status in (404, 405, 413) or description is None else description)


# -- IAM (Keystone shape) ------------------------------------------------------------
class KeystoneError(ApiError):
    """``{"error": {"code", "message", "title"}}``, as IAM's Keystone API answers."""

    status = 400
    title = "Bad Request"
    description = "The request is invalid."

    def __init__(self, description: str | None = None, *, status: int | None = None, title: str | None = None) -> None:
        if status is not None:
            self.status = status
        if title is not None:
            self.title = title
        super().__init__(description)

    def body(self, request_id: str) -> dict[str, Any]:
        return {"error": {"code": self.status, "message": self.description, "title": self.title}}


_KEYSTONE_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
                    405: "Method Not Allowed", 413: "Request Entity Too Large", 429: "Too Many Requests",
                    500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                    504: "Gateway Timeout"}


class KeystoneBadRequest(KeystoneError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"The request body is invalid: {reason}")


class KeystoneWrongPassword(KeystoneError):
    status = 401
    title = "Unauthorized"
    description = "The username or password is wrong."


class KeystoneUnauthorized(KeystoneError):
    status = 401
    title = "Unauthorized"
    description = "The request you have made requires authentication."

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(f"{self.description} ({reason})" if reason else None)


class KeystoneScopeError(KeystoneError):
    status = 401
    title = "Unauthorized"


class KeystoneForbidden(KeystoneError):
    status = 403
    title = "Forbidden"
    description = "You are not authorized to perform the requested action."


class KeystoneTokenNotFound(KeystoneError):
    """The subject token is not ours, expired, revoked, or its user is gone or disabled."""

    status = 404
    title = "Not Found"
    description = "The token could not be found."


class KeystoneProjectNotFound(KeystoneError):
    status = 404
    title = "Not Found"

    def __init__(self, project_id: str) -> None:
        super().__init__(f"Could not find project: {project_id}.")


class KeystoneInvalidQuery(KeystoneError):
    """A query parameter IAM refuses (``page``/``per_page`` of ``GET /v3/projects``)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"Invalid input for field '{name}': {reason}")


class KeystoneMissingSubjectToken(KeystoneError):
    description = "The request is missing the X-Subject-Token header."


def http_error(status: int, description: str, path: str = "") -> ApiError:
    """The generic error of the API owning ``path`` (IAM under ``/v3``, else the gateway)."""
    if path == "/v3" or path.startswith("/v3/"):
        return KeystoneError(description, status=status, title=_KEYSTONE_TITLES.get(status, "Error"))
    return GatewayHttpError(status, description)
