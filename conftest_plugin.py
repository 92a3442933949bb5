"""The pytest plugin: a mock Wallaroo + ModelArts server as a fixture.

Registered through the ``pytest11`` entry point, so installing the package is enough.
The server starts once per session (per xdist worker) and is reset to its scenarios
before every test, which costs well under a millisecond.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from mockserver import MockServer


@pytest.fixture(scope="session")
def mockserver_session() -> Iterator[MockServer]:
    """The session's server (started lazily, stopped at the end of the session)."""
    server = MockServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mockserver(mockserver_session: MockServer) -> Iterator[MockServer]:
    """The session server, reset to its scenarios before the test."""
    mockserver_session.reset()
    yield mockserver_session
