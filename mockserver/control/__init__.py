"""The control API of the mock itself, under ``/__mock/``."""

from __future__ import annotations

from ..api import Api
from ..matching import CONTROL_PREFIX
from .exceptions import HttpError
from .routes import blueprint

api = Api(name="control", blueprint=blueprint, owns=lambda path: path.startswith(CONTROL_PREFIX), http_error=HttpError)

__all__ = ["api"]
