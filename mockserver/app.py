"""The Flask app: every API's blueprint plus journal, faults, body cap and error shapes.

Views stay thin: they parse the request with their API's ``parsing`` module, call the
API's backend, and return JSON. Anything that goes wrong becomes an error of the API
that owns the path, never an HTML page or a traceback.
"""

from __future__ import annotations

import difflib
import io
import json
import logging
import time
from typing import Any, Callable, cast

from flask import Flask, Response, g, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge
from werkzeug.routing import BaseConverter, Rule
from werkzeug.wsgi import get_content_length

from .context import MockContext, current
from .errors import ApiError, DropConnection, StatusError
from .journal import HINT_PATH_CHARS, UnparsedJson
from .native import HELD_AT_EPOCH, READ_BODY, STARTED, TAKEN_FAULT
from .responses import app_json, new_request_id, request_headers
from .testclient import InProcessFlaskClient

# app_json and request_headers were first defined here; importers of mockserver.app keep them
__all__ = ["DEFAULT_MAX_BODY_BYTES", "UnknownPathError", "app_json", "create_app", "request_headers"]

logger = logging.getLogger("mockserver")

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class RegexConverter(BaseConverter):
    """``<regex("..."):name>`` route parts, e.g. a project id that is not ``api``."""

    def __init__(self, url_map: Any, pattern: str) -> None:
        super().__init__(url_map)
        self.regex = pattern


class LazyBuilderRule(Rule):
    """A route whose URL builders are compiled when first used, not when it is added.

    Werkzeug generates and compiles Python code (with ``ast``) for two URL builders per rule
    as the rule is added: about a tenth of the mock's start-up for its ~90 routes, though
    only ``url_for`` uses them.
    """

    def _compile_builder(self, append_unknown: bool = True) -> Any:
        compiled = None

        def build(*args: Any, **kwargs: Any) -> tuple[str, str]:
            nonlocal compiled
            if compiled is None:
                compiled = Rule._compile_builder(self, append_unknown)
            return compiled(*args, **kwargs)  # type: ignore[no-any-return]

        return build


