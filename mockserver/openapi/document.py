"""The OpenAPI 3.0.3 document of everything the server answers: both mocked APIs and the control API."""

from __future__ import annotations

import copy
import functools
import importlib
from types import ModuleType
from typing import Any

from .._version import __version__
from ..apis import all_apis

OPENAPI_VERSION = "3.0.3"

_DESCRIPTION = """\
A test double for the **Wallaroo MLOps API** (workspaces, users, Keycloak login) and the **ModelArts
workspace API** (Huawei Cloud / Open Telekom Cloud, with IAM tokens and AK/SK signatures), plus the
mock's own **control API** under `/__mock/`. Everything is served at the root of one `host:port`.

Each API answers errors in its own shape, never HTML: Wallaroo `{"msg", "code"}`, Keycloak
`{"error", "error_description"}`, ModelArts and its gateway `{"error_msg", "error_code",
"request_id"}`, IAM `{"error": {"code", "message", "title"}}`, the control API `{"error", "status"}`.
Besides the statuses listed per operation, any route may answer 404 (unknown path; ModelArts also for
a wrong method), 405 (a known path with another method), 413 (a body over the size limit) or a status
injected by a fault rule, each in the shape of the API that owns the path.

The fidelity contracts (what is recorded, documented or chosen) are docs/wallaroo.md,
docs/modelarts.md and docs/control-api.md in the repository."""


@functools.lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    # the mocked APIs first, then the rest (the control API), each as its descriptor says
    apis = sorted(all_apis(), key=lambda api: api.make_backend is None)
    sections: list[ModuleType] = []
    for api in apis:
        if api.openapi is not None:
            section = api.openapi()
            # a section may name extensions (modules of the same form) by module name, e.g. the
            # identity provider served beside an API; named, not imported, so neither imports the other
            sections += [section, *(importlib.import_module(name) for name in getattr(section, "EXTENSIONS", ()))]
    paths: dict[str, Any] = {}
    tags: list[dict[str, Any]] = []
    schemas: dict[str, Any] = {}
    security: dict[str, Any] = {}
    for section in sections:
        # merged per operation: an extension may add a method to a path its API already serves
        for path, item in {**getattr(section, "DOCS_PATHS", {}), **section.PATHS}.items():
            paths[path] = {**paths.get(path, {}), **item}
        tags.extend(getattr(section, "TAGS", ()))
        schemas.update(getattr(section, "SCHEMAS", {}))
        security.update(getattr(section, "SECURITY_SCHEMES", {}))
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Wallaroo + ModelArts mock server",
            "version": __version__,
            "description": _DESCRIPTION,
            "license": {"name": "Apache-2.0"},
        },
        "servers": [{"url": "/", "description": "This server."}],
        "tags": tags,
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": security},
    }


def openapi_document(server_url: str | None = None) -> dict[str, Any]:
    """The document (a fresh copy); ``server_url`` (``http://host:port``) becomes ``servers[0]``."""
    document = copy.deepcopy(_document())
    if server_url:
        document["servers"] = [{"url": server_url.rstrip("/"), "description": "This server."}]
    return document
