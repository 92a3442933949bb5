"""Hasura's row selection: ``<table>_bool_exp`` (``where``), ``order_by``, ``limit``/``offset``,
SQL ``LIKE``; the columns (with their types) and relationships of each table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from ..catalog.graphql import COLUMNS as CATALOG_COLUMNS
from . import errors as gql_errors
from .tables import Context


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


Fetch = Callable[[Context, dict[str, Any]], Any]


@dataclass(frozen=True)
class Relationship:
    target: str
    many: bool
    fetch: Fetch


def workspace_of(ctx: Context, row: dict[str, Any]) -> dict[str, Any] | None:
    """The workspace of a member or default-workspace row (readable whenever the row is, except
    in a delete's ``returning``, which may have just removed the caller)."""
    rows = ctx.tables.workspace_rows(ctx.caller, workspace_id=row["workspace_id"], readable_only=False)
    return rows[0] if rows else None


TABLES: dict[str, tuple[dict[str, str], dict[str, Relationship]]] = {
    "workspace": (
        {"archived": "Boolean", "created_at": "timestamptz", "created_by": "String", "id": "bigint",
         "name": "String"},
        {"users": Relationship("workspace_users", True,
                                lambda ctx, row: ctx.tables.workspace_user_rows(ctx.caller, workspace_id=row["id"]))},
    ),
    "workspace_users": (
        {"id": "bigint", "user_id": "String", "user_type": "String", "workspace_id": "bigint"},
        {"workspace": Relationship("workspace", False, workspace_of)},
    ),
    "user_default_workspace": (
        {"user_id": "String", "workspace_id": "bigint"},
        {"workspace": Relationship("workspace", False, workspace_of)},
    ),
}
# the models, pipelines and deployments tables: columns only (no filtering through relationships)
TABLES.update({table: (columns, {}) for table, columns in CATALOG_COLUMNS.items()})


def _null_value(type_name: str) -> gql_errors.HasuraError:
    # Hasura refuses a null inside a boolean expression rather than reading it as "no filter"
    return gql_errors.ValidationFailed(f"unexpected null value for type \"{type_name}\"", at="args.where")


def check_nulls(table: str, expression: Any) -> None:
    """Refuse a null anywhere in a boolean expression, whether or not a row would reach it."""
    if expression is None:
        raise _null_value(f"{table}_bool_exp")
    columns, relationships = TABLES[table]
    for key, value in expression.items():
        if key in ("_and", "_or"):
            if value is None:
                raise _null_value(f"{table}_bool_exp")
            for item in value:
                check_nulls(table, item)
        elif key == "_not":
            check_nulls(table, value)
        elif key in relationships:
            check_nulls(relationships[key].target, value)
        elif value is None:
            raise _null_value(f"{columns[key]}_comparison_exp")
        else:
            for operand in value.values():
                if operand is None:
                    raise _null_value(columns[key])


def comparisons(table: str, expression: dict[str, Any]) -> int:
    """The column comparisons in a boolean expression (checked by :func:`check_nulls` first),
    at least 1: what filtering one row costs, for the operation's budget (limits.py)."""
    columns, relationships = TABLES[table]
    count = 0
    for key, value in expression.items():
        if key in ("_and", "_or"):
            count += sum(comparisons(table, item) for item in value)
        elif key == "_not":
            count += comparisons(table, value)
        elif key in relationships:
            count += comparisons(relationships[key].target, value)
        else:
            count += len(value)
    return max(count, 1)


def matches(ctx: Context, table: str, row: dict[str, Any], expression: dict[str, Any]) -> bool:
    """Hasura's ``<table>_bool_exp`` (checked by :func:`check_nulls` first): every member must
    hold; ``_and: []`` holds, ``_or: []`` does not."""
    columns, relationships = TABLES[table]
    for key, value in expression.items():
        if key == "_and":
            holds = all(matches(ctx, table, row, item) for item in value)
        elif key == "_or":
            holds = any(matches(ctx, table, row, item) for item in value)
        elif key == "_not":
            holds = not matches(ctx, table, row, value)
        elif key in relationships:
            relationship = relationships[key]
            related = relationship.fetch(ctx, row)
            if relationship.many:
                holds = any(matches(ctx, relationship.target, other, value) for other in related)
            else:
                holds = related is not None and matches(ctx, relationship.target, related, value)
        else:
            holds = _compare(ctx, columns[key], row.get(key), value)
        if not holds:
            return False
    return True


def _comparable(type_name: str, value: Any) -> Any:
    return _moment(value) if type_name == "timestamptz" else value


def _fold(text: str) -> str:
    """Lower case for ILIKE, one character for one (``_`` counts characters): ``str.lower`` when it
    keeps the length (both sigmas as one), else character by character, keeping those that grow."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered.replace("\u03c2", "\u03c3")
    return "".join(char if len(char.lower()) != 1 else char.lower() for char in text).replace("\u03c2", "\u03c3")


class _Segment:
    """A stretch of a LIKE pattern between two ``%``: fixed length, ``_`` any one character."""

    __slots__ = ("length", "chunks")

    def __init__(self, chars: list[str | None]) -> None:
        self.length = len(chars)
        #: (offset, literal text) of each run of literal characters
        self.chunks: list[tuple[int, str]] = []
        start = None
        for index, char in enumerate([*chars, None]):
            if char is not None and start is None:
                start = index
            elif char is None and start is not None:
                self.chunks.append((start, "".join(chars[start:index])))  # type: ignore[arg-type]  # a run holds no None
                start = None

    def at(self, text: str, index: int) -> bool:
        return all(text.startswith(chunk, index + offset) for offset, chunk in self.chunks)

    def find(self, text: str, start: int, end: int) -> int:
        """The leftmost index >= start where the segment matches, ending by ``end``; -1 if none."""
        last = end - self.length
        if last < start:
            return -1
        if not self.chunks:
            return start
        offset, anchor = self.chunks[0]
        found = text.find(anchor, start + offset, last + offset + len(anchor))
        while found != -1:
            if self.at(text, found - offset):
                return found - offset
            found = text.find(anchor, found + 1, last + offset + len(anchor))
        return -1


class LikePattern:
    """SQL LIKE: ``%`` any run, ``_`` one character, ``\\`` escapes (a trailing one is ignored).

    Matched without a regular expression: a regex of ``.*`` runs backtracks exponentially
    (``%a%a...%b`` against a long run of ``a`` froze the server holding the GIL). The pattern is
    split at ``%`` into fixed-length segments; the first must match at the start, the last at
    the end, and each one between at its leftmost place after the previous one, which is
    correct because a segment has a fixed length (an earlier end never leaves less room for the
    rest). Time: O(text × pattern) at worst."""

    __slots__ = ("segments", "ignore_case")

    def __init__(self, pattern: str, *, ignore_case: bool) -> None:
        self.ignore_case = ignore_case
        segments: list[list[str | None]] = [[]]
        escaped = False
        for char in pattern:
            if escaped or char not in "\\%_":
                segments[-1].append(_fold(char) if ignore_case else char)
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == "%":
                segments.append([])
            else:
                segments[-1].append(None)
        self.segments = [_Segment(chars) for chars in segments]

    def fullmatch(self, text: str) -> bool:
        if self.ignore_case:
            text = _fold(text)
        first, *middle = self.segments
        if not middle:
            return len(text) == first.length and first.at(text, 0)
        last = middle.pop()
        end = len(text) - last.length
        if end < first.length or not first.at(text, 0) or not last.at(text, end):
            return False
        position = first.length
        for segment in middle:
            found = segment.find(text, position, end)
            if found == -1:
                return False
            position = found + segment.length
        return True


def _like(ctx: Context, pattern: str, *, ignore_case: bool) -> LikePattern:
    # prepared once per operation, not once per row (an _or of 30 000 patterns took 7 s)
    key = ("like", pattern, ignore_case)
    prepared = ctx.prepared.get(key)
    if prepared is None:
        prepared = ctx.prepared[key] = LikePattern(pattern, ignore_case=ignore_case)
    return prepared  # type: ignore[no-any-return]


def _members(ctx: Context, type_name: str, operand: list[Any]) -> set[Any]:
    # the set of an _in / _nin list, built once per operation (the list object lives as long as it)
    key = ("in", id(operand), type_name)
    prepared = ctx.prepared.get(key)
    if prepared is None or prepared[0] is not operand:
        prepared = ctx.prepared[key] = (operand, {_comparable(type_name, item) for item in operand})
    return prepared[1]  # type: ignore[no-any-return]


def _compare(ctx: Context, type_name: str, actual: Any, operators: dict[str, Any]) -> bool:
    """A ``<type>_comparison_exp``; as in SQL, a comparison with a NULL column is false."""
    for operator, operand in operators.items():
        if operator == "_is_null":
            holds = (actual is None) == operand
        elif actual is None:
            holds = False
        elif operator in ("_in", "_nin"):
            members = _members(ctx, type_name, operand)
            holds = (_comparable(type_name, actual) in members) == (operator == "_in")
        elif operator in ("_like", "_nlike", "_ilike", "_nilike"):
            holds = _like(ctx, operand, ignore_case="ilike" in operator).fullmatch(actual) == (
                operator in ("_like", "_ilike"))
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
    columns, _ = TABLES[table]
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


def selected(ctx: Context, table: str, rows: list[dict[str, Any]], args: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows after ``where``, ``order_by``, ``offset`` and ``limit``, in that order."""
    ctx.rows.take(len(rows))  # every table read counts against the operation's budget
    where = args.get("where")
    if "where" in args:
        check_nulls(table, where)
    if where:
        ctx.rows.compare(len(rows) * comparisons(table, where))
        rows = [row for row in rows if matches(ctx, table, row, where)]
    if args.get("order_by"):
        rows = _ordered(table, rows, args["order_by"])
    for name in ("offset", "limit"):
        value = args.get(name)
        if value is not None and value < 0:
            raise gql_errors.ValidationFailed(f"expecting a non-negative integer for \"{name}\"", at=f"args.{name}")
    offset, limit = args.get("offset") or 0, args.get("limit")
    return rows[offset:] if limit is None else rows[offset:offset + limit]


def equality(where: Any, column: str) -> Any:
    """The value a ``where`` pins ``column`` to with ``_eq`` (at its top or in an ``_and``),
    so a lookup can start from that row instead of every row; None when it pins nothing."""
    if not isinstance(where, dict):
        return None
    comparison = where.get(column)
    if isinstance(comparison, dict) and comparison.get("_eq") is not None:
        return comparison["_eq"]
    for item in where.get("_and") or []:
        found = equality(item, column)
        if found is not None:
            return found
    return None