class MockFlask(Flask):
    """Flask, minus a check per hook per request that the mock's plain functions never need."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync_functions: dict[Any, Any] = {}

    def ensure_sync(self, func: Any) -> Any:
        # Flask asks inspect.iscoroutinefunction of every hook and view on every request
        # (four times a request here); the answer never changes for a function. Bounded:
        # a bound method is a new object each time it is looked up.
        sync = self._sync_functions.get(func)
        if sync is None:
            sync = super().ensure_sync(func)
            if len(self._sync_functions) < 4096:
                self._sync_functions[func] = sync
        return sync


def create_app(context: MockContext) -> Flask:
    """Build the WSGI app serving every API in ``context.apis`` at the root."""
    # no static folder: Flask would otherwise route GET /static/<path> to files on disk
    app = MockFlask("mockserver", static_folder=None)
    app.url_rule_class = LazyBuilderRule
    app.test_client_class = InProcessFlaskClient
    app.config["MAX_CONTENT_LENGTH"] = context.max_body_bytes
    # Neither API answers OPTIONS; Flask's automatic answer (200, empty text/html) would be
    # the one non-JSON reply of the app. Without it OPTIONS is a 405 in the API's shape.
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    provider = cast(DefaultJSONProvider, app.json)  # Flask's default provider, typed as the base class
    provider.sort_keys = False  # keep the field order of the real APIs
    provider.ensure_ascii = False
    provider.compact = True
    # app_json's encoder: what app.json.dumps does, built once instead of on every answer
    # compact, with no trailing newline: the bytes the recorded outputs show ({"workspace_id":16})
    app.extensions["mockserver.json_encoder"] = json.JSONEncoder(
        ensure_ascii=provider.ensure_ascii, sort_keys=provider.sort_keys, default=provider.default,
        separators=(",", ":"))
    app.url_map.converters["regex"] = RegexConverter
    app.url_map.strict_slashes = False
    # Werkzeug answers "//" in a path with an HTML 308 to the merged path (which can be another
    # route): a double slash is an unknown path instead, answered in the owning API's shape
    app.url_map.merge_slashes = False
    app.extensions["mockserver"] = context
    for api in context.apis:
        app.register_blueprint(api.blueprint)

    app.before_request(_before_request)
    app.after_request(_after_request)
    app.register_error_handler(ApiError, _render_api_error)
    app.register_error_handler(HTTPException, _render_http_error)
    app.register_error_handler(Exception, _render_unexpected_error)
    return app


def _before_request() -> Response | None:
    ctx = current()
    # the hooks run on every request: resolve the context-local proxies once, not per use
    req = request._get_current_object()  # type: ignore[attr-defined]
    local = g._get_current_object()  # type: ignore[attr-defined]
    environ = req.environ
    local.started = environ.get(STARTED) or time.perf_counter()
    local.request_id = new_request_id()
    api = local.api = ctx.api_for(req.path)
    _enforce_body_cap(req)
    if TAKEN_FAULT in environ:  # the server took it, and held the request for its latency itself
        rule, epoch = environ[TAKEN_FAULT], environ.get(HELD_AT_EPOCH)
    else:
        rule, epoch = ctx.faults.take(req.method, req.path, api.name if api else None), None
    if rule is None:
        return None
    g.fault = rule.id
    if rule.latency_ms:
        if epoch is None:
            epoch = ctx.state.epoch
            ctx.faults.delay(rule)
        if ctx.state.epoch != epoch:
            # a reset released it: carried out now, it would change (and be journaled in)
            # the next test's fresh data
            local.stale = True
            return error_response(error_for_status(503, "The mock server was reset while a latency fault held this "
                                                        "request; it was not carried out."))
    if rule.drop:
        _record(None, None)
        raise DropConnection(rule.describe())
    if rule.status is None:
        return None  # latency only: the API answers as usual
    if rule.body is None:
        response = error_response(error_for_status(rule.status, "Fault injected by the mock server."))
    elif isinstance(rule.body, str):
        response = Response(rule.body, status=rule.status, mimetype="text/plain")
    else:
        response = app_json(rule.body, rule.status)
    for key, value in (rule.headers or {}).items():
        response.headers[key] = value
    return response


def _enforce_body_cap(req: Any = None) -> None:
    """Read the body before any view or fault runs, so an over-limit body is always a 413.

    Werkzeug checks MAX_CONTENT_LENGTH only when something reads the body: a view that
    never does (``GET /v1/api/config``, ``POST /__mock/reset``) would act on an oversized
    request. A streamed body (chunked, no Content-Length) Werkzeug reads up to the limit
    and silently cuts there; reading one byte more tells a body at the limit from one over it.
    """
    environ = request.environ
    req = req if req is not None else request._get_current_object()  # type: ignore[attr-defined]
    if _take_read_body(req, environ):
        return
    if get_content_length(environ) is None and environ.get("wsgi.input_terminated"):
        limit = current().max_body_bytes
        stream, data = environ["wsgi.input"], b""
        while len(data) <= limit and (chunk := stream.read(limit + 1 - len(data))):
            data += chunk
        if len(data) > limit:
            g.body_too_large = True
            raise RequestEntityTooLarge()
        environ["wsgi.input"] = io.BytesIO(data)
        if data:  # now of a known length (a request without a body keeps its headers as they were)
            environ["CONTENT_LENGTH"] = str(len(data))
            environ.pop("HTTP_TRANSFER_ENCODING", None)
    try:
        req.get_data(cache=True)
    except RequestEntityTooLarge:
        g.body_too_large = True
        raise


def _take_read_body(req: Any, environ: dict[str, Any]) -> bool:
    """Take the body our server read before the app ran (:data:`~mockserver.native.READ_BODY`)
    as the request's data: what ``get_data(cache=True)`` would keep, without Werkzeug's
    stream guards (a tenth of a small request's cost). False when there is none.

    A body that ended before its ``Content-Length`` (the client stopped sending) is a 400:
    acting on the part that came would act on a request nobody sent.
    """
    data = environ.get(READ_BODY)
    if data is None:
        return False
    if len(data) > current().max_body_bytes:
        g.body_too_large = True
        raise RequestEntityTooLarge()
    length = environ.get("CONTENT_LENGTH")
    if length:
        if len(data) != int(length):
            raise BadRequest(f"The request body ended after {len(data)} of the {int(length)} bytes "
                             "its Content-Length announced.")
    elif data:  # a streamed body, now of a known length
        environ["CONTENT_LENGTH"] = str(len(data))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
    req._cached_data = data  # Werkzeug's own cache of the body, read by get_data and form parsing
    return True


#: methods that never change the state: a durable server answers them without saving
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _after_request(response: Response) -> Response:
    local = g._get_current_object()  # type: ignore[attr-defined]
    controller = current().controller
    if (controller is not None and controller.durable and controller.state_file is not None
            and request.method not in _SAFE_METHODS):
        try:
            controller.persist()
        except OSError as error:
            logger.error("could not save the state file: %s", error)
            response = error_response(error_for_status(503, "The change was made, but it could not be written to "
                                                            "the state file, so it is not durable: "
                                                            f"{error.strerror or error}."))
    api = local.get("api")
    if api is not None and api.request_id_header and "X-Request-Id" not in response.headers:
        response.headers["X-Request-Id"] = local.get("request_id", "")
    _record(response.status_code, response, local)
    return response


def _record(status: int | None, response: Response | None, local: Any = None) -> None:
    ctx = current()
    if not ctx.journal.enabled and not ctx.log_requests:
        return
    req = request._get_current_object()  # type: ignore[attr-defined]
    if local is None:
        local = g._get_current_object()  # type: ignore[attr-defined]
    if local.get("stale"):  # made before a reset: the journal it belongs to was cleared
        return
    content_length = req.content_length or 0
    if local.get("body_too_large") or content_length > ctx.max_body_bytes:
        size = f"{content_length} bytes" if content_length else "a body"
        body: Any = f"<{size}, over the {ctx.max_body_bytes}-byte limit>"
        parsed: Any = None
    else:
        # kept as bytes: the journal cuts a long one and parses the JSON only if a test reads it
        body, parsed = req.get_data(cache=True), _UNSET
    response_json = None
    if response is not None and response.mimetype == "application/json" and not response.direct_passthrough:
        # parsed only if a test reads it (as response.get_json(silent=True) would)
        response_json = UnparsedJson(response.get_data())
    api = local.get("api")
    fault = local.get("fault")
    known_json = {} if parsed is _UNSET else {"json": parsed}
    ctx.journal.record(
        time=ctx.state.clock.now(), method=req.method, path=req.path,
        query=req.query_string.decode("latin-1"), headers=request_headers(req.environ), body=body,
        status=status, response=response_json, api=api.name if api else None,
        matched=req.url_rule is not None or fault is not None, fault=fault, **known_json,
    )
    if ctx.log_requests:
        elapsed = (time.perf_counter() - local.get("started", time.perf_counter())) * 1000
        logger.info("%s %s -> %s (%.1f ms)%s", req.method, req.full_path.rstrip("?"),
                    "dropped" if status is None else status, elapsed, f" [fault {fault}]" if fault else "")


_UNSET = object()


def error_for_status(status: int, message: str) -> ApiError:
    """An error with ``status`` in the shape of the API that owns the current request's path."""
    api = g.get("api")
    if api is None:
        api = current().api_for(request.path)
    if api is not None:
        return api.error_for(status, message, request.path)
    return UnknownPathError(status, message)


class UnknownPathError(StatusError):
    """A request outside every mocked API: plain JSON, with the closest known routes."""

    def body(self, request_id: str) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.description, "status": self.status}
        if self.status == 404:
            from flask import current_app

            rules = sorted({rule for _, rule in app_routes(current_app)})
            body["closest_routes"] = difflib.get_close_matches(request.path[:HINT_PATH_CHARS], rules, n=3, cutoff=0.3)
        return body


