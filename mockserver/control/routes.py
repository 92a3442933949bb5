"""The control API under ``/__mock/``: health, reset, state, scenarios, journal, faults, clock.

Never clashes with the mocked APIs (neither vendor uses a ``__`` path). Documented in
docs/control-api.md. Every route validates its whole request before it changes
anything, so a rejected request (400/404/409/422) leaves the mock as it was. Errors are
``{"error": <message>, "status": <code>}`` (plus ``source``/``path``/``reason`` for a
rejected scenario or state document).
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, request

from .._version import __version__
from .. import scenarios as scenario_files
from ..responses import app_json
from ..clock import MAX_EPOCH, to_epoch, to_seconds
from ..context import current
from ..controller import Controller
from ..journal import RequestMatcher, matcher_size_problem
from ..matching import CONTROL_PREFIX, is_control_path
from ..state import ScenarioError
from ..validation import FieldError, Fields
from . import exceptions as errors
from .parsing import body, fields_of, flag, int_arg, optional_body, rejected, scenario_refs
from .security import ControlPolicy, Refused, redact

blueprint = Blueprint("control", __name__, url_prefix=CONTROL_PREFIX)


def policy() -> ControlPolicy:
    return current().control_policy or _OPEN


_OPEN = ControlPolicy()


@blueprint.before_request
def guard() -> None:
    """Refuse calls from other sites' pages, foreign Host names, and calls without the token."""
    try:
        policy().check_request(request.method, request.path, request.headers, request.get_data(cache=True),
                               request.mimetype)
    except Refused as refused:
        raise errors.HttpError(refused.status, refused.message) from None

MATCHER_FIELDS = ("method", "path", "api", "status", "json", "query", "headers", "form")


def controller() -> Controller:
    ctx = current()
    if ctx.controller is None:  # an app built without one (create_app on a bare context)
        raise errors.InvalidRequest("this app has no controller: scenarios and state files are not available")
    return ctx.controller


def allowed_scenario_refs(fields: Fields, name: str, *, required: bool) -> list[Any] | None:
    """:func:`parsing.scenario_refs`, each file it names checked against the directories given
    at start (a request names files only there)."""
    refs = scenario_refs(fields, name, required=required)
    if refs is None:
        return None
    try:
        return [policy().scenario_ref(ref) if isinstance(ref, str) else ref for ref in refs]
    except ScenarioError as error:
        raise rejected(error) from None


@blueprint.get("/health")
def health() -> Response:
    ctx = current()
    return app_json({"status": "ok", "version": __version__, "apis": [api.name for api in ctx.apis if api.make_backend],
                     "scenarios": ctx.state.scenarios, "time": ctx.state.clock.now()})


