"""Limits of ``POST /v1/graphql``: what one request may ask for (docs/wallaroo.md, "GraphQL limits").

A 2.7 KB query with 100 aliases over 5 000 workspaces held the store for 7.5 s and stalled
every other client. Each limit is refused before or while the query runs, in Hasura's error
shape (HTTP 200, ``validation-failed``), and nothing is changed:

* **depth**: selections nested more than :data:`MAX_DEPTH` levels (fragments followed);
* **fields**: more than :data:`MAX_FIELDS` field selections in the operation, aliases and
  fragments counted where they are used (so one fragment spread 100 times counts 100 times);
* **root fields**: more than :data:`MAX_ROOT_FIELDS` at the top (aliases of one table each
  read the whole table);
* **batch**: more than :data:`MAX_BATCH` operations in one batched request;
* **rows**: more than :data:`MAX_ROWS` rows read by one operation (every table, nested ones
  included), so no request walks the store again and again;
* **comparisons**: more than :data:`MAX_COMPARISONS` column comparisons of a ``where`` against
  rows (rows filtered times the comparisons in the expression): an ``_or`` of 30 000 ``_like``
  over 50 workspaces took seconds.

Queries are not run under the store's lock as a whole: each table read takes it for that
read only, so other clients are served between them (mutations stay one transaction).
"""

from __future__ import annotations

from typing import Any

from . import errors as gql_errors

#: the deepest selection (the SDK's introspection query, fragments followed, nests 13 levels)
MAX_DEPTH = 20
#: field selections in one operation (the SDK's introspection query has about 60)
MAX_FIELDS = 1000
#: fields at the top of one operation
MAX_ROOT_FIELDS = 20
#: operations in one batched request (a JSON array)
MAX_BATCH = 20
#: rows one operation may read, over every table it touches
MAX_ROWS = 50_000
#: rows filtered times the column comparisons of their ``where``, over one operation
MAX_COMPARISONS = 200_000


class LimitExceeded(gql_errors.ValidationFailed):
    """A request over one of the limits above (Hasura's ``validation-failed``)."""


def check_batch(size: int) -> None:
    if size > MAX_BATCH:
        raise LimitExceeded(f"a batch may hold at most {MAX_BATCH} operations, got {size}")


def check_operation(document: Any, operation: Any) -> None:
    """Depth, field and root-field limits of ``operation`` (fragments followed), before it runs."""
    fragments = {definition.name.value: definition for definition in document.definitions
                 if type(definition).__name__ == "FragmentDefinitionNode"}
    root = _fields_of(operation.selection_set, fragments, set())
    if len(root) > MAX_ROOT_FIELDS:
        raise LimitExceeded(f"an operation may select at most {MAX_ROOT_FIELDS} fields at its top "
                            f"(aliases included), got {len(root)}")
    counted = 0
    stack = [(field, 1) for field in root]
    while stack:
        field, depth = stack.pop()
        counted += 1
        if counted > MAX_FIELDS:
            raise LimitExceeded(f"an operation may select at most {MAX_FIELDS} fields (aliases and fragment "
                                "uses included)")
        if depth > MAX_DEPTH:
            raise LimitExceeded(f"the query is nested more than {MAX_DEPTH} levels deep")
        if field.selection_set is not None:
            stack.extend((child, depth + 1) for child in _fields_of(field.selection_set, fragments, set()))


def _fields_of(selection_set: Any, fragments: dict[str, Any], visiting: set[str]) -> list[Any]:
    """The fields of a selection set, inline fragments and fragment spreads expanded."""
    found = []
    for selection in selection_set.selections:
        kind = type(selection).__name__
        if kind == "FieldNode":
            found.append(selection)
        elif kind == "InlineFragmentNode":
            found.extend(_fields_of(selection.selection_set, fragments, visiting))
        elif kind == "FragmentSpreadNode":
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in visiting:  # unknown or cyclic: validation reports it
                continue
            found.extend(_fields_of(fragment.selection_set, fragments, visiting | {name}))
        if len(found) > MAX_FIELDS:
            raise LimitExceeded(f"an operation may select at most {MAX_FIELDS} fields (aliases and fragment "
                                "uses included)")
    return found


class RowBudget:
    """Counts the rows one operation reads; refuses the read that goes over :data:`MAX_ROWS`."""

    __slots__ = ("read", "compared")

    def __init__(self) -> None:
        self.read = 0
        self.compared = 0

    def compare(self, comparisons: int) -> None:
        """Count a filter's comparisons (rows times the expression's); refuse past :data:`MAX_COMPARISONS`."""
        self.compared += comparisons
        if self.compared > MAX_COMPARISONS:
            raise LimitExceeded(f"the operation compares rows with its where more than {MAX_COMPARISONS} times; "
                                "narrow it with fewer conditions, or split it")

    def take(self, rows: int) -> None:
        self.read += rows
        if self.read > MAX_ROWS:
            raise LimitExceeded(f"the operation reads more than {MAX_ROWS} rows; narrow it with where, limit "
                                "and offset, or split it")
