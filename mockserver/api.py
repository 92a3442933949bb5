"""How a mocked API plugs into the server: its routes, its state model, its error shape, its
OpenAPI section and what the CLI banner says about it.

Each API folder describes itself in its ``api.py`` (``mockserver/<api>/api.py``) and
:mod:`mockserver.apis` lists them; the app, the OpenAPI document, the CLI banner and the
control API iterate that list instead of naming APIs. The heavy parts (the Flask blueprint,
the OpenAPI section) are loaded on first use, so a descriptor imports no Flask.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from flask import Blueprint

    from .errors import ApiError
    from .state import Backend, State


@dataclass(frozen=True)
class Api:
    """One mocked API (or the control API) as the server sees it."""

    #: short name, also the state-document section of its backend
    name: str
    #: builds (once) the Flask blueprint with its routes, mounted at the root
    make_blueprint: Callable[[], Blueprint]
    #: does a request path belong to this API? Decides the error shape of 404/405/413/500.
    owns: Callable[[str], bool]
    #: an error of this API's own shape for a generic HTTP failure: (status, message, path);
    #: the path is passed in, so the shape never depends on a request context
    error_for: Callable[[int, str, str], ApiError]
    #: builds the API's state model on a store (None for the control API)
    make_backend: Callable[[State], Backend] | None = None
    #: whether responses carry an ``X-Request-Id`` header (the ModelArts SDK reads it)
    request_id_header: bool = False
    #: loads the API's OpenAPI section: a module with PATHS, TAGS, SCHEMAS, SECURITY_SCHEMES
    openapi: Callable[[], ModuleType] | None = None
    #: the lines the CLI prints about this API once the server is up (its credentials)
    banner: Callable[[Any], list[str]] | None = None

    @property
    def blueprint(self) -> Blueprint:
        return _built(self.make_blueprint)

    def http_error(self, status: int, message: str, path: str = "") -> ApiError:
        """:attr:`error_for` with the path optional, as the descriptor's callers wrote it before."""
        return self.error_for(status, message, path)


@functools.cache
def _built(factory: Callable[[], Any]) -> Any:
    return factory()


def loader(module: str, attribute: str | None = None) -> Callable[[], Any]:
    """``loader("mockserver.wallaroo.routes", "blueprint")``: a factory importing on first call."""

    def load() -> Any:
        import importlib

        loaded = importlib.import_module(module)
        return getattr(loaded, attribute) if attribute else loaded

    load.__qualname__ = load.__name__ = f"load {module}{'.' + attribute if attribute else ''}"
    return load
