"""The request journal: every request the server answered, for tests to inspect.

Entries are kept in a bounded ring (oldest dropped first). Matching is by method, path
(exact, or a ``*`` glob), API, status, query parameters, headers, form fields and a JSON
*subset* of the request body. The ``assert_*`` helpers raise ``AssertionError`` with the
closest recorded requests and what differs in each, so a failing test shows what was
sent instead of only what was expected::

    server.journal.assert_called("POST", "/v1/api/workspaces/create", json={"workspace_name": "ws"}, times=1)

    AssertionError: expected POST /v1/api/workspaces/create with json ⊇ {"workspace_name": "ws"}
    to be requested 1 time, but it was requested 0 times.
    Closest recorded requests:
      #2 POST /v1/api/workspaces/create {"workspace_name":"wz"} -> 200
          json.workspace_name: expected "ws", got "wz"
"""

from __future__ import annotations

import difflib
import itertools
import json as jsonlib
import re
import threading
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import parse_qs

from .matching import CONTROL_PREFIX as _CONTROL_PREFIX
from .matching import MAX_PATTERN_LENGTH, PathPattern, compile_pattern, is_control_path, path_matches
from .validation import parse_json

__all__ = ["BODY_LIMIT", "RESPONSE_LIMIT", "DEFAULT_JOURNAL_LIMIT", "DEFAULT_JOURNAL_MAX_BYTES", "MAX_PATTERN_LENGTH",
           "Journal", "PathPattern", "RecordedRequest", "RequestMatcher", "UnparsedJson", "compile_pattern",
           "json_subset_diff", "path_matches"]

#: a request body is kept up to this many bytes, then cut (and marked ``body_truncated``)
BODY_LIMIT = 64 * 1024
_BODY_LIMIT = BODY_LIMIT  # the old private name
#: a JSON answer is kept up to this many bytes; a bigger one is left out (``response_omitted``)
RESPONSE_LIMIT = 256 * 1024
DEFAULT_JOURNAL_LIMIT = 10_000
#: the default byte budget of the journal (what its entries hold, estimated; see Journal)
DEFAULT_JOURNAL_MAX_BYTES = 64 * 1024 * 1024
#: kept for importers of ``journal.CONTROL_PREFIX``; the prefix itself lives in ``matching``
CONTROL_PREFIX = _CONTROL_PREFIX + "/"
#: answers of these paths are journal listings: recording them would nest every earlier
#: listing inside the next one (each call doubled the journal)
_LISTING_PREFIX = CONTROL_PREFIX + "requests"
#: what an entry costs besides its strings (the object, its dicts, the ring's slot), measured
#: roughly with tracemalloc on typical requests; only used to bound memory, not reported
_ENTRY_OVERHEAD = 1200
_HEADER_OVERHEAD = 110


def _short(value: Any, limit: int = 80) -> str:
    if isinstance(value, str) and len(value) > limit:
        value = value[:limit]  # cut before dumping: a long string was serialized whole for each mention
    text = jsonlib.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class UnparsedJson:
    """A JSON body kept as the bytes that were sent, parsed when first read.

    The journal records every answer but tests read few of them: parsing each one as it
    is recorded cost a tenth of a request's time (and many young objects for the GC).
    """

    __slots__ = ("raw",)

    def __init__(self, raw: bytes) -> None:
        self.raw = raw


