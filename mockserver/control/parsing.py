"""Reading control-API requests: JSON bodies, query flags and scenario references, each
failure as the control API's 400 (views stay thin, as in the mocked APIs' ``parsing.py``)."""

from __future__ import annotations

from typing import Any

from flask import request

from ..context import json_body
from ..state import ScenarioError
from ..validation import FieldError, Fields, decimal_int
from . import exceptions as errors


def body() -> Any:
    try:
        return json_body()
    except ValueError as error:
        raise errors.InvalidRequest(str(error)) from None


def fields_of(document: Any, known: tuple[str, ...]) -> Fields:
    try:
        return Fields(document, "", known=known)
    except FieldError as error:
        raise errors.InvalidRequest(str(error)) from None


def optional_body(known: tuple[str, ...]) -> Fields:
    """The JSON body as Fields, or empty Fields when there is no body."""
    if not request.get_data(cache=True).strip():
        return Fields({})
    return fields_of(body(), known)


def flag(name: str) -> bool:
    value = request.args.get(name, "").lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise errors.InvalidRequest(f"query parameter {name}: expected true or false, got {request.args[name]!r}")


def int_arg(name: str) -> int | None:
    """Query parameter ``name`` as a decimal integer (None when absent or empty)."""
    text = request.args.get(name)
    if not text:
        return None
    value = decimal_int(text)
    if value is None:
        raise errors.InvalidRequest(f"query parameter {name}: expected an integer")
    return value


def scenario_refs(fields: Fields, name: str, *, required: bool) -> list[Any] | None:
    """A list of scenario references (names, paths or scenario objects)."""
    try:
        refs = fields.list(name, required=required, nullable=not required)
    except FieldError as error:
        raise errors.InvalidRequest(str(error)) from None
    for index, ref in enumerate(refs or []):
        if not isinstance(ref, (str, dict)):
            raise errors.InvalidRequest(f"{name}[{index}]: expected a name, a path or a scenario object")
    return refs


def rejected(error: ScenarioError) -> errors.InvalidDocument:
    return errors.InvalidDocument(error.source, error.path, error.message)
