"""Matching request paths: the glob syntax of journal queries and fault rules, and the
control API's prefix (the one place it is written).

No Flask here: the journal, the fault injector and the control API all import it.
"""

from __future__ import annotations

import functools
import re

#: where the control API lives (``/__mock/health``, ``/__mock/reset`` ...)
CONTROL_PREFIX = "/__mock"


def is_control_path(path: str) -> bool:
    """Is ``path`` a control-API path (``/__mock/...``)?"""
    return path.startswith(CONTROL_PREFIX + "/")


@functools.lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    for token in re.split(r"(\*\*|\*|\?)", pattern):
        if token == "**":
            parts.append(".*")
        elif token == "*":
            parts.append("[^/]*")
        elif token == "?":
            parts.append("[^/]")
        else:
            parts.append(re.escape(token))
    return re.compile("".join(parts) + r"\Z")


def path_matches(pattern: str, path: str) -> bool:
    """Does ``path`` match ``pattern``? ``*`` matches within one path segment, ``**`` across
    segments, ``?`` one character; anything else matches itself (``/v1/*/workspaces/**``)."""
    return pattern == path or bool(_glob_regex(pattern).match(path))
