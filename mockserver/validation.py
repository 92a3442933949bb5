"""Typed reading of untrusted JSON (request bodies and scenario files).

:class:`Fields` wraps one JSON object and reads typed members from it, raising
:class:`FieldError` with the JSON path of the offending member. Each API's request
parser turns a ``FieldError`` into that API's own error class; the scenario loader
turns it into a message naming the file and the path.
"""

from __future__ import annotations

from typing import Any, Iterator

_MISSING = object()


class FieldError(ValueError):
    """A member of a JSON document is missing or has the wrong type or value."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


def type_name(value: Any) -> str:
    """The JSON name of a Python value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class Fields:
    """Typed access to the members of one JSON object.

    ``known`` lists the accepted member names; when given, any other member is an error
    (scenario files use this to catch typos; request parsers leave it out because the
    real APIs ignore unknown members).
    """

    def __init__(self, value: Any, path: str = "", known: tuple[str, ...] | None = None) -> None:
        if not isinstance(value, dict):
            raise FieldError(path, f"expected an object, got {type_name(value)}")
        self.value = value
        self.path = path
        if known is not None:
            for key in value:
                if key not in known:
                    raise FieldError(join(path, key), f"unknown field; expected one of: {', '.join(known)}")

    def __contains__(self, name: str) -> bool:
        return name in self.value

    def at(self, name: str) -> str:
        return join(self.path, name)

    def _get(self, name: str, required: bool, nullable: bool) -> Any:
        value = self.value.get(name, _MISSING)
        if value is _MISSING:
            if required:
                raise FieldError(self.at(name), "missing required field")
            return None
        if value is None:
            if required and not nullable:
                raise FieldError(self.at(name), "must not be null")
            return None
        return value

    def str(self, name: str, *, required: bool = False, nullable: bool = True, default: Any = None) -> Any:
        value = self._get(name, required, nullable)
        if value is None:
            return default
        if not isinstance(value, str):
            raise FieldError(self.at(name), f"expected a string, got {type_name(value)}")
        return value

    def int(self, name: str, *, required: bool = False, nullable: bool = True, default: Any = None,
            minimum: int | None = None) -> Any:
        value = self._get(name, required, nullable)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldError(self.at(name), f"expected an integer, got {type_name(value)}")
        if minimum is not None and value < minimum:
            raise FieldError(self.at(name), f"must be at least {minimum}, got {value}")
        return value

    def bool(self, name: str, *, required: bool = False, nullable: bool = True, default: Any = None) -> Any:
        value = self._get(name, required, nullable)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise FieldError(self.at(name), f"expected a boolean, got {type_name(value)}")
        return value

    def list(self, name: str, *, required: bool = False, nullable: bool = True, default: Any = None) -> Any:
        value = self._get(name, required, nullable)
        if value is None:
            return default
        if not isinstance(value, list):
            raise FieldError(self.at(name), f"expected an array, got {type_name(value)}")
        return value

    def str_list(self, name: str, *, required: bool = False, nullable: bool = True, default: Any = None) -> Any:
        items = self.list(name, required=required, nullable=nullable, default=_MISSING)
        if items is _MISSING:
            return default
        for index, item in enumerate(items):
            if not isinstance(item, str):
                raise FieldError(join(self.at(name), index), f"expected a string, got {type_name(item)}")
        return items

    def int_list(self, name: str, *, default: Any = None) -> Any:
        items = self.list(name, default=_MISSING)
        if items is _MISSING:
            return default
        for index, item in enumerate(items):
            if isinstance(item, bool) or not isinstance(item, int):
                raise FieldError(join(self.at(name), index), f"expected an integer, got {type_name(item)}")
        return items

    def obj(self, name: str, *, required: bool = False, known: tuple[str, ...] | None = None) -> Fields | None:
        value = self._get(name, required, False)
        if value is None:
            return None
        return Fields(value, self.at(name), known)

    def objects(self, name: str, *, known: tuple[str, ...] | None = None) -> Iterator[Fields]:
        """Each member of an array of objects, as :class:`Fields`."""
        for index, item in enumerate(self.list(name, default=[])):
            yield Fields(item, join(self.at(name), index), known)

    def number(self, name: str, *, required: bool = False, default: Any = None) -> Any:
        value = self._get(name, required, True)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FieldError(self.at(name), f"expected a number, got {type_name(value)}")
        return value


def parse_json(raw: bytes) -> Any:
    """Decode a request body as strict JSON, raising ValueError with a readable reason.

    Strict means: UTF-8 only, no NaN/Infinity, and nesting deep enough to exhaust the
    parser is reported as an error rather than crashing the worker.
    """
    import json

    if not raw.strip():
        raise ValueError("the request body is empty; a JSON object is required")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"the request body is not valid UTF-8 (byte {error.start})") from None

    def reject_constant(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")

    try:
        return json.loads(text, parse_constant=reject_constant)
    except json.JSONDecodeError as error:
        raise ValueError(f"{error.msg} at line {error.lineno} column {error.colno}") from None
    except RecursionError:
        raise ValueError("the request body is nested too deeply") from None
