"""How a mocked API plugs into the app: its routes, its state model, its error shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from flask import Blueprint

    from .errors import ApiError
    from .state import Backend, State


@dataclass(frozen=True)
class Api:
    """One mocked API (or the control API) as the app sees it."""

    #: short name, also the state-document section of its backend
    name: str
    #: the Flask blueprint with its routes (mounted at the root)
    blueprint: Blueprint
    #: does a request path belong to this API? Decides the error shape of 404/405/413/500.
    owns: Callable[[str], bool]
    #: an error of this API's own shape for a generic HTTP failure (status, message)
    http_error: Callable[[int, str], ApiError]
    #: builds the API's state model on a store (None for the control API)
    make_backend: Callable[[State], Backend] | None = None
    #: whether responses carry an ``X-Request-Id`` header (the ModelArts SDK reads it)
    request_id_header: bool = False