class _ParsedOnRead:
    """A dataclass field that turns an :class:`UnparsedJson` value into JSON on first read
    (``None`` if it is not valid JSON by the rules request bodies are held to), then keeps
    the parsed value."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}"

    def __get__(self, entry: Any, owner: type | None = None) -> Any:
        if entry is None:
            return None  # the field's default
        value = entry.__dict__.get(self.slot)
        if type(value) is UnparsedJson:
            try:
                value = parse_json(value.raw)
            except ValueError:  # also nesting past the depth limit: never a RecursionError
                value = None
            entry.__dict__[self.slot] = value
        return value

    def __set__(self, entry: Any, value: Any) -> None:
        entry.__dict__[self.slot] = value


@dataclass
class RecordedRequest:
    """One answered (or deliberately dropped) request."""

    seq: int
    time: float
    method: str
    path: str
    query: str
    headers: dict[str, str]
    #: the body as text (cut after BODY_LIMIT bytes, then ``body_truncated`` is set)
    body: str
    #: the body as JSON (None if it was not JSON); may be given as UnparsedJson
    json: Any = _ParsedOnRead()
    status: int | None = None
    #: the JSON answer (None if it was not JSON); may be given as UnparsedJson
    response: Any = _ParsedOnRead()
    api: str | None = None
    #: False when no route matched (a 404/405 of the router)
    matched: bool = True
    #: the fault rule that answered instead of the API, if any
    fault: str | None = None
    #: deprecated: never set by the server; kept because every journal entry serializes it
    extra: dict[str, Any] = field(default_factory=dict)
    #: the body was longer than BODY_LIMIT bytes: ``body`` holds its start, ``json`` is None
    body_truncated: bool = False
    #: why ``response`` is None although the answer was JSON (a journal listing, or too big)
    response_omitted: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def args(self) -> dict[str, str]:
        """The query parameters (the last value of each)."""
        return {key: values[-1] for key, values in parse_qs(self.query, keep_blank_values=True).items()}

    @property
    def form(self) -> dict[str, str]:
        """The body as ``application/x-www-form-urlencoded`` fields (the last value of each)."""
        if not self.body or self.json is not None:
            return {}
        return {key: values[-1] for key, values in parse_qs(self.body, keep_blank_values=True).items()}

    def header(self, name: str) -> str | None:
        """A request header, by case-insensitive name."""
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None

    def summary(self) -> str:
        body = self.body if len(self.body) <= 200 else self.body[:199] + "…"
        body = f" {body}" if body else ""
        status = "dropped" if self.status is None else str(self.status)
        query = f"?{self.query}" if self.query else ""
        fault = f" [fault {self.fault}]" if self.fault else ""
        return f"#{self.seq} {self.method} {self.path}{query}{body} -> {status}{fault}"


#: what a matcher sent to ``POST /__mock/requests/find`` may hold: a find costs journal entries
#: times matcher values (a 27 KB matcher of 2 000 keys over 1 000 entries pinned a core for 51 s)
MAX_MATCHER_VALUES = 200
MAX_MATCHER_DEPTH = 16
MAX_MATCHER_BYTES = 16 * 1024
#: the most recent entries a near-miss search ranks (each is compared with the matcher)
NEAR_MISS_CANDIDATES = 200
#: how much of a matcher and of a request the near-miss ranking compares as text
NEAR_MISS_TEXT = 200


def matcher_size_problem(criteria: dict[str, Any]) -> str | None:
    """Why a matcher from a request is over the limits above (None when it is within them)."""
    size = len(jsonlib.dumps(criteria, ensure_ascii=False, default=str).encode("utf-8"))
    if size > MAX_MATCHER_BYTES:
        return f"the matcher is {size} bytes of JSON, over the limit of {MAX_MATCHER_BYTES}"
    count = 0
    stack = [(criteria.get(name), 1) for name in ("json", "query", "headers", "form")]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_MATCHER_DEPTH:
            return f"the matcher is nested more than {MAX_MATCHER_DEPTH} levels deep"
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        for child in children:
            count += 1
            if count > MAX_MATCHER_VALUES:
                return (f"the matcher's json, query, headers and form hold more than {MAX_MATCHER_VALUES} "
                        "values (members and items); match on fewer")
            stack.append((child, depth + 1))
    return None


def json_contains(expected: Any, actual: Any) -> bool:
    """Whether :func:`json_subset_diff` finds nothing, stopping at the first difference and
    building no messages (what matching needs; the messages are for near misses)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(key in actual and json_contains(value, actual[key])
                                                for key, value in expected.items())
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return all(json_contains(want, got) for want, got in zip(expected, actual))
    return expected == actual and type(expected) is type(actual)


