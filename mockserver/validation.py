"""Typed reading of untrusted JSON (request bodies and scenario files).

:class:`Fields` wraps one JSON object and reads typed members from it, raising
:class:`FieldError` with the JSON path of the offending member. Each API's request
parser turns a ``FieldError`` into that API's own error class; the scenario loader
turns it into a message naming the file and the path.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from typing import Any, Iterable, Iterator

_MISSING = object()


class FieldError(ValueError):
    """A member of a JSON document is missing or has the wrong type or value."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


class ConflictError(FieldError):
    """An item that clashes with a record already loaded (same id or name, other values).

    ``key`` is the record's identifying value, so the store can name the scenario that
    defined it first (the item of a document whose member named by ``path`` has that value,
    or, for ``path`` naming the item itself, whose ``members`` has it).
    """

    def __init__(self, path: str, template: str, key: str, members: tuple[str, ...] = ()) -> None:
        #: the message with ``{by}`` where the store names who defined the record first
        self.template = template
        self.key = key
        #: the item's members that may hold ``key`` when ``path`` ends at the item
        self.members = members
        super().__init__(path, template.replace("{by}", ""))


def differences(old: Any, new: Any, names: Any) -> str:
    """``"created_timestamp: 1 before, 2 here"`` for the named attributes that differ."""
    return "; ".join(f"{name}: {getattr(old, name)!r} before, {getattr(new, name)!r} here"
                     for name in names if getattr(old, name) != getattr(new, name))


def document_differences(old: Any, new: Any, path: str = "", limit: int = 3) -> str:
    """``"versions[0].file_name: 'a.onnx' before, 'b.onnx' here"``: where two exported records
    (JSON values) differ, the first ``limit`` places, so a conflict says what differs."""
    found: list[str] = []

    def walk(a: Any, b: Any, at: str) -> None:
        if len(found) >= limit or a == b:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in list(a) + [k for k in b if k not in a]:
                walk(a.get(key), b.get(key), join(at, key))
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for index, (x, y) in enumerate(zip(a, b)):
                walk(x, y, join(at, index))
        else:
            found.append(f"{at or 'the record'}: {a!r} before, {b!r} here")

    walk(old, new, path)
    return "; ".join(found)


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

    def string(self, name: str, *, required: bool = False, nullable: bool = True, default: Any = None) -> Any:
        value = self._get(name, required, nullable)
        if value is None:
            return default
        if not isinstance(value, str):
            raise FieldError(self.at(name), f"expected a string, got {type_name(value)}")
        return value

    def integer(self, name: str, *, required: bool = False, nullable: bool = True, default: Any = None,
            minimum: int | None = None) -> Any:
        value = self._get(name, required, nullable)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldError(self.at(name), f"expected an integer, got {type_name(value)}")
        if minimum is not None and value < minimum:
            raise FieldError(self.at(name), f"must be at least {minimum}, got {value}")
        return value

    def boolean(self, name: str, *, required: bool = False, nullable: bool = True, default: Any = None) -> Any:
        value = self._get(name, required, nullable)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise FieldError(self.at(name), f"expected a boolean, got {type_name(value)}")
        return value

    def array(self, name: str, *, required: bool = False, nullable: bool = True, default: Any = None) -> Any:
        value = self._get(name, required, nullable)
        if value is None:
            return default
        if not isinstance(value, list):
            raise FieldError(self.at(name), f"expected an array, got {type_name(value)}")
        return value

    def str_list(self, name: str, *, required: bool = False, nullable: bool = True, default: Any = None) -> Any:
        items = self.array(name, required=required, nullable=nullable, default=_MISSING)
        if items is _MISSING:
            return default
        for index, item in enumerate(items):
            if not isinstance(item, str):
                raise FieldError(join(self.at(name), index), f"expected a string, got {type_name(item)}")
        return items

    def int_list(self, name: str, *, default: Any = None) -> Any:
        items = self.array(name, default=_MISSING)
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
        for index, item in enumerate(self.array(name, default=[])):
            yield Fields(item, join(self.at(name), index), known)

    def number(self, name: str, *, required: bool = False, default: Any = None) -> Any:
        value = self._get(name, required, True)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FieldError(self.at(name), f"expected a number, got {type_name(value)}")
        return value

    # The short names the parsing modules call. Bound last: defined first, they would shadow the
    # built-ins in every annotation of the class body (mypy read `str` as this method).
    str = string
    int = integer
    bool = boolean
    list = array


#: how deeply a JSON document (request body, scenario or state file) may nest: the limit of
#: serde_json, which the real Wallaroo server parses with, and far beyond any real document
MAX_JSON_DEPTH = 128


class DuplicateKeyError(ValueError):
    """A JSON object names the same member twice (serde refuses it; Python keeps the last)."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"duplicate key {key!r} in a JSON object")


def object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for :func:`json.loads`: a dict, or DuplicateKeyError."""
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKeyError(key)
            seen.add(key)
    return result


