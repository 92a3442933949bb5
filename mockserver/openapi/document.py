"""The OpenAPI 3.0.3 document of everything the server answers: both mocked APIs and the control API."""

from __future__ import annotations

import copy
import functools
from typing import Any

from .._version import __version__
from . import control, keycloak, keystone, modelarts, wallaroo

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
    paths: dict[str, Any] = {}
    for section in (wallaroo.PATHS, keycloak.PATHS, control.DOCS_PATHS, modelarts.PATHS, control.PATHS):
        paths.update(section)
    for path, item in keystone.PATHS.items():  # /v3/auth/tokens adds GET and DELETE to the login's POST
        paths[path] = {**paths.get(path, {}), **item}
    paths[f"{keycloak.ADMIN}/users"] = {**paths[f"{keycloak.ADMIN}/users"], "post": keycloak.USERS_POST}
    paths[f"{keycloak.ADMIN}/users/{{user_id}}"] = {**paths[f"{keycloak.ADMIN}/users/{{user_id}}"],
                                                    "delete": keycloak.USER_DELETE}
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Wallaroo + ModelArts mock server",
            "version": __version__,
            "description": _DESCRIPTION,
            "license": {"name": "Apache-2.0"},
        },
        "servers": [{"url": "/", "description": "This server."}],
        "tags": wallaroo.TAGS + modelarts.TAGS + control.TAGS,
        "paths": paths,
        "components": {
            "schemas": {**wallaroo.SCHEMAS, **keycloak.SCHEMAS, **modelarts.SCHEMAS, **keystone.SCHEMAS,
                        **control.SCHEMAS},
            "securitySchemes": {**wallaroo.SECURITY_SCHEMES, **modelarts.SECURITY_SCHEMES},
        },
    }


def openapi_document(server_url: str | None = None) -> dict[str, Any]:
    """The document (a fresh copy); ``server_url`` (``http://host:port``) becomes ``servers[0]``."""
    document = copy.deepcopy(_document())
    if server_url:
        document["servers"] = [{"url": server_url.rstrip("/"), "description": "This server."}]
    return document