def json_subset_diff(expected: Any, actual: Any, path: str = "json") -> list[str]:
    """Where ``actual`` fails to contain ``expected`` (objects compared as subsets, the rest exactly)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {_short(actual)}"]
        problems = []
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{path}.{key}: missing (expected {_short(value)})")
            else:
                problems.extend(json_subset_diff(value, actual[key], f"{path}.{key}"))
        return problems
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        problems = []
        for index, (want, got) in enumerate(zip(expected, actual)):
            problems.extend(json_subset_diff(want, got, f"{path}[{index}]"))
        return problems
    if expected != actual or type(expected) is not type(actual):
        return [f"{path}: expected {_short(expected)}, got {_short(actual)}"]
    return []


def _split_path(path: str | None, query: dict[str, str] | None) -> tuple[str | None, dict[str, str] | None]:
    """``/x?a=1`` as path ``/x`` and query ``{"a": "1"}`` (merged with an explicit query).

    ``?`` is also the glob for one character (``/workspaces/l?st``): it starts a query only
    where what follows reads as one (``name=value`` pairs whose names hold no ``/``, ``?``
    or ``*``).
    """
    if path is None or "?" not in path:
        return path, query
    at = path.find("?")
    while at != -1:
        rest = path[at + 1:]
        if "=" in rest and not any(not key or set(key) & set("/?*") for key, _, _ in
                                   (part.partition("=") for part in rest.split("&"))):
            parsed = {key: values[-1] for key, values in parse_qs(rest, keep_blank_values=True).items()}
            return path[:at], {**parsed, **(query or {})}
        at = path.find("?", at + 1)
    return path, query


@dataclass(frozen=True)
class RequestMatcher:
    """What a test expects of a request; unset fields match anything."""

    method: str | None = None
    path: str | None = None
    api: str | None = None
    status: int | None = None
    json: Any = None
    query: dict[str, str] | None = None
    headers: dict[str, str] | None = None
    form: dict[str, str] | None = None

    @classmethod
    def build(cls, method: str | None = None, path: str | None = None, **criteria: Any) -> RequestMatcher:
        unknown = set(criteria) - {"api", "status", "json", "query", "headers", "form"}
        if unknown:
            raise TypeError(f"unknown request criteria: {', '.join(sorted(unknown))}; "
                            "expected method, path, api, status, json, query, headers, form")
        path, query = _split_path(path, criteria.pop("query", None))
        if path is not None:
            compile_pattern(path)  # a pattern over the length limit is refused here, once
        return cls(method=method.upper() if method else None, path=path, query=query, **criteria)

    def problems(self, entry: RecordedRequest) -> list[str]:
        """Why ``entry`` does not match (empty when it does)."""
        found = []
        if self.method and entry.method != self.method:
            found.append(f"method: expected {self.method}, got {entry.method}")
        if self.path and not path_matches(self.path, entry.path):
            found.append(f"path: expected {self.path}, got {entry.path}")
        if self.api and entry.api != self.api:
            found.append(f"api: expected {self.api}, got {entry.api}")
        if self.status is not None and entry.status != self.status:
            found.append(f"status: expected {self.status}, got {'dropped' if entry.status is None else entry.status}")
        if self.query:
            found.extend(json_subset_diff(self.query, entry.args, "query"))
        if self.headers:
            for name, value in self.headers.items():
                actual = entry.header(name)
                if actual is None:
                    found.append(f"header {name}: missing (expected {_short(value)})")
                elif actual != value:
                    found.append(f"header {name}: expected {_short(value)}, got {_short(actual)}")
        if self.form:
            found.extend(json_subset_diff(self.form, entry.form, "form"))
        if self.json is not None:
            if entry.json is None and entry.body:
                found.append(f"json: the body is not JSON: {_short(entry.body)}")
            elif entry.json is None:
                found.append("json: the request had no body")
            else:
                found.extend(json_subset_diff(self.json, entry.json))
        return found

    def matches(self, entry: RecordedRequest) -> bool:
        """``not self.problems(entry)``, without building the messages."""
        if self.method and entry.method != self.method:
            return False
        if self.path and not path_matches(self.path, entry.path):
            return False
        if (self.api and entry.api != self.api) or (self.status is not None and entry.status != self.status):
            return False
        if self.query and not json_contains(self.query, entry.args):
            return False
        if self.headers and any(entry.header(name) != value for name, value in self.headers.items()):
            return False
        if self.form and not json_contains(self.form, entry.form):
            return False
        return self.json is None or (entry.json is not None and json_contains(self.json, entry.json))

    def describe(self) -> str:
        parts = [self.method or "any method", self.path or "any path"]
        details = []
        if self.api:
            details.append(f"api={self.api}")
        if self.status is not None:
            details.append(f"status={self.status}")
        if self.query:
            details.append(f"query ⊇ {_short(self.query, 200)}")
        if self.headers:
            details.append(f"headers ⊇ {_short(self.headers, 200)}")
        if self.form:
            details.append(f"form ⊇ {_short(self.form, 200)}")
        if self.json is not None:
            details.append(f"json ⊇ {_short(self.json, 200)}")
        return " ".join(parts) + (f" with {', '.join(details)}" if details else "")

    def targets_control(self) -> bool:
        return bool(self.path and is_control_path(self.path)) or self.api == "control"

    def _probe(self) -> str:
        body = _short(self.json, 500) if self.json is not None else ""
        return f"{self.method or ''} {self.path or ''} {body}"[:NEAR_MISS_TEXT]


def _entry_size(body: str, fields: dict[str, Any]) -> int:
    """The estimated memory of an entry (its strings as UTF-8, roughly, plus overheads)."""
    size = _ENTRY_OVERHEAD + len(body) + len(fields.get("path") or "") + len(fields.get("query") or "")
    for name, value in (fields.get("headers") or {}).items():
        size += _HEADER_OVERHEAD + len(name) + len(value)
    for name in ("json", "response"):
        value = fields.get(name)
        if type(value) is UnparsedJson:
            size += len(value.raw)
        elif value is not None:  # given parsed (by code calling record directly): its text size
            try:
                size += len(jsonlib.dumps(value, default=str)) * 4
            except (ValueError, TypeError, RecursionError):
                size += BODY_LIMIT
    return size


def _plural(count: int, word: str = "time") -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class Journal:
    """A thread-safe, bounded log of requests, with pytest-style assertions.

    Bounded twice: at most ``limit`` entries and about ``max_bytes`` of memory (the sizes of
    the strings an entry holds plus a fixed overhead per entry and per header); the oldest
    entries go first. A body over :data:`BODY_LIMIT` is kept cut and marked, a JSON answer
    over :data:`RESPONSE_LIMIT` is left out and marked, and the answers of journal
    listings are never recorded, so one entry costs at most about 330 KiB plus its headers.
    """

    def __init__(self, limit: int = DEFAULT_JOURNAL_LIMIT, max_bytes: int = DEFAULT_JOURNAL_MAX_BYTES) -> None:
        if limit < 1:
            raise ValueError("the journal limit must be at least 1 entry")
        if max_bytes < 1:
            raise ValueError("the journal byte budget must be at least 1 byte")
        self._lock = threading.Lock()
        self._entries: deque[RecordedRequest] = deque()
        self._sizes: deque[int] = deque()
        self._limit = limit
        self._max_bytes = max_bytes
        self._bytes = 0
        self._seq = itertools.count(1)
        self.enabled = True
        #: ``(methods, rule)`` pairs of the app's routes, for "did you mean" hints (set by MockServer)
        self.known_routes: Callable[[], list[tuple[str, str]]] | None = None

    @property
    def limit(self) -> int:
        """The most entries kept."""
        return self._limit

    @property
    def max_bytes(self) -> int:
        """The byte budget (estimated memory of the entries kept)."""
        return self._max_bytes

    @property
    def size_bytes(self) -> int:
        """The estimated memory of the entries kept now."""
        return self._bytes

    def record(self, **fields: Any) -> RecordedRequest | None:
        """Add an entry. ``body`` may be the raw bytes: then it is decoded (cut at
        :data:`BODY_LIMIT`) and ``json`` is parsed from it when first read."""
        if not self.enabled:
            return None
        body = fields.pop("body", "")
        if isinstance(body, (bytes, bytearray)):
            if len(body) > BODY_LIMIT:
                fields["body_truncated"] = True
                fields["json"] = None
                body = body[:BODY_LIMIT].decode("utf-8", "replace") + "…(truncated)"
            else:
                if "json" not in fields:
                    fields["json"] = UnparsedJson(bytes(body)) if body.strip() else None
                body = body.decode("utf-8", "replace")
        elif len(body) > BODY_LIMIT:
            fields["body_truncated"] = True
            body = body[:BODY_LIMIT] + "…(truncated)"
        response = fields.get("response")
        if response is not None and str(fields.get("path", "")).startswith(_LISTING_PREFIX):
            fields["response"] = None
            fields["response_omitted"] = "a journal listing (never kept, so listings do not nest)"
        elif type(response) is UnparsedJson and len(response.raw) > RESPONSE_LIMIT:
            fields["response"] = None
            fields["response_omitted"] = f"{len(response.raw)} bytes, over the {RESPONSE_LIMIT}-byte limit"
        size = _entry_size(body, fields)
        with self._lock:
            entry = RecordedRequest(seq=next(self._seq), body=body, **fields)
            self._entries.append(entry)
            self._sizes.append(size)
            self._bytes += size
            # always keep the newest entry, even alone over the budget
            while len(self._entries) > 1 and (len(self._entries) > self._limit or self._bytes > self._max_bytes):
                self._entries.popleft()
                self._bytes -= self._sizes.popleft()
        return entry

    def clear(self) -> None:
        """Forget every request; numbering starts again at #1."""
        with self._lock:
            self._entries.clear()
            self._sizes.clear()
            self._bytes = 0
            self._seq = itertools.count(1)

    def entries(self, *, include_control: bool = True) -> list[RecordedRequest]:
        """Every recorded request, oldest first."""
        with self._lock:
            entries = list(self._entries)
        if not include_control:
            entries = [entry for entry in entries if not is_control_path(entry.path)]
        return entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self.entries())

    def __getitem__(self, index: int) -> RecordedRequest:
        return self.entries()[index]

    def find(self, method: str | None = None, path: str | None = None, **criteria: Any) -> list[RecordedRequest]:
        """Recorded requests matching every given criterion, oldest first.

        Criteria: ``api``, ``status``, ``json`` (a subset of the JSON body), ``query``,
        ``headers`` (names case-insensitive) and ``form`` (subsets of those).
        ``path`` may be a glob (``/v1/*/workspaces``) and may carry a query string.
        """
        matcher = RequestMatcher.build(method, path, **criteria)
        return [entry for entry in self.entries() if matcher.matches(entry)]

    def count(self, method: str | None = None, path: str | None = None, **criteria: Any) -> int:
        return len(self.find(method, path, **criteria))

    def last(self, method: str | None = None, path: str | None = None, **criteria: Any) -> RecordedRequest:
        """The most recent matching request; AssertionError (with the closest ones) if none."""
        __tracebackhide__ = True  # pytest shows the failing line of the test, not this one
        found = self.find(method, path, **criteria)
        if not found:
            matcher = RequestMatcher.build(method, path, **criteria)
            lines = [f"expected a request matching {matcher.describe()}, but there was none."]
            lines.extend(self._closest(matcher, self.entries()))
            raise AssertionError("\n".join(lines))
        return found[-1]

    def unmatched(self) -> list[RecordedRequest]:
        """Requests that no route of the mocked APIs answered (the router's 404/405)."""
        return [entry for entry in self.entries() if not entry.matched]

    # -- pytest-style assertions -------------------------------------------------------
    def assert_called(self, method: str | None = None, path: str | None = None, *, times: int | None = None,
                      **criteria: Any) -> list[RecordedRequest]:
        """Assert a matching request was made (exactly ``times`` times if given); return the matches."""
        __tracebackhide__ = True  # pytest shows the failing line of the test, not this one
        matcher = RequestMatcher.build(method, path, **criteria)
        entries = self.entries()
        found = [entry for entry in entries if matcher.matches(entry)]
        if (times is None and found) or (times is not None and len(found) == times):
            return found
        wanted = "at least once" if times is None else _plural(times)
        message = [f"expected {matcher.describe()} to be requested {wanted}, "
                   f"but it was requested {_plural(len(found))}."]
        if found:
            message.append("Matching requests:")
            message.extend(f"  {entry.summary()}" for entry in found[:10])
            if len(found) > 10:
                message.append(f"  … and {len(found) - 10} more")
        else:
            message.extend(self._closest(matcher, entries))
        raise AssertionError("\n".join(message))

    def assert_called_once(self, method: str | None = None, path: str | None = None, **criteria: Any) -> RecordedRequest:
        """Assert exactly one matching request was made; return it."""
        __tracebackhide__ = True  # pytest shows the failing line of the test, not this one
        return self.assert_called(method, path, times=1, **criteria)[0]

    def assert_not_called(self, method: str | None = None, path: str | None = None, **criteria: Any) -> None:
        """Assert no matching request was made (with no criteria: no request at all)."""
        __tracebackhide__ = True  # pytest shows the failing line of the test, not this one
        matcher = RequestMatcher.build(method, path, **criteria)
        found = [entry for entry in self.entries() if matcher.matches(entry)]
        if found:
            lines = [f"expected no request matching {matcher.describe()}, but found {len(found)}:"]
            lines.extend(f"  {entry.summary()}" for entry in found[:10])
            raise AssertionError("\n".join(lines))

    def assert_no_unmatched(self) -> None:
        """Assert every request hit a route of a mocked API (no 404/405 from the router)."""
        __tracebackhide__ = True  # pytest shows the failing line of the test, not this one
        message = self.unmatched_report()
        if message:
            raise AssertionError(message)

    def unmatched_report(self) -> str:
        """A description of the unmatched requests with the closest routes ("" if none)."""
        found = self.unmatched()
        if not found:
            return ""
        lines = [f"{len(found)} request(s) matched no route of the mock:"]
        for entry in found[:10]:
            lines.append(f"  {entry.summary()}")
            hint = self._route_hint(entry)
            if hint:
                lines.append(f"      did you mean: {hint}")
        if len(found) > 10:
            lines.append(f"  … and {len(found) - 10} more")
        return "\n".join(lines)

    # -- near misses ---------------------------------------------------------------------
    def near_misses(self, matcher: RequestMatcher, limit: int = 3) -> list[tuple[RecordedRequest, list[str]]]:
        """The recorded requests closest to ``matcher``, each with what differs.

        Only the :data:`NEAR_MISS_CANDIDATES` most recent requests are ranked, each compared
        once, by their first :data:`NEAR_MISS_TEXT` characters: the search compares every
        candidate with the matcher, and the text comparison grows with the product of the
        lengths."""
        candidates = self.entries(include_control=matcher.targets_control())[-NEAR_MISS_CANDIDATES:]
        probe = matcher._probe()
        ranked = []
        for entry in candidates:
            problems = matcher.problems(entry)
            text = f"{entry.method} {entry.path} {entry.body[:NEAR_MISS_TEXT]}"[:NEAR_MISS_TEXT]
            ranked.append((len(problems), -difflib.SequenceMatcher(None, probe, text).ratio(), entry.seq,
                           entry, problems))
        ranked.sort(key=lambda item: item[:3])
        return [(entry, problems) for *_, entry, problems in ranked[:limit]]

    def _closest(self, matcher: RequestMatcher, entries: Iterable[RecordedRequest], limit: int = 3) -> list[str]:
        if not list(entries):
            return ["No requests were recorded."]
        misses = self.near_misses(matcher, limit)
        if not misses:
            return ["Only control-API requests (/__mock/...) were recorded."]
        lines = ["Closest recorded requests:"]
        for entry, problems in misses:
            lines.append(f"  {entry.summary()}")
            lines.extend(f"      {problem}" for problem in problems)
        return lines

    def _route_hint(self, entry: RecordedRequest) -> str:
        """The known routes closest to an unmatched request (route variables filled from the path)."""
        if self.known_routes is None:
            return ""
        return ", ".join(closest_routes(entry.method, entry.path, self.known_routes()))


