"""The control API under ``/__mock/``: health, reset, state, scenarios, journal, faults, clock.

Never clashes with the mocked APIs (neither vendor uses a ``__`` path). Documented in
docs/control-api.md and in the OpenAPI document at ``/__mock/openapi.json``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, request

from .. import scenarios as scenario_files
from ..app import app_json
from ..context import current, json_body
from ..state import ScenarioError
from ..validation import FieldError, Fields
from . import exceptions as errors

blueprint = Blueprint("control", __name__, url_prefix="/__mock")


def body() -> Any:
    try:
        return json_body()
    except ValueError as error:
        raise errors.InvalidRequest(str(error)) from None


def optional_body() -> Fields:
    if not request.get_data(cache=True).strip():
        return Fields({})
    try:
        return Fields(body())
    except FieldError as error:
        raise errors.InvalidRequest(str(error)) from None


def flag(name: str) -> bool:
    return request.args.get(name, "").lower() in ("1", "true", "yes")


def server() -> Any:
    return current().server


@blueprint.get("/health")
def health() -> Response:
    ctx = current()
    return app_json({"status": "ok", "apis": [api.name for api in ctx.apis if api.make_backend],
                     "scenarios": ctx.state.scenarios, "time": ctx.state.clock.now()})


@blueprint.post("/reset")
def reset() -> Response:
    server().reset()
    return app_json({"status": "reset", "scenarios": current().state.scenarios})


# -- state ---------------------------------------------------------------------------
@blueprint.get("/state")
def get_state() -> Response:
    return app_json(current().state.export())


@blueprint.put("/state")
def put_state() -> Response:
    try:
        current().state.import_(body(), source="PUT /__mock/state", as_baseline=flag("as_baseline"))
    except ScenarioError as error:
        raise errors.InvalidDocument(error.source, error.path, error.message) from None
    return app_json({"status": "imported", "scenarios": current().state.scenarios})


@blueprint.post("/state/save")
def save_state() -> Response:
    fields = optional_body()
    try:
        path = fields.str("path")
    except FieldError as error:
        raise errors.InvalidRequest(str(error)) from None
    if path is None and server().state_file is None:
        raise errors.NoStateFile()
    saved = server().save_state(path)
    return app_json({"status": "saved", "path": str(saved)})


# -- scenarios -----------------------------------------------------------------------
@blueprint.get("/scenarios")
def list_scenarios() -> Response:
    return app_json({"builtin": scenario_files.builtin_names(), "loaded": current().state.scenarios})


@blueprint.post("/scenarios/load")
def load_scenarios() -> Response:
    """Body: ``{"scenarios": [name | path | document, ...], "replace": false, "as_baseline": true}``."""
    try:
        fields = Fields(body(), known=("scenarios", "replace", "as_baseline"))
        refs = fields.list("scenarios", required=True, nullable=False)
        replace = fields.bool("replace", default=False)
        as_baseline = fields.bool("as_baseline", default=True)
    except FieldError as error:
        raise errors.InvalidRequest(str(error)) from None
    for index, ref in enumerate(refs):
        if not isinstance(ref, (str, dict)):
            raise errors.InvalidRequest(f"scenarios[{index}]: expected a name, a path or a scenario object")
    try:
        server().load_scenarios(refs, replace=replace, as_baseline=as_baseline)
    except ScenarioError as error:
        raise errors.InvalidDocument(error.source, error.path, error.message) from None
    return app_json({"status": "loaded", "scenarios": current().state.scenarios})


# -- journal -------------------------------------------------------------------------
def _journal_filter() -> dict[str, Any]:
    criteria: dict[str, Any] = {}
    for name in ("method", "path", "api"):
        if request.args.get(name):
            criteria[name] = request.args[name]
    if request.args.get("status"):
        try:
            criteria["status"] = int(request.args["status"])
        except ValueError:
            raise errors.InvalidRequest("status must be an integer") from None
    return criteria


@blueprint.get("/requests")
def list_requests() -> Response:
    journal = current().journal
    entries = journal.find(**_journal_filter())
    entries = [e for e in entries if not e.path.startswith("/__mock/")] if not flag("include_control") else entries
    limit = request.args.get("limit")
    if limit:
        try:
            entries = entries[-int(limit):] if int(limit) > 0 else []
        except ValueError:
            raise errors.InvalidRequest("limit must be an integer") from None
    return app_json({"count": len(entries), "requests": [entry.to_dict() for entry in entries]})


@blueprint.get("/requests/unmatched")
def unmatched_requests() -> Response:
    entries = current().journal.unmatched()
    return app_json({"count": len(entries), "requests": [entry.to_dict() for entry in entries]})


@blueprint.delete("/requests")
def clear_requests() -> Response:
    current().journal.clear()
    return app_json({"status": "cleared"})


# -- faults --------------------------------------------------------------------------
@blueprint.get("/faults")
def list_faults() -> Response:
    return app_json({"faults": [rule.to_dict() for rule in current().faults.rules()]})


@blueprint.post("/faults")
def add_fault() -> Response:
    try:
        rule = current().faults.add_from_json(body())
    except (FieldError, ValueError) as error:
        raise errors.InvalidRequest(str(error)) from None
    return app_json(rule.to_dict(), 201)


@blueprint.delete("/faults")
def clear_faults() -> Response:
    current().faults.clear()
    return app_json({"status": "cleared"})


@blueprint.delete("/faults/<rule_id>")
def delete_fault(rule_id: str) -> Response:
    if not current().faults.remove(rule_id):
        raise errors.NotFound(f"no fault rule with id {rule_id}")
    return app_json({"status": "deleted", "id": rule_id})


# -- clock ---------------------------------------------------------------------------
def _instant(fields: Fields, name: str) -> float | None:
    value = fields.value.get(name)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    raise errors.InvalidRequest(f"{name}: expected epoch seconds or an ISO 8601 timestamp with offset")


@blueprint.get("/clock")
def get_clock() -> Response:
    return app_json(current().state.clock.describe())


@blueprint.post("/clock")
def set_clock() -> Response:
    """Body: any of ``{"freeze": true | <instant>, "set": <instant>, "advance": <seconds>,
    "unfreeze": true, "reset": true}``, applied in that order."""
    clock = current().state.clock
    try:
        fields = Fields(body(), known=("freeze", "set", "advance", "unfreeze", "reset"))
        advance = fields.number("advance")
    except FieldError as error:
        raise errors.InvalidRequest(str(error)) from None
    if fields.value.get("reset") is True:
        clock.reset()
    if "freeze" in fields and fields.value["freeze"] is not False:
        clock.freeze(_instant(fields, "freeze"))
    if "set" in fields:
        instant = _instant(fields, "set")
        if instant is None:
            raise errors.InvalidRequest("set: expected epoch seconds or an ISO 8601 timestamp")
        clock.set(instant)
    if advance is not None:
        clock.advance(float(advance))
    if fields.value.get("unfreeze") is True:
        clock.unfreeze()
    return app_json(clock.describe())
