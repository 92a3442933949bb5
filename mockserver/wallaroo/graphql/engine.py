"""Wallaroo's GraphQL endpoint (``POST /v1/graphql``): a small Hasura over the same store.

The high-level ``wallaroo`` SDK reads workspaces, their members and the caller's default
workspace through GraphQL, and changes members and default workspaces with GraphQL
mutations (docs/wallaroo.md, section "GraphQL"). ``graphql-core`` parses, validates and
introspects against the schema in ``schema.py``; the resolvers (``resolvers.py``) turn Hasura's
arguments (``where`` boolean expressions, ``order_by``, ``limit``/``offset``,
``on_conflict``) into calls of the tables (``tables.py``), views of the backend's store.

As Hasura does on ``/v1/graphql``, every answer is HTTP 200: either ``{"data": ...}`` or
``{"errors": [{"extensions": {"path", "code"}, "message"}]}`` (one error, no partial data:
Hasura compiles an operation to one SQL statement). The request envelope
(``{"query", "variables", "operationName"}``) is read here rather than in ``parsing.py``,
because its failures are GraphQL errors, not the REST API's 400s.

graphql-core is imported on the first GraphQL request only, so the server starts as fast
as before.
"""

from __future__ import annotations

import contextlib
import re
import threading
from typing import TYPE_CHECKING, Any, Callable

from .. import exceptions as errors
from . import errors as gql_errors
from . import limits
from .resolvers import install_resolvers
from .schema import SDL, install_scalars
from .tables import Context, Tables

if TYPE_CHECKING:
    from ..backend import WallarooBackend
    from ..records import User

#: the longest query accepted, in tokens (the SDK's longest, the introspection query, has
#: about 160); bounds the work a pathological document can cause
MAX_TOKENS = 10_000
#: the deepest selection accepted (introspection nests 9 levels)
MAX_DEPTH = 40
#: validated documents kept for reuse (bounded: a client sending ever new queries fills it once)
MAX_CACHED_DOCUMENTS = 256
#: Hasura's answer to a token the backend refused (Hasura in JWT mode checks tokens itself)
_AUTH_ERRORS: list[tuple[type[errors.Unauthorized], gql_errors.HasuraError]] = [
    (errors.MissingToken,
     gql_errors.InvalidHeaders("Missing 'Authorization' or 'Cookie' header in JWT authentication mode")),
    (errors.MalformedAuthorization, gql_errors.InvalidHeaders("Malformed Authorization header")),
    (errors.ExpiredToken, gql_errors.InvalidJwt("Could not verify JWT: JWTExpired")),
    (errors.InvalidToken, gql_errors.InvalidJwt("Could not verify JWT: JWSError JWSInvalidSignature")),
    (errors.UnknownTokenUser, gql_errors.InvalidJwt("Could not verify JWT: the token's user does not exist")),
    (errors.UserDisabled, gql_errors.InvalidJwt("Could not verify JWT: the user account is disabled")),
]


def answer(backend: WallarooBackend, authorization: str | None, read_body: Callable[[], Any]) -> Any:
    """The JSON answer (always sent with status 200) to one ``POST /v1/graphql``.

    ``read_body`` returns the parsed JSON body or raises ValueError. A JSON array is a
    batch (Hasura's): one answer per request, in order.
    """
    try:
        caller = backend.authenticate(authorization)
    except errors.Unauthorized as refused:
        return {"errors": [_auth_error(refused).entry()]}
    try:
        payload = read_body()
    except ValueError as error:
        return {"errors": [gql_errors.InvalidJson(f"Error in $: {error}").entry()]}
    engine = _engine()
    if isinstance(payload, list):
        try:
            limits.check_batch(len(payload))
        except gql_errors.HasuraError as error:
            return {"errors": [error.entry()]}
        return [engine.run(backend, caller, item, f"$[{index}]") for index, item in enumerate(payload)]
    return engine.run(backend, caller, payload, "$")


def _auth_error(refused: errors.Unauthorized) -> gql_errors.HasuraError:
    for kind, error in _AUTH_ERRORS:
        if isinstance(refused, kind):
            return error
    return gql_errors.InvalidJwt(f"Could not verify JWT: {refused.description}")


# == the engine: graphql-core with this schema and these resolvers ==========================
_engine_lock = threading.Lock()
_engine_instance: _Engine | None = None


def _engine() -> _Engine:
    global _engine_instance
    if _engine_instance is None:
        with _engine_lock:
            if _engine_instance is None:
                _engine_instance = _Engine()
    return _engine_instance