#: how much of a path the "closest routes" hints compare (every route is far shorter)
HINT_PATH_CHARS = 256


def closest_routes(method: str, path: str, routes: Iterable[tuple[str, str]], limit: int = 2) -> list[str]:
    """``"METHODS /rule"`` of the known ``(methods, rule)`` routes closest to a request that
    matched none, route variables filled in from its path; only close ones (or none).

    Only the first :data:`HINT_PATH_CHARS` characters of the path are compared: the
    comparison grows with the product of the lengths, and a 30 000-character path under
    ``/v1/api/`` took 3 s of the server's time for one 404.
    """
    path = path[:HINT_PATH_CHARS]
    segments = path.split("/")
    scored = []
    for methods, rule in routes:
        filled = "/".join(segments[index] if part.startswith("<") and index < len(segments) else part
                          for index, part in enumerate(rule.split("/")))
        ratio = difflib.SequenceMatcher(None, path, filled).ratio()
        if method not in methods.split("/"):
            ratio -= 0.05  # prefer a route that takes the request's method
        scored.append((ratio, f"{methods} {_ROUTE_VARIABLE.sub(_as_placeholder, rule)}"))
    scored.sort(reverse=True)
    return [hint for ratio, hint in scored[:limit] if ratio >= 0.75]


#: a Werkzeug route variable (``<workspace_id>``, ``<regex("..."):project_id>``), shown as ``{name}``
_ROUTE_VARIABLE = re.compile(r"<[^<>]*?(\w+)>")


def _as_placeholder(match: re.Match[str]) -> str:
    return "{" + match.group(1) + "}"
