"""The registry of APIs: the one list the app, the OpenAPI document, the CLI banner and the
control API iterate. Adding an API is adding its descriptor here (docs/contributing.md)."""

from __future__ import annotations

from .api import Api


def all_apis() -> list[Api]:
    """The control API and the mocked APIs, in routing order (the first whose ``owns`` says yes
    decides the error shape of a path)."""
    from .control.api import API as control
    from .modelarts.api import API as modelarts
    from .wallaroo.api import API as wallaroo

    return [control, wallaroo, modelarts]


def mocked_apis() -> list[Api]:
    """The mocked APIs only (those with a backend), in the order docs and banners list them."""
    return [api for api in all_apis() if api.make_backend is not None]
