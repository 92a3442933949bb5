"""Moved to :mod:`mockserver.inprocess`; this name stays importable for one release."""

from __future__ import annotations

from .inprocess import (INPROCESS_BASE_URL, BaseUrlSession, InProcessSession, WsgiAdapter, httpx_transport,
                        wsgi_for_inprocess)

__all__ = ["INPROCESS_BASE_URL", "BaseUrlSession", "InProcessSession", "WsgiAdapter", "httpx_transport",
           "wsgi_for_inprocess"]
