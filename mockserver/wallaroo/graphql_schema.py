"""Kept for one release: the schema now lives in ``mockserver.wallaroo.graphql.schema``."""

from __future__ import annotations

from .graphql.schema import SDL

__all__ = ["SDL"]
