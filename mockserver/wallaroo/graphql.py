"""Wallaroo's GraphQL endpoint (``POST /v1/graphql``): a small Hasura over the same store.

The high-level ``wallaroo`` SDK reads workspaces, their members and the caller's default
workspace through GraphQL, and changes members and default workspaces with GraphQL
mutations (docs/wallaroo.md, section "GraphQL"). ``graphql-core`` parses, validates and
introspects against the schema in ``graphql_schema.py``; the resolvers here turn Hasura's
arguments (``where`` boolean expressions, ``order_by``, ``limit``/``offset``,
``on_conflict``) into calls of :class:`~mockserver.wallaroo.backend.WallarooBackend`.

As Hasura does on ``/v1/graphql``, every answer is HTTP 200: either ``{"data": ...}`` or
``{"errors": [{"extensions": {"path", "code"}, "message"}]}`` (one error, no partial data:
Hasura compiles an operation to one SQL statement). The request envelope
(``{"query", "variables", "operationName"}``) is read here rather than in ``parsing.py``,
because its failures are GraphQL errors, not the REST API's 400s.

graphql-core is imported on the first GraphQL request only, so the server starts as fast
as before.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

from . import exceptions as errors
from . import graphql_errors as gql_errors
from .backend import ConflictRule, MemberInsert
from .catalog.graphql import COLUMNS as CATALOG_COLUMNS
from .catalog.graphql import install as install_catalog
from .records import User

if TYPE_CHECKING:
    from .backend import WallarooBackend

#: the longest query accepted, in tokens (the SDK's longest, the introspection query, has
#: about 160); bounds the work a pathological document can cause
MAX_TOKENS = 10_000
#: the deepest selection accepted (introspection nests 9 levels)
MAX_DEPTH = 40
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


@dataclass
class _Context:
    backend: WallarooBackend
    caller: User


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

        from .graphql_schema import full_sdl

        self.gql = graphql
        self.schema = graphql.build_schema(full_sdl())
        self._introspection_cache: dict[str, dict[str, Any]] = {}
        _install_scalars(self.schema)
        _install_resolvers(self.schema)

    def run(self, backend: WallarooBackend, caller: User, payload: Any, at: str) -> dict[str, Any]:
        try:
            return self._run(backend, caller, payload, at)
        except gql_errors.HasuraError as error:
            return {"errors": [error.entry()]}

    def _run(self, backend: WallarooBackend, caller: User, payload: Any, at: str) -> dict[str, Any]:
        gql = self.gql
        query, variables, operation_name = _envelope(payload, at)
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
        problems = gql.validate(self.schema, document)
        if problems:
            raise _validation_error(document, problems[0])
        if operation.operation == gql.OperationType.SUBSCRIPTION:
            raise gql_errors.ValidationFailed("subscriptions are not supported")
        from graphql.execution.values import get_variable_values

        coerced = get_variable_values(self.schema, operation.variable_definitions or [], variables or {})
        if isinstance(coerced, list):
            raise _variable_error(coerced[0])
        cache_key = _introspection_key(operation, query, variables)
        if cache_key is not None and cache_key in self._introspection_cache:
            return self._introspection_cache[cache_key]

        with backend.state.lock:  # one operation sees (and changes) the store as one
            # A mutation is one transaction (Hasura): when any part of it fails, a root field
            # or a field read after the change, nothing of it stays.
            restore = backend.savepoint() if operation.operation == gql.OperationType.MUTATION else None
            result = gql.execute(self.schema, document, context_value=_Context(backend, caller),
                                 variable_values=variables or {}, operation_name=operation_name)
            if result.errors:
                if restore is not None:
                    restore()
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


# == scalars ====================================================================================
def _install_scalars(schema: Any) -> None:
    from graphql import GraphQLError
    from graphql.language import FloatValueNode, IntValueNode, StringValueNode

    def parse_bigint(value: Any) -> int:
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,20}\s*", value):
            number = int(value)
        if number is None:
            raise GraphQLError(f"invalid input syntax for type bigint: {str(value)[:60]!r}")
        if not -2 ** 63 <= number < 2 ** 63:
            raise GraphQLError(f"value {str(value)[:60]} is out of range for type bigint")
        return number

    def literal_bigint(node: Any, _variables: Any = None) -> int:
        if isinstance(node, IntValueNode):
            return parse_bigint(int(node.value))
        if isinstance(node, FloatValueNode):
            return parse_bigint(float(node.value))
        if isinstance(node, StringValueNode):
            return parse_bigint(node.value)
        raise GraphQLError("invalid input syntax for type bigint")

    def parse_timestamptz(value: Any) -> str:
        if isinstance(value, str):
            try:
                datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
                return value
            except ValueError:
                pass
        raise GraphQLError(f"invalid input syntax for type timestamp with time zone: {str(value)[:60]!r}")

    def literal_timestamptz(node: Any, _variables: Any = None) -> str:
        if isinstance(node, StringValueNode):
            return parse_timestamptz(node.value)
        raise GraphQLError("invalid input syntax for type timestamp with time zone")

    bigint = schema.type_map["bigint"]
    bigint.serialize, bigint.parse_value, bigint.parse_literal = int, parse_bigint, literal_bigint
    timestamptz = schema.type_map["timestamptz"]
    timestamptz.serialize, timestamptz.parse_value, timestamptz.parse_literal = (
        str, parse_timestamptz, literal_timestamptz)


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


# == tables: columns (with their types) and relationships, for where / order_by ================
Fetch = Callable[[_Context, dict[str, Any]], Any]


@dataclass(frozen=True)
class _Relationship:
    target: str
    many: bool
    fetch: Fetch


def _workspace_of(ctx: _Context, row: dict[str, Any]) -> dict[str, Any] | None:
    """The workspace of a member or default-workspace row (readable whenever the row is, except
    in a delete's ``returning``, which may have just removed the caller)."""
    rows = ctx.backend.workspace_rows(ctx.caller, workspace_id=row["workspace_id"], readable_only=False)
    return rows[0] if rows else None


_TABLES: dict[str, tuple[dict[str, str], dict[str, _Relationship]]] = {
    "workspace": (
        {"archived": "Boolean", "created_at": "timestamptz", "created_by": "String", "id": "bigint",
         "name": "String"},
        {"users": _Relationship("workspace_users", True,
                                lambda ctx, row: ctx.backend.workspace_user_rows(ctx.caller, workspace_id=row["id"]))},
    ),
    "workspace_users": (
        {"id": "bigint", "user_id": "String", "user_type": "String", "workspace_id": "bigint"},
        {"workspace": _Relationship("workspace", False, _workspace_of)},
    ),
    "user_default_workspace": (
        {"user_id": "String", "workspace_id": "bigint"},
        {"workspace": _Relationship("workspace", False, _workspace_of)},
    ),
}
_TABLES.update({table: (columns, {}) for table, columns in CATALOG_COLUMNS.items()})


def _null_value(type_name: str) -> gql_errors.HasuraError:
    # Hasura refuses a null inside a boolean expression rather than reading it as "no filter"
    return gql_errors.ValidationFailed(f"unexpected null value for type \"{type_name}\"", at="args.where")


def _check_nulls(table: str, expression: Any) -> None:
    """Refuse a null anywhere in a boolean expression, whether or not a row would reach it."""
    if expression is None:
        raise _null_value(f"{table}_bool_exp")
    columns, relationships = _TABLES[table]
    for key, value in expression.items():
        if key in ("_and", "_or"):
            if value is None:
                raise _null_value(f"{table}_bool_exp")
            for item in value:
                _check_nulls(table, item)
        elif key == "_not":
            _check_nulls(table, value)
        elif key in relationships:
            _check_nulls(relationships[key].target, value)
        elif value is None:
            raise _null_value(f"{columns[key]}_comparison_exp")
        else:
            for operand in value.values():
                if operand is None:
                    raise _null_value(columns[key])


def _matches(ctx: _Context, table: str, row: dict[str, Any], expression: dict[str, Any]) -> bool:
    """Hasura's ``<table>_bool_exp`` (checked by :func:`_check_nulls` first): every member must
    hold; ``_and: []`` holds, ``_or: []`` does not."""
    columns, relationships = _TABLES[table]
    for key, value in expression.items():
        if key == "_and":
            holds = all(_matches(ctx, table, row, item) for item in value)
        elif key == "_or":
            holds = any(_matches(ctx, table, row, item) for item in value)
        elif key == "_not":
            holds = not _matches(ctx, table, row, value)
        elif key in relationships:
            relationship = relationships[key]
            related = relationship.fetch(ctx, row)
            if relationship.many:
                holds = any(_matches(ctx, relationship.target, other, value) for other in related)
            else:
                holds = related is not None and _matches(ctx, relationship.target, related, value)
        else:
            holds = _compare(columns[key], row.get(key), value)
        if not holds:
            return False
    return True


def _comparable(type_name: str, value: Any) -> Any:
    return _moment(value) if type_name == "timestamptz" else value


def _like(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    """SQL LIKE: ``%`` any run, ``_`` one character, ``\\`` escapes."""
    parts, escaped = [], False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _compare(type_name: str, actual: Any, operators: dict[str, Any]) -> bool:
    """A ``<type>_comparison_exp``; as in SQL, a comparison with a NULL column is false."""
    for operator, operand in operators.items():
        if operator == "_is_null":
            holds = (actual is None) == operand
        elif actual is None:
            holds = False
        elif operator in ("_in", "_nin"):
            members = {_comparable(type_name, item) for item in operand}
            holds = (_comparable(type_name, actual) in members) == (operator == "_in")
        elif operator in ("_like", "_nlike", "_ilike", "_nilike"):
            found = _like(operand, ignore_case="ilike" in operator).fullmatch(actual) is not None
            holds = found == (operator in ("_like", "_ilike"))
        else:
            left, right = _comparable(type_name, actual), _comparable(type_name, operand)
            holds = {"_eq": left == right, "_neq": left != right}.get(operator)  # type: ignore[assignment]
            if holds is None:
                holds = {"_gt": left > right, "_gte": left >= right, "_lt": left < right,
                         "_lte": left <= right}[operator]
        if not holds:
            return False
    return True


def _ordered(table: str, rows: list[dict[str, Any]], order_by: Any) -> list[dict[str, Any]]:
    """``order_by``: a list of ``{column: direction}``, earlier entries first; PostgreSQL puts
    NULLs last ascending and first descending unless told otherwise."""
    columns, _ = _TABLES[table]
    keys = [(column, direction) for item in order_by for column, direction in item.items()]
    for column, direction in reversed(keys):
        if direction is None:
            raise gql_errors.ValidationFailed("unexpected null value for type \"order_by\"", at="args.order_by")
        descending = direction.startswith("desc")
        nulls_first = direction.endswith("nulls_first") or (descending and not direction.endswith("nulls_last"))
        present = [row for row in rows if row.get(column) is not None]
        missing = [row for row in rows if row.get(column) is None]
        present.sort(key=lambda row: _comparable(columns[column], row[column]), reverse=descending)
        rows = missing + present if nulls_first else present + missing
    return rows


def _selected(ctx: _Context, table: str, rows: list[dict[str, Any]], args: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows after ``where``, ``order_by``, ``offset`` and ``limit``, in that order."""
    where = args.get("where")
    if "where" in args:
        _check_nulls(table, where)
    if where:
        rows = [row for row in rows if _matches(ctx, table, row, where)]
    if args.get("order_by"):
        rows = _ordered(table, rows, args["order_by"])
    for name in ("offset", "limit"):
        value = args.get(name)
        if value is not None and value < 0:
            raise gql_errors.ValidationFailed(f"expecting a non-negative integer for \"{name}\"", at=f"args.{name}")
    offset, limit = args.get("offset") or 0, args.get("limit")
    return rows[offset:] if limit is None else rows[offset:offset + limit]


def _equality(where: Any, column: str) -> Any:
    """The value a ``where`` pins ``column`` to with ``_eq`` (at its top or in an ``_and``),
    so a lookup can start from that row instead of every row; None when it pins nothing."""
    if not isinstance(where, dict):
        return None
    comparison = where.get(column)
    if isinstance(comparison, dict) and comparison.get("_eq") is not None:
        return comparison["_eq"]
    for item in where.get("_and") or []:
        found = _equality(item, column)
        if found is not None:
            return found
    return None


# == resolvers ====================================================================================
def _conflict_rule(ctx: _Context, table: str, on_conflict: dict[str, Any] | None) -> ConflictRule | None:
    if on_conflict is None:
        return None
    where = on_conflict.get("where")
    if "where" in on_conflict:
        _check_nulls(table, where)
    return ConflictRule(constraint=on_conflict["constraint"],
                        update_columns=list(on_conflict.get("update_columns") or []),
                        where=(lambda row: _matches(ctx, table, row, where)) if where else None)


def _not_null(values: dict[str, Any], table: str, *columns: str) -> None:
    """A NOT NULL column given as an explicit null (a column left out takes its default)."""
    for column in columns:
        if column in values and values[column] is None:
            raise gql_errors.NotNullViolation(table, column)


def _insert_workspace_one(_root: Any, info: Any, object: dict[str, Any],  # noqa: A002 - Hasura's name
                          on_conflict: dict[str, Any] | None = None) -> dict[str, Any] | None:
    ctx: _Context = info.context
    _not_null(object, "workspace", "archived")
    users = object.get("users") or {}
    for member in users.get("data") or []:
        _not_null(member, "workspace_users", "user_type")
    defaults = object.get("user_default_workspaces") or {}
    return ctx.backend.insert_workspace_row(
        ctx.caller, name=object.get("name"), created_by=object.get("created_by"), archived=object.get("archived"),
        members=[MemberInsert(user_id=m.get("user_id"), user_type=m.get("user_type")) for m in users.get("data") or []],
        members_on_conflict=_conflict_rule(ctx, "workspace_users", users.get("on_conflict")),
        default_for=[d.get("user_id") for d in defaults.get("data") or []],
        on_conflict=_conflict_rule(ctx, "workspace", on_conflict))


def _insert_workspace_users_one(_root: Any, info: Any, object: dict[str, Any],  # noqa: A002
                                on_conflict: dict[str, Any] | None = None) -> dict[str, Any] | None:
    ctx: _Context = info.context
    _not_null(object, "workspace_users", "user_type")
    return ctx.backend.insert_workspace_user_row(
        ctx.caller, workspace_id=object.get("workspace_id"),
        member=MemberInsert(user_id=object.get("user_id"), user_type=object.get("user_type")),
        on_conflict=_conflict_rule(ctx, "workspace_users", on_conflict))


def _delete_workspace_users(_root: Any, info: Any, where: dict[str, Any]) -> dict[str, Any]:
    ctx: _Context = info.context
    _check_nulls("workspace_users", where)
    deleted = ctx.backend.delete_workspace_user_rows(
        ctx.caller, lambda row: _matches(ctx, "workspace_users", row, where),
        workspace_id=_equality(where, "workspace_id"))
    return {"affected_rows": len(deleted), "returning": deleted}


def _workspace_by_pk(_root: Any, info: Any, id: int) -> dict[str, Any] | None:  # noqa: A002
    rows = info.context.backend.workspace_rows(info.context.caller, workspace_id=id)
    return rows[0] if rows else None


def _workspace_users_by_pk(_root: Any, info: Any, id: int) -> dict[str, Any] | None:  # noqa: A002
    ctx: _Context = info.context
    return next((row for row in ctx.backend.workspace_user_rows(ctx.caller) if row["id"] == id), None)


def _table_resolver(table: str, rows_of: Callable[[_Context, Any, dict[str, Any]], list[dict[str, Any]]]) -> Any:
    def resolve(parent: Any, info: Any, **args: Any) -> list[dict[str, Any]]:
        return _selected(info.context, table, rows_of(info.context, parent, args), args)
    return resolve


def _install_resolvers(schema: Any) -> None:
    def resolvers_of(type_name: str, **resolvers: Any) -> None:
        fields = schema.type_map[type_name].fields
        for name, resolve in resolvers.items():
            fields[name].resolve = resolve

    resolvers_of(
        "query_root",
        workspace=_table_resolver("workspace", lambda ctx, _, args: ctx.backend.workspace_rows(
            ctx.caller, workspace_id=_equality(args.get("where"), "id"))),
        workspace_by_pk=_workspace_by_pk,
        workspace_users=_table_resolver("workspace_users", lambda ctx, _, args: ctx.backend.workspace_user_rows(
            ctx.caller, workspace_id=_equality(args.get("where"), "workspace_id"))),
        workspace_users_by_pk=_workspace_users_by_pk,
        user_default_workspace=_table_resolver(
            "user_default_workspace", lambda ctx, _, args: ctx.backend.default_workspace_rows(
                ctx.caller, user_id=_equality(args.get("where"), "user_id"))),
    )
    resolvers_of(
        "mutation_root",
        insert_workspace_one=_insert_workspace_one,
        insert_workspace_users_one=_insert_workspace_users_one,
        delete_workspace_users=_delete_workspace_users,
    )
    resolvers_of(
        "workspace",
        users=_table_resolver("workspace_users", lambda ctx, row, _: ctx.backend.workspace_user_rows(
            ctx.caller, workspace_id=row["id"])),
        user_default_workspaces=_table_resolver(
            "user_default_workspace", lambda ctx, row, _: [
                link for link in ctx.backend.default_workspace_rows(ctx.caller) if link["workspace_id"] == row["id"]]),
    )
    install_catalog(schema, _table_resolver, _equality)
    resolvers_of("workspace_users", workspace=lambda row, info: _workspace_of(info.context, row))
    resolvers_of("user_default_workspace", workspace=lambda row, info: _workspace_of(info.context, row))
