"""The ModelArts API's descriptor (see :class:`mockserver.api.Api`), IAM (Keystone) included."""

from __future__ import annotations

import re
from typing import Any

from ..api import Api, loader
from .backend import ModelArtsBackend
from .exceptions import http_error

_OWNED = re.compile(r"^/(v1/(?!api(/|$))[^/]+(/|$)|v3(/|$))")


def owns(path: str) -> bool:
    return bool(_OWNED.match(path))


def banner(server: Any) -> list[str]:
    """The endpoint and every IAM user with password, project and AK/SK, as loaded."""
    section = server.export_state().get("modelarts") or {}
    users = [user for user in section.get("users", []) if isinstance(user, dict) and user.get("name")]
    lines = [f"ModelArts: endpoint {server.url} (AK/SK signing or X-Auth-Token from POST {server.url}/v3/auth/tokens)"]
    if not users:
        lines.append("  (no IAM users)")
        return lines
    for user in users:
        try:
            creds = server.modelarts_credentials(user["name"])
        except (AttributeError, KeyError, LookupError, ValueError, TypeError):
            lines.append(f"  IAM user {user['name']}  password {user.get('password', '?')}")
            continue
        lines.append(f"  IAM user {creds.get('user_name')}  password {creds.get('password')}  "
                     f"account {creds.get('account')}")
        if creds.get("project_id"):
            lines.append(f"    project {creds['project_id']}  region {creds.get('region')}")
        if creds.get("access_key"):
            lines.append(f"    AK {creds['access_key']}  SK {creds.get('secret_key')}")
    return lines


API = Api(name="modelarts", make_blueprint=loader("mockserver.modelarts.routes", "blueprint"), owns=owns,
          error_for=http_error, make_backend=ModelArtsBackend, request_id_header=True,
          openapi=loader("mockserver.modelarts.openapi"), banner=banner)
