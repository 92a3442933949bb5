"""The mock's own control API under ``/__mock/`` (docs/control-api.md), and the documentation routes."""

from __future__ import annotations

from typing import Any

from ..openapi.schema import (
    ANY,
    answer,
    array,
    body,
    boolean,
    enum,
    integer,
    mapping,
    nullable,
    number,
    obj,
    operation,
    path_param,
    query,
    ref,
    string,
)

TAG_CONTROL = "Control API"
TAG_DOCS = "Documentation"

TAGS = [
    {"name": TAG_CONTROL, "description": "The mock's own API: health, reset, the state document, scenarios, the "
     "request journal, fault injection and the clock. A token only if the server was started with one "
     "(`X-Mockserver-Token`); calls from other sites' web pages and to foreign host names are refused "
     "(docs/guarantees.md, \"Security model\"). Errors are `{\"error\", \"status\"}`; a "
     "rejected request changes nothing. Unknown members of request bodies are errors here."},
    {"name": TAG_DOCS, "description": "This description, as JSON and as a page."},
]

_SCENARIO_REF = {"oneOf": [string("A built-in scenario name, or the name or path of a file (JSON or YAML) in a "
                                  "`--scenario-dir`, or a file named with `--scenario` at start."),
                           obj({}, "A scenario document.", additional=True)]}

SCHEMAS: dict[str, Any] = {
    "ControlError": obj({
        "error": string(), "status": integer("The HTTP status, repeated."),
        "source": string("422 only: the scenario or document that was rejected."),
        "path": string("422 only: the JSON path of the problem inside it."),
        "reason": string("422 only: what is wrong there."),
    }, "Every error of the control API.", optional=("source", "path", "reason")),
    "ScenarioStatus": obj({"status": string(), "scenarios": array(string(), "The scenarios now loaded.")}),
    "StatusOnly": obj({"status": string()}),
    "Clock": obj({
        "now": number("Mock time, epoch seconds."), "iso": string(format="date-time"),
        "frozen": boolean(), "offset_seconds": number("From real time, while running."),
    }),
    "StateDocument": obj({
        "secrets": string("Only in an export without `?secrets=true`: says the passwords, secret keys and signing "
                          "keys were left out (such a document cannot be imported)."),
        "format": enum(["mockserver-state"]), "version": enum([1], kind="integer"),
        "scenarios": array(string()),
        "clock": ref("Clock"),
        "wallaroo": obj({}, "The Wallaroo section, in the scenario format (docs/wallaroo.md).", additional=True),
        "modelarts": obj({}, "The ModelArts section, in the scenario format (docs/modelarts.md).", additional=True),
    }, "The whole state; also a valid scenario file. On input every member but the API sections is optional.",
        optional=("clock", "secrets")),
    "RecordedRequest": obj({
        "seq": integer("Numbered from 1 since the last clear."), "time": number("Mock clock, epoch seconds."),
        "method": string(), "path": string(), "query": string("The raw query string."),
        "headers": mapping(string()), "body": string("The body as text (first 64 KiB, then cut: see body_truncated)."),
        "json": nullable(ANY), "status": nullable(integer("null for a dropped connection.")),
        "response": nullable(ANY), "api": nullable(enum(["wallaroo", "modelarts", "control"])),
        "matched": boolean("False when no route matched (the router's 404/405)."),
        "fault": nullable(string("The id of the fault rule that answered.")),
        "extra": obj({}, additional=True, description="Deprecated: always empty; will be removed."),
        "body_truncated": boolean("The body was over 64 KiB: `body` holds its start and `json` is null."),
        "response_omitted": nullable(string("Why `response` is null although the answer was JSON: a journal "
                                            "listing (never kept, so listings do not nest) or over 256 KiB.")),
    }, "One journal entry."),
    "FaultRule": obj({
        "id": string(), "method": nullable(string()), "path": nullable(string("A glob.")),
        "api": nullable(string()), "latency_ms": number(), "status": nullable(integer()), "body": nullable(ANY),
        "headers": mapping(string()), "drop": boolean(), "times": nullable(integer()),
        "probability": nullable(number()), "fired": integer(), "remaining": nullable(integer()),
    }),
}

