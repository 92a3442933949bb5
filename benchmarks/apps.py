"""The apps under test: a minimal Flask baseline and a mock server prepared for benchmarks.

The baseline answers the same call as the mock (``POST /v1/api/workspaces/list``) with
the same three-workspace body, but does nothing else: no auth, no journal, no store.
It is the floor any Flask-based mock stands on, so ratios against it measure the cost
of the server stack and of the mock's own work.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify

LIST_PATH = "/v1/api/workspaces/list"
BENCH_USER = "developer@example.com"

#: the two extra workspaces that give the developer three (with the default workspace)
BENCH_SCENARIO: dict[str, Any] = {
    "name": "bench",
    "wallaroo": {
        "workspaces": [
            {"name": "bench-models", "members": [{"user": BENCH_USER, "user_type": "OWNER"}]},
            {"name": "bench-pipelines", "members": [{"user": BENCH_USER, "user_type": "OWNER"}]},
        ]
    },
}

BASELINE_WORKSPACES = [
    {"id": 1, "name": f"{BENCH_USER} - Default Workspace", "created_at": "2025-01-01T00:00:01.000000+00:00",
     "created_by": BENCH_USER, "archived": False, "models": [], "pipelines": []},
    {"id": 2, "name": "bench-models", "created_at": "2025-01-01T00:00:00.000000+00:00",
     "created_by": "3c9a2e57-6a1f-4d0b-8f2e-5b7d1c4e9a01", "archived": False, "models": [], "pipelines": []},
    {"id": 3, "name": "bench-pipelines", "created_at": "2025-01-01T00:00:00.000000+00:00",
     "created_by": "3c9a2e57-6a1f-4d0b-8f2e-5b7d1c4e9a01", "archived": False, "models": [], "pipelines": []},
]


def baseline_body() -> bytes:
    """The baseline's answer as bytes (compact JSON), for stacks that answer without Flask."""
    import json

    return json.dumps({"workspaces": BASELINE_WORKSPACES}, separators=(",", ":")).encode()


def minimal_app() -> Flask:
    """A Flask app with the one route, answering a constant three-item list."""
    app = Flask("minimal-baseline")
    app.json.sort_keys = False

    @app.post(LIST_PATH)
    def workspaces_list() -> Any:
        return jsonify({"workspaces": BASELINE_WORKSPACES})

    return app


def mock_server(scenarios: list[Any] | None = None, **options: Any) -> Any:
    """A :class:`MockServer` on the default scenario plus the bench workspaces (not started)."""
    from mockserver import MockServer

    return MockServer(["default", BENCH_SCENARIO] if scenarios is None else scenarios, **options)


def mock_wsgi() -> Any:
    """WSGI app factory for servers started by import path (``gunicorn 'benchmarks.apps:mock_wsgi()'``)."""
    return mock_server().app


def auth_headers(server: Any) -> dict[str, str]:
    """A bearer token for the bench user; valid on any server built from the same scenarios."""
    return {"Authorization": f"Bearer {server.wallaroo.issue_token(BENCH_USER)}"}
