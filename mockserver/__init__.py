"""A stateful test double for the Wallaroo MLOps API and the ModelArts workspace API.

The public Python API::

    from mockserver import MockServer

    with MockServer(["default"]) as server:      # listens on 127.0.0.1, a free port
        server.url                                # http://127.0.0.1:PORT
        server.wallaroo.issue_token("developer@example.com")
        server.reset()                            # back to the scenario, in microseconds

The pytest plugin (``mockserver.pytest_plugin``, also importable as ``conftest_plugin``) and the CLI (``python -m mockserver``) are thin
layers over :class:`MockServer`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .errors import ApiError
    from .journal import Journal, RecordedRequest
    from .server import MockServer
    from .state import ScenarioError, State

# Exported lazily (PEP 562): ``import mockserver.state`` loads the package face first, and
# the store must not bring Flask with it (tests/tooling/test_package_layout.py checks).
_EXPORTS = {"ApiError": "errors", "Journal": "journal", "RecordedRequest": "journal", "MockServer": "server",
            "ScenarioError": "state", "State": "state"}

__all__ = ["ApiError", "Journal", "MockServer", "RecordedRequest", "ScenarioError", "State", "__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    try:  # ``mockserver.server`` and the like, which the eager face used to load
        return importlib.import_module(f".{name}", __name__)
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
