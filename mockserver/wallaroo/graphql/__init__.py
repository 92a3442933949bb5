"""Wallaroo's GraphQL endpoint (``POST /v1/graphql``), a small Hasura over the same store.

``engine.py`` runs a request (graphql-core, loaded on the first GraphQL request only),
``schema.py`` is the schema, ``resolvers.py`` and ``filters.py`` turn Hasura's arguments
into calls of ``tables.py``, the tables over the store; ``errors.py`` are Hasura's errors.
"""

from __future__ import annotations

from .engine import MAX_DEPTH, MAX_TOKENS, answer

__all__ = ["MAX_DEPTH", "MAX_TOKENS", "answer"]
