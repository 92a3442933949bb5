"""Wallaroo MLOps API errors: one class per error, rendered as ``{"msg", "code"}``.

The vendor's generated client parses only 400, 401 and 500 bodies, so every error the
API itself raises uses one of those statuses (see docs/wallaroo.md for each choice).
Where a real response was recorded, the message is the recorded one.
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError, StatusError

MISSING_USER_IN_KEYCLOAK = "Failed to find user in Keycloak: No user was found in Keycloak."


class WallarooError(ApiError):
    """Base: ``{"msg": <description>, "code": <status>}`` (what Wallaroo's API service, built on the axum web framework, answers)."""

    def body(self, request_id: str) -> dict[str, Any]:
        return {"msg": self.description, "code": self.status}


class HttpError(StatusError, WallarooError):
    """A generic HTTP failure (unknown route, wrong method, oversized body) in this shape."""


# -- 400 ---------------------------------------------------------------------------
class BadRequest(WallarooError):
    status = 400
    description = "Bad request."


class MalformedJson(BadRequest):
    """The body is not JSON (axum's JsonSyntaxError wording)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Failed to parse the request body as JSON: {reason}")


class InvalidBody(BadRequest):
    """A member is missing or of the wrong type (axum's JsonDataError wording)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Failed to deserialize the JSON body into the target type: {reason}")


class WorkspaceNotFound(BadRequest):
    def __init__(self, workspace_id: int) -> None:
        super().__init__(f"Bad request: workspace {workspace_id} was not found.")


class DuplicateWorkspaceName(BadRequest):
    """Names are unique instance-wide (DB constraint ``workspace_name_key``)."""

    def __init__(self, name: str) -> None:
        super().__init__(
            "Failed to create workspace: GraphQL error: [\"Uniqueness violation. duplicate key value violates "
            f"unique constraint \\\"workspace_name_key\\\"\"] (a workspace named '{name}' already exists)"
        )


class InvalidWorkspaceName(BadRequest):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"Bad request: workspace name '{name}' is invalid: it must be DNS-compatible (ASCII letters, digits and "
            "dashes), start with a letter, not end with a dash, and be shorter than 64 characters."
        )


class CallerHasNoEmail(BadRequest):
    """What a user registered without an email sees (the users tutorial's troubleshooting section)."""

    description = (
        "Failed to create workspace: GraphQL error: [\"cannot proceed to insert array relations since insert to "
        "table \\\"workspace\\\" affects zero rows\"] (the calling user has no email address)"
    )


class UserIdentityRequired(BadRequest):
    description = "Bad request: either email or user_id is required."


class InvalidUserType(BadRequest):
    def __init__(self, value: str) -> None:
        super().__init__(f"Bad request: invalid user_type '{value}'; expected OWNER or COLLABORATOR.")


class EmailInUse(BadRequest):
    def __init__(self, email: str) -> None:
        super().__init__(f"Bad request: a user with the email '{email}' already exists.")


class InvalidEmail(BadRequest):
    def __init__(self, email: str) -> None:
        super().__init__(f"Bad request: '{email}' is not a valid email address.")


class UserIdNotFound(BadRequest):
    """``/v1/api/user`` with an id no user has (not recorded; a not-found is a 400 elsewhere)."""

    def __init__(self, user_id: str) -> None:
        super().__init__(f"Bad request: no user with the id '{user_id}' was found.")


# -- 401 ---------------------------------------------------------------------------
class Unauthorized(WallarooError):
    status = 401
    description = "A permissions error occurred."

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="master"'}


class MissingToken(Unauthorized):
    description = "Jwt is missing"


class MalformedAuthorization(Unauthorized):
    description = "Jwt is missing: the Authorization header must be 'Bearer <access token>'"


class InvalidToken(Unauthorized):
    description = "Jwt verification fails"


class ExpiredToken(Unauthorized):
    description = "Jwt is expired"


class UserDisabled(Unauthorized):
    description = "Jwt verification fails: the user account is disabled"


class UnknownTokenUser(Unauthorized):
    description = "Jwt verification fails: the token's user does not exist"


class AdminRequired(Unauthorized):
    description = "A permissions error occurred: this operation requires the admin role."


class NotWorkspaceMember(Unauthorized):
    def __init__(self, workspace_id: int) -> None:
        super().__init__(f"A permissions error occurred: you are not a member of workspace {workspace_id}.")


class WorkspaceOwnerRequired(Unauthorized):
    def __init__(self, workspace_id: int) -> None:
        super().__init__(f"A permissions error occurred: only an OWNER of workspace {workspace_id} (or an admin) "
                         "may change its members.")


# -- 500 (recorded behaviour of the real API) -------------------------------------
class InternalError(WallarooError):
    status = 500
    description = "Internal Server Error"


class UserNotFoundInKeycloak(InternalError):
    """Recorded on remove_user with an unknown email; the same lookup serves add_user."""

    description = MISSING_USER_IN_KEYCLOAK


class KeycloakQueryFailed(InternalError):
    """Recorded on users/deactivate and users/activate with an unknown email."""

    description = "error querying keycloak server"


# -- Keycloak's own token endpoint (OAuth2 error shape, not {msg, code}) -----------
class OAuthError(ApiError):
    """Keycloak's ``{"error", "error_description"}`` body on the token endpoint."""

    error = "invalid_request"

    def __init__(self, description: str | None = None, *, status: int | None = None, error: str | None = None) -> None:
        if status is not None:
            self.status = status
        if error is not None:
            self.error = error
        super().__init__(description)

    def body(self, request_id: str) -> dict[str, Any]:
        return {"error": self.error, "error_description": self.description}


class InvalidGrant(OAuthError):
    status = 401
    error = "invalid_grant"
    description = "Invalid user credentials"


class AccountDisabled(OAuthError):
    status = 400
    error = "invalid_grant"
    description = "Account disabled"


class AccountNotSetUp(OAuthError):
    """Keycloak's password grant while the user has pending required actions."""

    status = 400
    error = "invalid_grant"
    description = "Account is not fully set up"


class InvalidRefreshToken(OAuthError):
    status = 400
    error = "invalid_grant"
    description = "Invalid refresh token"


class InactiveRefreshToken(OAuthError):
    status = 400
    error = "invalid_grant"
    description = "Token is not active"


class RefreshUserDisabled(OAuthError):
    """A refresh token of a disabled user (Keycloak's TokenManager checks the user before the session)."""

    status = 400
    error = "invalid_grant"
    description = "User disabled"


class RefreshClientMismatch(OAuthError):
    status = 400
    error = "invalid_grant"
    description = "Invalid refresh token. Token client and authorized client don't match"


class SessionNotActive(OAuthError):
    """A refresh (or logout) with a token of a session ended by logout."""

    status = 400
    error = "invalid_grant"
    description = "Session not active"


class PublicClientGrant(OAuthError):
    """``client_credentials`` asked for by a public client (it has no service account)."""

    status = 400
    error = "unauthorized_client"
    description = "Public client not allowed to retrieve service account"


class PublicClientNotAllowed(OAuthError):
    """Introspection by a public client: Keycloak allows it to confidential clients only."""

    status = 403
    error = "invalid_request"
    description = "Client not allowed."


class UserinfoMissingToken(OAuthError):
    status = 401
    error = "invalid_request"
    description = "Token not provided"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": f'Bearer realm="master", error="{self.error}", '
                                    f'error_description="{self.description}"'}