def _json_kind(value: Any) -> str:
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, (int, float)):
        return "Number"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    return "Object"


class _Engine:
    """The schema, built once, and the way one request is run against it."""

    def __init__(self) -> None:
        import graphql

        self.gql = graphql
        self.schema = graphql.build_schema(SDL)
        self._introspection_cache: dict[str, dict[str, Any]] = {}
        #: query text -> its parsed document, once it passed validation: the SDK sends the
        #: same few queries with new variables, and validating one costs ten times its run
        self._valid_documents: dict[str, Any] = {}
        install_scalars(self.schema)
        install_resolvers(self.schema)

    def run(self, backend: WallarooBackend, caller: User, payload: Any, at: str) -> dict[str, Any]:
        try:
            return self._run(backend, caller, payload, at)
        except gql_errors.HasuraError as error:
            return {"errors": [error.entry()]}

    def _run(self, backend: WallarooBackend, caller: User, payload: Any, at: str) -> dict[str, Any]:
        gql = self.gql
        query, variables, operation_name = _envelope(payload, at)
        document = self._valid_documents.get(query)
        validated = document is not None
        if document is None:
            try:
                document = gql.parse(query, max_tokens=MAX_TOKENS)
                _check_depth(document)
            except (gql.GraphQLError, RecursionError):
                raise gql_errors.ValidationFailed("not a valid graphql query", path=f"{at}.query") from None
        operation = gql.get_operation_ast(document, operation_name)
        if operation is None:
            if operation_name is not None:
                raise gql_errors.ValidationFailed(f"no such operation found in the document: \"{operation_name}\"")
            raise gql_errors.ValidationFailed(
                "exactly one operation has to be present in the document when operationName is not specified")
        limits.check_operation(document, operation)
        if not validated:
            problems = gql.validate(self.schema, document)
            if problems:
                raise _validation_error(document, problems[0])
            if len(self._valid_documents) < MAX_CACHED_DOCUMENTS:
                self._valid_documents[query] = document
        if operation.operation == gql.OperationType.SUBSCRIPTION:
            raise gql_errors.ValidationFailed("subscriptions are not supported")
        from graphql.execution.values import get_variable_values

        coerced = get_variable_values(self.schema, operation.variable_definitions or [], variables or {})
        if isinstance(coerced, list):
            raise _variable_error(coerced[0])
        cache_key = _introspection_key(operation, query, variables)
        if cache_key is not None and cache_key in self._introspection_cache:
            return self._introspection_cache[cache_key]

        # A mutation sees and changes the store as one, and is one transaction (Hasura): when
        # any part of it fails, a root field or a field read after the change, nothing of it
        # stays; the rollback undoes only what the mutation changed. A query reads table by
        # table, each read under the store's lock for that read only: holding the lock for a
        # whole query stalled every other client (100 aliases over 5 000 workspaces: 7.5 s).
        is_mutation = operation.operation == gql.OperationType.MUTATION
        with backend.state.transaction() if is_mutation else contextlib.nullcontext():
            result = gql.execute(self.schema, document, context_value=Context(Tables(backend), caller),
                                 variable_values=variables or {}, operation_name=operation_name)
            if result.errors:
                raise _execution_error(result.errors[0])
        reply = {"data": result.data}
        if cache_key is not None and len(self._introspection_cache) < 16:
            self._introspection_cache[cache_key] = reply
        return reply


def _envelope(payload: Any, at: str) -> tuple[str, dict[str, Any] | None, str | None]:
    """``{"query", "variables", "operationName"}``; other members are ignored (``extensions``)."""
    if not isinstance(payload, dict):
        raise gql_errors.ParseFailed(f"Error in {at}: expected a GraphQL request object, but encountered "
                                     f"{_json_kind(payload)}", path=at)
    if "query" not in payload:
        raise gql_errors.ParseFailed(f"Error in {at}: key \"query\" not found", path=at)
    query = payload["query"]
    if not isinstance(query, str):
        raise gql_errors.ParseFailed(f"Error in {at}.query: expected String, but encountered {_json_kind(query)}",
                                     path=f"{at}.query")
    variables = payload.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise gql_errors.ParseFailed(f"Error in {at}.variables: expected Object, but encountered "
                                     f"{_json_kind(variables)}", path=f"{at}.variables")
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise gql_errors.ParseFailed(f"Error in {at}.operationName: expected String, but encountered "
                                     f"{_json_kind(operation_name)}", path=f"{at}.operationName")
    return query, variables, operation_name


