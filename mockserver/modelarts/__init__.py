"""The ModelArts workspace API (Huawei Cloud / Open Telekom Cloud) and its IAM endpoints."""

from __future__ import annotations

import re

from ..api import Api
from .exceptions import http_error
from .backend import ModelArtsBackend
from .routes import blueprint

_OWNED = re.compile(r"^/(v1/(?!api(/|$))[^/]+(/|$)|v3(/|$))")


def _owns(path: str) -> bool:
    return bool(_OWNED.match(path))


api = Api(name="modelarts", blueprint=blueprint, owns=_owns, http_error=http_error, make_backend=ModelArtsBackend,
          request_id_header=True)

__all__ = ["api", "ModelArtsBackend"]
