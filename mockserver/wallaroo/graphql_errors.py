"""Kept for one release: Hasura's errors now live in ``mockserver.wallaroo.graphql.errors``."""

from __future__ import annotations

from .graphql.errors import (ArrayInsertAfterZeroRows, CheckViolation, ConstraintViolation, ForeignKeyViolation,
                             GraphQLHttpError, HasuraError, InvalidHeaders, InvalidJson, InvalidJwt, NotModelled,
                             NotNullViolation, ParseFailed, PermissionDenied, UniquenessViolation, ValidationFailed,
                             error_entry)

__all__ = ["ArrayInsertAfterZeroRows", "CheckViolation", "ConstraintViolation", "ForeignKeyViolation",
           "GraphQLHttpError", "HasuraError", "InvalidHeaders", "InvalidJson", "InvalidJwt", "NotModelled",
           "NotNullViolation", "ParseFailed", "PermissionDenied", "UniquenessViolation", "ValidationFailed",
           "error_entry"]
