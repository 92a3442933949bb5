"""The published description of the server: an OpenAPI 3.0.3 document and a page rendered from it.

``openapi_document(server_url)`` describes both mocked APIs (Wallaroo with its Keycloak
endpoints, ModelArts with its IAM endpoints) and the control API. It is served at
``GET /__mock/openapi.json`` and ``GET /v1/api/openapi.json``; ``docs_page(server_url)`` is
the HTML page at ``GET /v1/api/docs`` (where a real Wallaroo instance serves its docs).
tests/docs/test_openapi*.py check every documented answer against the responses the server
really gives, and that every route of the app is documented.
"""

from __future__ import annotations

import functools

from .document import OPENAPI_VERSION, openapi_document
from .page import render_page


@functools.lru_cache(maxsize=8)
def docs_page(server_url: str | None = None) -> str:
    """The self-contained HTML documentation page (rendered once per server URL)."""
    return render_page(openapi_document(server_url))


__all__ = ["OPENAPI_VERSION", "docs_page", "openapi_document"]
