"""A stateful test double for the Wallaroo MLOps API and the ModelArts workspace API.

The public Python API::

    from mockserver import MockServer

    with MockServer(["default"]) as server:      # listens on 127.0.0.1, a free port
        server.url                                # http://127.0.0.1:PORT
        server.wallaroo.issue_token("developer@example.com")
        server.reset()                            # back to the scenario, in microseconds

The pytest plugin (``conftest_plugin``) and the CLI (``python -m mockserver``) are thin
layers over :class:`MockServer`.
"""

from __future__ import annotations

from .errors import ApiError
from .journal import Journal, RecordedRequest
from .server import MockServer
from .state import ScenarioError, State

from ._version import __version__

__all__ = ["ApiError", "Journal", "MockServer", "RecordedRequest", "ScenarioError", "State", "__version__"]