class UserinfoInvalidToken(UserinfoMissingToken):
    error = "invalid_token"
    description = "Token verification failed"


class UserinfoUserDisabled(UserinfoInvalidToken):
    """``userinfo`` with a token of a disabled user (Keycloak's UserInfoEndpoint)."""

    description = "User disabled"


class UserinfoInsufficientScope(UserinfoMissingToken):
    """Keycloak (since 19) answers ``userinfo`` only for tokens with the ``openid`` scope."""

    status = 403
    error = "insufficient_scope"
    description = "Missing openid scope"


class UnsupportedGrantType(OAuthError):
    status = 400
    error = "unsupported_grant_type"
    description = "Unsupported grant_type"


class InvalidClient(OAuthError):
    status = 401
    error = "invalid_client"
    description = "Invalid client or Invalid client credentials"


class MissingFormParameter(OAuthError):
    status = 400
    error = "invalid_request"

    def __init__(self, name: str) -> None:
        super().__init__(f"Missing form parameter: {name}")


class MissingUsername(OAuthError):
    """The password grant without ``username`` (Keycloak's direct-grant authenticator)."""

    status = 401
    error = "invalid_request"
    description = "Missing parameter: username"


class KeycloakHttpError(OAuthError):
    """A generic HTTP failure (unknown route, wrong method) under ``/auth/``."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description, status=status, error={404: "not_found", 405: "method_not_allowed",
                                                              413: "request_too_large"}.get(status, "unknown_error"))


# -- Keycloak's admin REST API (``/auth/admin/realms/master/...``) -----------------
class KeycloakAdminError(ApiError):
    """Keycloak's admin API answers ``{"error": <text>}``."""

    def body(self, request_id: str) -> dict[str, Any]:
        return {"error": self.description}


class KeycloakUnauthorized(KeycloakAdminError):
    status = 401
    description = "HTTP 401 Unauthorized"


class KeycloakForbidden(KeycloakAdminError):
    status = 403
    description = "HTTP 403 Forbidden"


class KeycloakUserNotFound(KeycloakAdminError):
    status = 404
    description = "User not found"


class KeycloakBadRequest(KeycloakAdminError):
    status = 400
    description = "unknown_error"

    def __init__(self, description: str | None = None, *, message_key: str = "error") -> None:
        super().__init__(description)
        self.message_key = message_key

    def body(self, request_id: str) -> dict[str, Any]:
        return {self.message_key: self.description}


class KeycloakInvalidAttribute(KeycloakAdminError):
    """An attribute of a posted UserRepresentation that the realm's user profile refuses:
    Keycloak (24 and later) answers ``{"field", "errorMessage", "params"}``, e.g.
    ``{"field": "username", "errorMessage": "error-username-invalid-character", "params": ["username"]}``."""

    status = 400

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field

    def body(self, request_id: str) -> dict[str, Any]:
        return {"field": self.field, "errorMessage": self.description, "params": [self.field]}


class KeycloakRoleNotFound(KeycloakAdminError):
    status = 404
    description = "Could not find role"


class KeycloakServerError(KeycloakAdminError):
    status = 500
    description = "unknown_error"


class KeycloakUserExists(KeycloakAdminError):
    status = 409
    description = "User exists with same username"

    def body(self, request_id: str) -> dict[str, Any]:
        return {"errorMessage": self.description}


class KeycloakEmailExists(KeycloakAdminError):
    status = 409
    description = "User exists with same email"

    def body(self, request_id: str) -> dict[str, Any]:
        return {"errorMessage": self.description}
