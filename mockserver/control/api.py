"""The control API's descriptor (see :class:`mockserver.api.Api`)."""

from __future__ import annotations

from ..api import Api, loader
from ..errors import ApiError
from ..matching import CONTROL_PREFIX
from .exceptions import HttpError


def owns(path: str) -> bool:
    return path.startswith(CONTROL_PREFIX)


def error_for(status: int, message: str, path: str) -> ApiError:
    return HttpError(status, message)


API = Api(name="control", make_blueprint=loader("mockserver.control.routes", "blueprint"), owns=owns,
          error_for=error_for, openapi=loader("mockserver.control.openapi"))