def app_routes(app: Flask, keep: Callable[[str], bool] | None = None) -> list[tuple[str, str]]:
    """``(methods, rule)`` of the app's routes (``"GET/POST"``, ``"/v1/api/config"``) whose rule
    ``keep`` accepts: what 404 hints and the journal's "did you mean" compare a request with."""
    return [("/".join(sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})), rule.rule)
            for rule in app.url_map.iter_rules() if rule.endpoint != "static" and (keep is None or keep(rule.rule))]


def error_response(error: ApiError) -> Response:
    """``error`` rendered as its API renders errors, with the request's id."""
    response = app_json(error.body(g.get("request_id", "")), error.status)
    for key, value in error.headers().items():
        response.headers[key] = value
    return response


#: the extra member of a mocked API's 404 that names the closest routes (WireMock's "near
#: misses"); the vendors' clients read only their own members, so they ignore it
CLOSEST_ROUTES = "closest_routes"


def _error_response_with_hint(error: ApiError, api: Any) -> Response:
    """A 404 of a mocked API, in its own shape, plus the routes of that API closest to the request."""
    from .journal import closest_routes

    from flask import current_app

    body = error.body(g.get("request_id", ""))
    hints = closest_routes(request.method, request.path, app_routes(current_app, api.owns))
    if hints and isinstance(body, dict) and "errors" not in body:  # GraphQL answers keep Hasura's exact shape
        body[CLOSEST_ROUTES] = hints
    response = app_json(body, error.status)
    for key, value in error.headers().items():
        response.headers[key] = value
    return response


def _render_api_error(error: ApiError) -> Response:
    return error_response(error)


def _render_http_error(error: HTTPException) -> Response:
    status = error.code or 500
    if status == 413:
        message = f"The request body is larger than the limit of {current().max_body_bytes} bytes."
    elif status == 405:
        message = f"Method {request.method} is not allowed on {request.path}."
    elif status == 404:
        message = f"No route for {request.method} {request.path}."
    else:
        message = error.description or error.name
    api_error = error_for_status(status, message)
    if status == 404 and g.get("api") is not None:
        response = _error_response_with_hint(api_error, g.api)
    else:
        response = error_response(api_error)
    valid_methods = getattr(error, "valid_methods", None)  # MethodNotAllowed's
    if status == 405 and valid_methods:
        response.headers["Allow"] = ", ".join(valid_methods)
    return response


def _render_unexpected_error(error: Exception) -> Response:
    if isinstance(error, DropConnection):  # pragma: no cover - BaseException never lands here
        raise error
    logger.exception("unexpected error while answering %s %s", request.method, request.path)
    return error_response(error_for_status(500, f"Internal error in the mock server: {type(error).__name__}."))
