"""Errors of the control API (``/__mock/``): ``{"error": <message>, "status": <code>}``."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError, StatusError


class ControlError(ApiError):
    status = 400
    description = "Bad request."

    def body(self, request_id: str) -> dict[str, Any]:
        return {"error": self.description, "status": self.status}


class HttpError(StatusError, ControlError):
    """A generic HTTP failure under ``/__mock/`` in this shape."""


class InvalidRequest(ControlError):
    status = 400


class InvalidDocument(ControlError):
    """A scenario or state document was rejected; nothing was changed."""

    status = 422

    def __init__(self, source: str, path: str, message: str) -> None:
        self.source, self.path, self.message = source, path, message
        where = f" at {path}" if path else ""
        super().__init__(f"{source}{where}: {message}")

    def body(self, request_id: str) -> dict[str, Any]:
        return {"error": self.description, "status": self.status, "source": self.source, "path": self.path,
                "reason": self.message}


class NotFound(ControlError):
    status = 404


class NoStateFile(ControlError):
    status = 409
    description = "The server was started without --state-file; pass a 'path' to save to."


class SaveFailed(ControlError):
    status = 500