def _check_depth(document: Any) -> None:
    def depth(selection_set: Any, level: int) -> None:
        if level > MAX_DEPTH:
            raise RecursionError
        for selection in selection_set.selections:
            if getattr(selection, "selection_set", None) is not None:
                depth(selection.selection_set, level + 1)

    for definition in document.definitions:
        if getattr(definition, "selection_set", None) is not None:
            depth(definition.selection_set, 1)


def _introspection_key(operation: Any, query: str, variables: dict[str, Any] | None) -> str | None:
    """Introspection answers depend on the schema only: the same query is answered from a cache
    (every new SDK client introspects once)."""
    fields = operation.selection_set.selections
    if variables or not all(getattr(f, "name", None) is not None and f.name.value.startswith("__")
                            and f.name.value != "__typename" for f in fields):
        return None
    return query


# == errors in Hasura's words ==================================================================
_VALIDATION_WORDING: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Cannot query field '(?P<field>[^']+)' on type '(?P<type>[^']+)'"),
     "field '{field}' not found in type: '{type}'"),
    (re.compile(r"Unknown argument '(?P<arg>[^']+)' on field '[^.']+\.(?P<field>[^']+)'"),
     "'{field}' has no argument named '{arg}'"),
    (re.compile(r"Field '(?P<field>[^']+)' argument '(?P<arg>[^']+)' of type '[^']+' is required"),
     "missing required field '{arg}'"),
]


def _validation_error(document: Any, problem: Any) -> gql_errors.HasuraError:
    message = problem.message
    for pattern, wording in _VALIDATION_WORDING:
        match = pattern.search(message)
        if match:
            message = wording.format(**match.groupdict())
            break
    path = _node_path(document, problem.nodes[0]) if problem.nodes else "$"
    return gql_errors.ValidationFailed(message, path=path)


def _node_path(document: Any, target: Any) -> str:
    """Hasura's JSON path of a node of the query: ``$.selectionSet.a.selectionSet.b[.args.x]``."""
    def walk(selection_set: Any, path: str) -> str | None:
        for selection in selection_set.selections:
            if selection is target:
                return f"{path}.selectionSet.{_response_key(selection)}" if hasattr(selection, "alias") else path
            name = _response_key(selection) if hasattr(selection, "alias") else None
            here = f"{path}.selectionSet.{name}" if name else path
            for argument in getattr(selection, "arguments", None) or []:
                if argument is target or _contains(argument, target):
                    return f"{here}.args.{argument.name.value}"
            inner = getattr(selection, "selection_set", None)
            if inner is not None:
                found = walk(inner, here)
                if found is not None:
                    return found
        return None

    for definition in document.definitions:
        if getattr(definition, "selection_set", None) is not None:
            found = walk(definition.selection_set, "$")
            if found is not None:
                return found
    return "$"


def _response_key(field: Any) -> str:
    return field.alias.value if field.alias is not None else field.name.value


def _contains(node: Any, target: Any) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if current is target:
            return True
        for key in getattr(current, "keys", ()):
            value = getattr(current, key, None)
            if isinstance(value, (list, tuple)):
                stack.extend(item for item in value if hasattr(item, "keys"))
            elif hasattr(value, "keys") and not isinstance(value, dict):
                stack.append(value)
    return False


def _variable_error(problem: Any) -> gql_errors.HasuraError:
    match = re.search(r"Variable '\$(?P<name>[^']+)' of (?:required|non-null) type '[^']+' (?:was not provided|"
                      r"must not be null)", problem.message)
    if match:
        return gql_errors.ValidationFailed(f"expecting a value for non-nullable variable: \"{match['name']}\"")
    return gql_errors.ValidationFailed(problem.message, path="$.variableValues")


#: where a data error of a root mutation field points (Hasura: the inserted object)
_DATA_ERROR_AT = {"insert_workspace_one": "args.object[0]", "insert_workspace_users_one": "args.object[0]"}


def _execution_error(problem: Any) -> gql_errors.HasuraError:
    original = problem.original_error
    if not isinstance(original, gql_errors.HasuraError):
        # a bug of the mock, not an answer of Hasura: let the app answer a 500 and log it
        raise original if original is not None else RuntimeError(problem.message)
    if original.path is None:
        names = [part for part in (problem.path or []) if isinstance(part, str)]
        at = original.at
        if not at and len(names) == 1 and not isinstance(original, gql_errors.ValidationFailed):
            field = problem.nodes[0].name.value if problem.nodes else names[0]
            at = _DATA_ERROR_AT.get(field, "")
        original.path = "$" + "".join(f".selectionSet.{name}" for name in names) + (f".{at}" if at else "")
    return original