_ERROR_TEXT = {
    400: "The request is malformed: not JSON, a member of the wrong type, an unknown member, a bad query "
         "parameter.",
    404: "No such fault rule.",
    401: "The server requires a control token (`--control-token`) and the call did not send it in "
         "`X-Mockserver-Token`.",
    403: "Refused by the security model (docs/guarantees.md): a `Host` that is not this server's address, a "
         "foreign `Origin` on a change, or a save path outside the `--save-dir`.",
    409: "No path given and the server has no `--state-file`.",
    415: "A call with a body that is not `Content-Type: application/json`.",
    422: "A scenario or state document was read but is invalid; nothing changed.",
    500: "The state could not be written.",
}


def _op(operation_id: str, summary: str, ok: dict[str, Any], statuses: tuple[int, ...] = (), *,
        status: str = "200", description: str | None = None, request_body: dict[str, Any] | None = None,
        parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    responses = {status: ok}
    for code in statuses:
        responses[str(code)] = answer(_ERROR_TEXT[code], ref("ControlError"))
    return operation(operation_id, summary, TAG_CONTROL, responses, description=description,
                     request_body=request_body, parameters=parameters, security=[])


_JOURNAL_PAGE = obj({"count": integer(), "requests": array(ref("RecordedRequest"))})

PATHS: dict[str, Any] = {
    "/__mock/health": {"get": _op("control.health", "Health", answer("Ready.", obj({
        "status": enum(["ok"]), "version": string("Of the package."), "apis": array(string()),
        "scenarios": array(string()), "time": number("Mock clock, epoch seconds.")})))},
    "/__mock/reset": {"post": _op(
        "control.reset", "Reset to the baseline", answer("Reset.", ref("ScenarioStatus")), (400, 422),
        description="Back to the baseline scenarios; clears the journal and the faults; the clock runs in real "
                    "time again. With `scenarios`, those become the baseline first.",
        request_body=body(obj({"scenarios": array(_SCENARIO_REF)}, required=()), required=False,
                          example={"scenarios": ["default"]}))},
    "/__mock/state": {
        "get": _op("control.state.get", "Export the state", answer("The state document.", ref("StateDocument")),
                   (400,), description="Passwords, secret keys and signing keys are left out unless asked for.",
                   parameters=[query("secrets", boolean(), "Include passwords, secret keys and signing keys (a "
                                                           "document that can be imported again).")]),
        "put": _op("control.state.put", "Replace the state", answer("Imported.", ref("ScenarioStatus")), (400, 422),
                   description="Validated completely before anything changes.",
                   parameters=[query("as_baseline", boolean(), "Also make it what reset returns to.")],
                   request_body=body(ref("StateDocument"))),
    },
    "/__mock/state/save": {"post": _op(
        "control.state.save", "Save the state to a file",
        answer("Saved (atomically).", obj({"status": string(), "path": string()})), (400, 403, 409, 500),
        request_body=body(obj({"path": string("A file inside the `--save-dir` given at start (relative to it); "
                                              "default: the `--state-file`.")}, required=()), required=False,
                          example={"path": "snapshot.json"}))},
    "/__mock/scenarios": {"get": _op("control.scenarios.list", "List scenarios", answer("Built-in and loaded.", obj({
        "builtin": array(string()),
        "descriptions": array(obj({"name": string(), "description": string(), "file": string()})),
        "loaded": array(string())})))},
    "/__mock/scenarios/load": {"post": _op(
        "control.scenarios.load", "Load scenarios", answer("Loaded.", ref("ScenarioStatus")), (400, 422),
        request_body=body(obj({
            "scenarios": array(_SCENARIO_REF), "replace": boolean("Start from an empty store (default false)."),
            "as_baseline": boolean("Also what reset returns to (default true)."),
        }, required=("scenarios",)), example={"scenarios": ["wallaroo-tutorial"], "as_baseline": False}))},
    "/__mock/requests": {
        "get": _op("control.requests.list", "The request journal", answer("Recorded requests, oldest first.",
                                                                            _JOURNAL_PAGE), (400,),
                   parameters=[query("method", string(), "Exact method."),
                               query("path", string(), "A glob: `*` within a segment, `**` across."),
                               query("api", string(), "`wallaroo`, `modelarts` or `control`."),
                               query("status", integer(), "Exact status."),
                               query("limit", integer(minimum=0), "The last N."),
                               query("include_control", boolean(), "Include the control API's own requests.")]),
        "delete": _op("control.requests.clear", "Clear the journal", answer("Cleared.", ref("StatusOnly"))),
    },
    "/__mock/requests/find": {"post": _op(
        "control.requests.find", "Find requests (with near misses)", answer("Matches; near misses when none.", obj({
            "count": integer(), "requests": array(ref("RecordedRequest")),
            "near_misses": array(obj({"request": ref("RecordedRequest"), "problems": array(string())}),
                                 "Only when nothing matched: the closest requests and what differs."),
        }, optional=("near_misses",))), (400,),
        request_body=body(obj({
            "method": string(), "path": string("A glob."), "api": string(), "status": integer(),
            "json": ANY, "query": mapping(string()), "headers": mapping(string()), "form": mapping(string()),
        }, "Subsets for `json`, `query`, `headers` and `form`.", required=()),
            example={"method": "POST", "path": "/v1/api/workspaces/create",
                     "json": {"workspace_name": "fraud-detection"}}))},
    "/__mock/requests/unmatched": {"get": _op(
        "control.requests.unmatched", "Requests no route answered", answer("With a report naming close routes.",
                                                                           obj({"count": integer(),
                                                                                "requests": array(ref("RecordedRequest")),
                                                                                "report": string()})))},
    "/__mock/faults": {
        "get": _op("control.faults.list", "Active fault rules",
                   answer("The rules.", obj({"faults": array(ref("FaultRule"))}))),
        "post": _op("control.faults.add", "Add a fault rule", answer("The rule.", ref("FaultRule")), (400,),
                    status="201",
                    description="Matches by method, path glob and api; answers a status (with an optional body), "
                                "waits, or drops the connection; on the next `times` matches, a `probability` "
                                "share, or all.",
                    request_body=body(obj({
                        "method": string(), "path": string(), "api": enum(["wallaroo", "modelarts"]),
                        "latency_ms": number(minimum=0, maximum=60000), "status": integer(minimum=200, maximum=599),
                        "body": ANY, "headers": mapping(string()), "drop": boolean(), "times": integer(minimum=1),
                        "probability": number(minimum=0, maximum=1),
                    }, required=()), example={"path": "/v1/api/workspaces/list", "status": 503, "times": 1})),
        "delete": _op("control.faults.clear", "Remove every fault rule", answer("Cleared.", ref("StatusOnly"))),
    },
    "/__mock/faults/{rule_id}": {
        "parameters": [path_param("rule_id", "The rule's id.")],
        "delete": _op("control.faults.delete", "Remove a fault rule",
                      answer("Removed.", obj({"status": string(), "id": string()})), (404,)),
    },
    "/__mock/clock": {
        "get": _op("control.clock.get", "The mock clock", answer("The clock.", ref("Clock"))),
        "post": _op("control.clock.set", "Move, freeze or reset the mock clock", answer("The clock.", ref("Clock")),
                    (400,), description="Members apply in this order, all or nothing: reset, freeze, set, advance, "
                                        "unfreeze. An instant is epoch seconds or ISO 8601 with an offset.",
                    request_body=body(obj({
                        "reset": boolean(), "freeze": {"oneOf": [boolean(), number(), string()]},
                        "set": {"oneOf": [number(), string()]}, "advance": number("Seconds; may be negative."),
                        "unfreeze": boolean(),
                    }, required=()), example={"freeze": "2025-01-01T00:00:00Z"})),
    },
    "/__mock/openapi.json": {"get": operation(
        "control.openapi", "This OpenAPI document", TAG_DOCS,
        {"200": answer("OpenAPI 3.0.3, with this server as `servers[0]`.", obj({}, additional=True))},
        security=[])},
}

#: the Wallaroo-side documentation routes (served where a real instance serves its docs)
DOCS_PATHS: dict[str, Any] = {
    "/v1/api/docs": {"get": operation(
        "docs.page", "API documentation page", TAG_DOCS,
        {"200": answer("A self-contained HTML page rendered from this document (no scripts or assets from "
                       "elsewhere).", string(), media_type="text/html")},
        description="Where a real Wallaroo instance serves its API docs.", security=[])},
    "/v1/api/openapi.json": {"get": operation(
        "docs.openapi", "This OpenAPI document (same as /__mock/openapi.json)", TAG_DOCS,
        {"200": answer("OpenAPI 3.0.3.", obj({}, additional=True))}, security=[])},
}
