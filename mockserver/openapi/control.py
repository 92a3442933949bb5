"""Moved to :mod:`mockserver.control.openapi`; this name stays importable for one release."""

from __future__ import annotations

from ..control.openapi import *  # noqa: F403
from ..control.openapi import DOCS_PATHS, PATHS, SCHEMAS, TAGS  # noqa: F401
