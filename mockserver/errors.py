"""The base of every API error the mock answers with.

Each mocked API has its own ``exceptions`` module with one class per error, in the
style of Werkzeug's exceptions: the class carries the HTTP status and a default
description, and knows how to render its API's error body. Domain code raises them;
the Flask app turns them into responses. Nothing here imports Flask.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answered to the client in its API's own shape.

    ``status`` is the HTTP status code, ``description`` the human-readable message.
    Subclasses set both as class attributes and override :meth:`body`.
    """

    status: int = 500
    description: str = "Internal error."

    def __init__(self, description: str | None = None) -> None:
        if description is not None:
            self.description = description
        super().__init__(self.description)

    def body(self, request_id: str) -> dict[str, Any]:
        """The JSON error body; ``request_id`` is the id of the request being answered."""
        return {"error": self.description, "status": self.status}

    def headers(self) -> dict[str, str]:
        """Extra response headers (e.g. ``WWW-Authenticate``)."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status}, {self.description!r})"


class StatusError(ApiError):
    """An error whose status is given when it is raised, not fixed by its class: the generic
    HTTP failures (unknown path, wrong method, oversized body, an injected fault) that each API
    answers in its own shape. Each shape mixes this in before its own base class."""

    def __init__(self, status: int, description: str | None = None) -> None:
        self.status = status
        super().__init__(description)


class DropConnection(BaseException):
    """Raised to make the server close the connection without answering.

    It derives from BaseException on purpose: Flask turns every ``Exception`` escaping a
    view into a 500 response, while this one must travel through Flask up to the WSGI
    server (or the in-process transport), which then drops the connection.
    """
