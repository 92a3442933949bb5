"""Moved to :mod:`mockserver.wallaroo.openapi`; this name stays importable for one release."""

from __future__ import annotations

from ..wallaroo.openapi import *  # noqa: F403
from ..wallaroo.openapi import PATHS, SCHEMAS, TAGS  # noqa: F401