def check_depth(value: Any, limit: int = MAX_JSON_DEPTH, what: str = "the request body",
                max_values: int | None = None) -> None:
    """Raise ValueError if ``value`` nests arrays/objects more than ``limit`` levels deep
    (or, with ``max_values``, holds more values than that: YAML aliases can make a small
    file expand to billions).

    Iterative, so it cannot itself run out of stack; documents this deep would make every
    later walk over them (rendering, copying, the journal) recurse past Python's limit.
    """
    stack = [(value, 1)]
    seen = 0
    while stack:
        item, depth = stack.pop()
        seen += 1
        if max_values is not None and seen > max_values:
            raise ValueError(f"{what} holds more than {max_values} values (YAML aliases expanding?)")
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            raise ValueError(f"{what} is nested more than {limit} levels deep")
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(literal: str) -> float:
    # 1e999 would become inf, which no JSON answer (or datetime, or int()) can carry
    value = float(literal)
    if value in (math.inf, -math.inf):
        raise ValueError(f"the number {literal[:40]} is out of range")
    return value


#: one decoder for every body: ``json.loads`` with hooks builds a new decoder (and its C
#: scanner) on each call, a tenth of the cost of parsing a small body. Shared across threads
#: as json's own default decoder is.
_STRICT_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float,
                                   object_pairs_hook=object_without_duplicates)


def json_error_text(error: json.JSONDecodeError) -> str:
    """``<reason> at line L column C``; some of json's reasons already end in "at"
    ("Unterminated string starting at"), which must not come out doubled."""
    reason = error.msg[:-3] if error.msg.endswith(" at") else error.msg
    return f"{reason} at line {error.lineno} column {error.colno}"


def parse_json(raw: bytes) -> Any:
    """Decode a request body as strict JSON, raising ValueError with a readable reason.

    Strict means: UTF-8 only, no NaN/Infinity or numbers beyond the float range, no
    unpaired UTF-16 surrogate escapes (``"\\ud800"`` is not a character, and could never
    be answered or exported as UTF-8), no object naming a member twice (the real servers'
    parsers refuse it; Python would silently keep the last one), and no nesting deeper
    than :data:`MAX_JSON_DEPTH` (deeper is reported as an error rather than crashing a
    worker or every later journal listing).
    """
    if not raw.strip():
        raise ValueError("the request body is empty; a JSON object is required")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"the request body is not valid UTF-8 (byte {error.start})") from None
    if text.startswith("\ufeff"):  # as json.loads refuses it
        raise ValueError("Unexpected UTF-8 BOM (decode using utf-8-sig) at line 1 column 1")
    try:
        value = _STRICT_DECODER.decode(text)
    except json.JSONDecodeError as error:
        raise ValueError(json_error_text(error)) from None
    except RecursionError:
        raise ValueError(f"the request body is nested more than {MAX_JSON_DEPTH} levels deep") from None
    except ValueError as error:
        if "integer string conversion" in str(error):  # Python's 4300-digit limit on int()
            raise ValueError("an integer in the request body has too many digits") from None
        raise
    # cheap test first: a body with fewer brackets than the limit cannot nest past it
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH:
        check_depth(value)
    if _SURROGATE_ESCAPE.search(text):  # cheap test first: the walk is rarely needed
        _reject_lone_surrogates(value)
    return value


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _reject_lone_surrogates(value: Any) -> None:
    """Raise ValueError if any string (key or value) holds an unpaired surrogate."""
    stack = [value]
    while stack:  # iterative: the document may be nested as deeply as the parser allows
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as error:
                raise ValueError(f"the request body contains an unpaired UTF-16 surrogate "
                                 f"(\\u{ord(item[error.start]):04x}), which is not a character") from None
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())


#: Unicode categories refused in names and emails: control (Cc), format (Cf: zero-width
#: spaces and joiners, bidi embeddings, overrides and isolates, the BOM, soft hyphens),
#: line and paragraph separators, and surrogates. They make two different names look the
#: same ("admin\u200b") or reorder what is shown ("\u202eexe.txt").
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def look_alike_problem(text: str) -> str | None:
    """Why ``text`` cannot be a name or an email (an invisible or reordering character), or None."""
    if text.isascii() and text.isprintable():  # the common case, without a walk in Python
        return None
    for char in text:
        if unicodedata.category(char) in _INVISIBLE_CATEGORIES:
            kind = "a bidirectional control" if unicodedata.bidirectional(char) in (
                "LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI") else \
                "a control character" if unicodedata.category(char) == "Cc" else "an invisible character"
            return f"contains {kind} (U+{ord(char):04X}), which would make it look like another name"
    return None


def normalize_name(text: str) -> str:
    """A name or email as stored and compared: Unicode NFC (``"e\u0301"`` is ``"\u00e9"``)."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


#: the most digits int() reads from text (Python's ``sys.get_int_max_str_digits()`` default);
#: JSON bodies with more are refused as malformed (parse_json), query parameters alike
MAX_INT_DIGITS = 4300


def decimal_int(text: str) -> int | None:
    """``text`` as a decimal integer of ASCII digits with an optional ``-``, or None.

    What request parsers use instead of ``int()``, which is no validator for input: it raises
    ValueError past 4300 digits (a 500 where ``str.isdigit()`` had passed the text), and reads
    digits of any script (``"١٢"`` is 12), ``"1_000"`` and surrounding spaces as numbers, while
    ``"²".isdigit()`` is true and ``int("²")`` fails."""
    digits = text[1:] if text.startswith("-") else text
    if not (digits.isascii() and digits.isdigit()):
        return None
    significant = digits.lstrip("0") or "0"
    if len(significant) > MAX_INT_DIGITS:
        return None
    value = int(significant)
    return -value if digits is not text else value
