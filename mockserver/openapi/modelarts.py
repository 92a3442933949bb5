"""Moved to :mod:`mockserver.modelarts.openapi`; this name stays importable for one release."""

from __future__ import annotations

from ..modelarts.openapi import *  # noqa: F403
from ..modelarts.openapi import PATHS, SCHEMAS, TAGS  # noqa: F401
