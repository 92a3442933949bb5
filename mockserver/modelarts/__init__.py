"""The ModelArts workspace API (Huawei Cloud / Open Telekom Cloud) and its IAM endpoints.

The face exports the backend only (importing it loads no Flask); the descriptor the server
uses is :data:`mockserver.modelarts.api.API`.
"""

from __future__ import annotations

from .backend import ModelArtsBackend

__all__ = ["ModelArtsBackend"]