@blueprint.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 document of every route of this server (mockserver/openapi/)."""
    from ..openapi import openapi_document

    return app_json(openapi_document(request.host_url))


@blueprint.post("/reset")
def reset() -> Response:
    """Back to the baseline; ``{"scenarios": [...]}`` first makes those the baseline."""
    fields = optional_body(("scenarios",))
    refs = allowed_scenario_refs(fields, "scenarios", required=False)
    try:
        if refs is not None:
            controller().use_scenarios(refs)
        else:
            controller().reset()
    except ScenarioError as error:
        raise rejected(error) from None
    return app_json({"status": "reset", "scenarios": current().state.scenarios})


# -- state ---------------------------------------------------------------------------
#: marks an export without its secrets (it cannot be imported: users would lose their passwords)
SECRETS_OMITTED = {"secrets": "omitted: GET /__mock/state?secrets=true for passwords, secret and signing keys"}


@blueprint.get("/state")
def get_state() -> Response:
    """The state document; passwords, secret keys and signing keys only with ``?secrets=true``."""
    document = current().state.export()
    if flag("secrets"):
        return app_json(document)
    return app_json({**SECRETS_OMITTED, **redact(document)})


@blueprint.put("/state")
def put_state() -> Response:
    as_baseline = flag("as_baseline")
    document = body()
    if isinstance(document, dict) and "secrets" in document:
        raise errors.InvalidDocument("PUT /__mock/state", "secrets", "this export leaves the secrets out "
                                     "(passwords, secret and signing keys), so importing it would change them; "
                                     "export with GET /__mock/state?secrets=true")
    try:
        controller().import_state(document, source="PUT /__mock/state", as_baseline=as_baseline)
    except ScenarioError as error:
        raise rejected(error) from None
    return app_json({"status": "imported", "scenarios": current().state.scenarios})


@blueprint.post("/state/save")
def save_state() -> Response:
    fields = optional_body(("path",))
    try:
        path = fields.str("path")
    except FieldError as error:
        raise errors.InvalidRequest(str(error)) from None
    if path is None and controller().state_file is None:
        raise errors.NoStateFile()
    target = None
    if path is not None:
        try:  # only inside the save directory given at start
            target = policy().save_target(path)
        except Refused as refused:
            raise errors.HttpError(refused.status, refused.message) from None
    try:
        saved = controller().save_state(target)
    except OSError as error:
        raise errors.SaveFailed(f"cannot save the state to {path or controller().state_file}: {error.strerror or error}") from None
    return app_json({"status": "saved", "path": str(saved)})


# -- scenarios -----------------------------------------------------------------------
@blueprint.get("/scenarios")
def list_scenarios() -> Response:
    described = scenario_files.describe_builtin()
    return app_json({"builtin": [item["name"] for item in described], "descriptions": described,
                     "loaded": current().state.scenarios})


@blueprint.post("/scenarios/load")
def load_scenarios() -> Response:
    """Body: ``{"scenarios": [name | path | document, ...], "replace": false, "as_baseline": true}``."""
    fields = fields_of(body(), ("scenarios", "replace", "as_baseline"))
    refs = allowed_scenario_refs(fields, "scenarios", required=True)
    try:
        replace = fields.bool("replace", default=False)
        as_baseline = fields.bool("as_baseline", default=True)
    except FieldError as error:
        raise errors.InvalidRequest(str(error)) from None
    try:
        controller().load_scenarios(refs or [], replace=replace, as_baseline=as_baseline)
    except ScenarioError as error:
        raise rejected(error) from None
    return app_json({"status": "loaded", "scenarios": current().state.scenarios})


# -- journal -------------------------------------------------------------------------
def _journal_filter() -> dict[str, Any]:
    criteria: dict[str, Any] = {}
    for name in ("method", "path", "api"):
        if request.args.get(name):
            criteria[name] = request.args[name]
    status = int_arg("status")
    if status is not None:
        criteria["status"] = status
    return criteria


def _limit(entries: list[Any]) -> list[Any]:
    count = int_arg("limit")
    if count is None:
        return entries
    if count < 0:
        raise errors.InvalidRequest("query parameter limit: must be at least 0")
    return entries[-count:] if count else []


@blueprint.get("/requests")
def list_requests() -> Response:
    """The journal, oldest first; filters: method, path (glob), api, status, limit (the last N)."""
    include_control = flag("include_control")
    journal = current().journal
    try:
        entries = journal.find(**_journal_filter())
    except ValueError as error:  # a path pattern over the length limit
        raise errors.InvalidRequest(f"query parameter path: {error}") from None
    if not include_control:
        entries = [e for e in entries if not is_control_path(e.path)]
    entries = _limit(entries)
    return app_json({"count": len(entries), "requests": [entry.to_dict() for entry in entries]})


@blueprint.post("/requests/find")
def find_requests() -> Response:
    """Body: a request matcher; answers the matches and, when there are none, the near misses."""
    fields = fields_of(body(), MATCHER_FIELDS)
    try:
        for name in ("method", "path", "api"):
            fields.str(name)
        fields.int("status")
        for name in ("query", "headers", "form"):
            section = fields.obj(name)
            if section is not None:
                for key, value in section.value.items():
                    if not isinstance(value, str):
                        raise FieldError(section.at(key), "expected a string")
    except FieldError as error:
        raise errors.InvalidRequest(str(error)) from None
    too_large = matcher_size_problem(fields.value)
    if too_large is not None:
        raise errors.InvalidRequest(too_large)
    try:
        matcher = RequestMatcher.build(**{key: value for key, value in fields.value.items() if value is not None})
    except ValueError as error:  # a path pattern over the length limit
        raise errors.InvalidRequest(f"path: {error}") from None
    journal = current().journal
    entries = [entry for entry in journal.entries(include_control=matcher.targets_control()) if matcher.matches(entry)]
    answer: dict[str, Any] = {"count": len(entries), "requests": [entry.to_dict() for entry in entries]}
    if not entries:
        answer["near_misses"] = [{"request": entry.to_dict(), "problems": problems}
                                 for entry, problems in journal.near_misses(matcher)]
    return app_json(answer)


@blueprint.get("/requests/unmatched")
def unmatched_requests() -> Response:
    journal = current().journal
    entries = journal.unmatched()
    return app_json({"count": len(entries), "requests": [entry.to_dict() for entry in entries],
                     "report": journal.unmatched_report()})


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
    document = body()
    api_names = [api.name for api in current().apis if api.make_backend]
    if isinstance(document, dict) and document.get("api") is not None and document["api"] not in api_names:
        raise errors.InvalidRequest(f"api: expected one of {', '.join(api_names)}, got {document['api']!r}")
    try:
        rule = current().faults.add_from_json(document)
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
def _instant(fields: Fields, name: str, *, allow_true: bool = False) -> float | None:
    value = fields.value.get(name)
    if allow_true and value is True:
        return None
    if value is None or isinstance(value, bool):
        raise errors.InvalidRequest(f"{name}: expected epoch seconds or an ISO 8601 timestamp with an offset"
                                    + (", or true" if allow_true else ""))
    try:
        return to_epoch(value)
    except ValueError as error:
        raise errors.InvalidRequest(f"{name}: {error}") from None


@blueprint.get("/clock")
def get_clock() -> Response:
    return app_json(current().state.clock.describe())


@blueprint.post("/clock")
def set_clock() -> Response:
    """Body: any of ``{"reset": true, "freeze": true | <instant>, "set": <instant>,
    "advance": <seconds>, "unfreeze": true}``, applied in that order, all or nothing."""
    clock = current().state.clock
    fields = fields_of(body(), ("freeze", "set", "advance", "unfreeze", "reset"))
    try:
        advance = fields.number("advance")
        reset_clock = fields.bool("reset", default=False)
        unfreeze = fields.bool("unfreeze", default=False)
    except FieldError as error:
        raise errors.InvalidRequest(str(error)) from None
    if advance is not None:
        try:
            advance = to_seconds(advance)
        except ValueError as error:
            raise errors.InvalidRequest(f"advance: {error}") from None
    freeze = "freeze" in fields and fields.value["freeze"] is not False
    freeze_at = _instant(fields, "freeze", allow_true=True) if freeze else None
    set_at = _instant(fields, "set") if "set" in fields else None
    if not fields.value:
        raise errors.InvalidRequest("expected at least one of: reset, freeze, set, advance, unfreeze")
    if advance is not None:  # where the advance would land, so that nothing is applied if it cannot
        start = set_at if set_at is not None else freeze_at if freeze_at is not None else \
            time.time() if reset_clock else clock.now()
        if not 0 <= start + advance <= MAX_EPOCH:
            raise errors.InvalidRequest(f"advance: advancing by {advance:g} seconds would leave 1970 to 9999")
    # everything is valid: apply
    if reset_clock:
        clock.reset()
    if freeze:
        clock.freeze(freeze_at)
    if set_at is not None:
        clock.set(set_at)
    if advance is not None:
        clock.advance(float(advance))
    if unfreeze:
        clock.unfreeze()
    return app_json(clock.describe())
