"""Errors of Wallaroo's GraphQL endpoint (Hasura), one class per error.

Hasura answers a failed GraphQL request with HTTP 200 and
``{"errors": [{"extensions": {"path": ..., "code": ...}, "message": ...}]}`` (members in
that order, as the users tutorial's troubleshooting text shows them). The store raises the data
errors below (constraint and permission failures, as PostgreSQL and Hasura word them);
``engine.py`` adds the JSON path of the field that failed. Plain Python, no graphql-core:
the store and the app's error handlers import this module at start-up.
"""

from __future__ import annotations

from typing import Any

from ...errors import StatusError


def error_entry(message: str, *, path: str = "$", code: str = "unexpected") -> dict[str, Any]:
    """One member of Hasura's ``errors`` list."""
    return {"extensions": {"path": path, "code": code}, "message": message}


class HasuraError(Exception):
    """A refusal in Hasura's words: ``code`` and ``message``; ``at`` continues the JSON path
    below the root field (``"args.object[0]"``), ``path`` replaces it when given."""

    code = "unexpected"
    message = "unexpected error"

    def __init__(self, message: str | None = None, *, at: str = "", path: str | None = None) -> None:
        if message is not None:
            self.message = message
        self.at = at
        self.path = path
        super().__init__(self.message)

    def entry(self, field_path: str = "$") -> dict[str, Any]:
        path = self.path or (f"{field_path}.{self.at}" if self.at else field_path)
        return error_entry(self.message, path=path, code=self.code)


# -- the request itself ---------------------------------------------------------------
class InvalidJson(HasuraError):
    code = "invalid-json"


class ParseFailed(HasuraError):
    """The body is JSON but not a GraphQL request (``{"query", "variables", "operationName"}``)."""

    code = "parse-failed"


class ValidationFailed(HasuraError):
    """The query does not fit the schema, or its variables do not fit the query."""

    code = "validation-failed"


# -- authentication (Hasura in JWT mode checks the token itself) ------------------------
class InvalidHeaders(HasuraError):
    code = "invalid-headers"


class InvalidJwt(HasuraError):
    code = "invalid-jwt"


# -- the data: PostgreSQL constraints and Hasura permissions -----------------------------
class ConstraintViolation(HasuraError):
    code = "constraint-violation"


class UniquenessViolation(ConstraintViolation):
    def __init__(self, constraint: str, *, at: str = "") -> None:
        super().__init__(f"Uniqueness violation. duplicate key value violates unique constraint \"{constraint}\"",
                         at=at)


class ForeignKeyViolation(ConstraintViolation):
    def __init__(self, table: str, constraint: str, *, at: str = "") -> None:
        super().__init__(f"Foreign key violation. insert or update on table \"{table}\" violates foreign key "
                         f"constraint \"{constraint}\"", at=at)


class NotNullViolation(ConstraintViolation):
    def __init__(self, table: str, column: str, *, at: str = "") -> None:
        super().__init__(f"Not-NULL violation. null value in column \"{column}\" of relation \"{table}\" violates "
                         "not-null constraint", at=at)


class CheckViolation(ConstraintViolation):
    def __init__(self, table: str, constraint: str, *, at: str = "") -> None:
        super().__init__(f"Check constraint violation. new row for relation \"{table}\" violates check constraint "
                         f"\"{constraint}\"", at=at)


class PermissionDenied(HasuraError):
    code = "permission-error"
    message = "check constraint of an insert permission has failed"


class ArrayInsertAfterZeroRows(HasuraError):
    """An upsert that ignored its conflict (or a caller without an email, REC (the users tutorial's)
    troubleshooting) cannot go on to insert the workspace's members."""

    code = "not-supported"
    message = "cannot proceed to insert array relations since insert to table \"workspace\" affects zero rows"


class NotModelled(HasuraError):
    """Something Hasura would store that the mock's store has no place for."""

    code = "not-supported"


# -- generic HTTP failures under /v1/graphql (unknown path, wrong method, oversized body) --
class GraphQLHttpError(StatusError):
    """A router-level failure of the GraphQL endpoint, still in Hasura's ``errors`` shape."""

    CODES = {404: "not-found", 405: "method-not-allowed", 413: "request-too-large"}

    def body(self, request_id: str) -> dict[str, Any]:
        return {"errors": [error_entry(self.description, code=self.CODES.get(self.status, "unexpected"))]}
