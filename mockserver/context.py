"""What the views of every API reach through the Flask app: the store and its helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import current_app, g, request

from .validation import parse_json

if TYPE_CHECKING:
    from .api import Api
    from .controller import Controller
    from .faults import FaultInjector
    from .journal import Journal
    from .state import State


@dataclass
class MockContext:
    state: State
    journal: Journal
    faults: FaultInjector
    apis: list[Api]
    max_body_bytes: int
    log_requests: bool = False
    #: what the control API's views act through (scenarios, state, state file, reset)
    controller: Controller | None = None
    #: the MockServer owning this app, for code outside the package that reached it here
    server: Any = None
    #: who may use the control API and which files it may touch (control/security.py)
    control_policy: Any = None

    def api_for(self, path: str) -> Api | None:
        for api in self.apis:
            if api.owns(path):
                return api
        return None


def current() -> MockContext:
    return current_app.extensions["mockserver"]


def json_body() -> Any:
    """The request body parsed as strict JSON, once per request; raises ValueError."""
    local = g._get_current_object()  # type: ignore[attr-defined]
    cached = local.get("_json_body")
    if cached is None:
        try:
            cached = ("ok", parse_json(request.get_data(cache=True)))
        except ValueError as error:
            cached = ("error", error)
        local._json_body = cached
    kind, value = cached
    if kind == "error":
        raise value
    return value
