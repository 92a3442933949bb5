"""The request journal: every request the server answered, for tests to inspect.

Entries are kept in a bounded ring (oldest dropped first). Matching is by method, path
(exact, or a ``*`` glob), API, status and a JSON *subset* of the request body. The
``assert_*`` helpers raise ``AssertionError`` with the closest recorded requests, so a
failing test shows what was sent instead of what was expected.
"""

from __future__ import annotations

import difflib
import fnmatch
import itertools
import json
import threading
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

_BODY_LIMIT = 64 * 1024


@dataclass
class RecordedRequest:
    """One answered (or deliberately dropped) request."""

    seq: int
    time: float
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: str
    json: Any
    status: int | None
    response: Any
    api: str | None
    #: False when no route matched (a 404/405 of the router)
    matched: bool = True
    #: the fault rule that answered instead of the API, if any
    fault: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        body = f" {self.body[:200]}" if self.body else ""
        status = "dropped" if self.status is None else str(self.status)
        query = f"?{self.query}" if self.query else ""
        return f"#{self.seq} {self.method} {self.path}{query}{body} -> {status}"


def json_subset_diff(expected: Any, actual: Any, path: str = "json") -> list[str]:
    """Where ``actual`` fails to contain ``expected`` (dicts compared as subsets)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {json.dumps(actual)[:80]}"]
        problems = []
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{path}.{key}: missing (expected {json.dumps(value)[:80]})")
            else:
                problems.extend(json_subset_diff(value, actual[key], f"{path}.{key}"))
        return problems
    if expected != actual or type(expected) is not type(actual):
        return [f"{path}: expected {json.dumps(expected)[:80]}, got {json.dumps(actual)[:80]}"]
    return []


@dataclass(frozen=True)
class RequestMatcher:
    """What a test expects of a request; unset fields match anything."""

    method: str | None = None
    path: str | None = None
    api: str | None = None
    status: int | None = None
    json: Any = None
    query: dict[str, str] | None = None

    def problems(self, entry: RecordedRequest) -> list[str]:
        """Why ``entry`` does not match (empty when it does)."""
        found = []
        if self.method and entry.method != self.method.upper():
            found.append(f"method: expected {self.method.upper()}, got {entry.method}")
        if self.path and not (entry.path == self.path or fnmatch.fnmatchcase(entry.path, self.path)):
            found.append(f"path: expected {self.path}, got {entry.path}")
        if self.api and entry.api != self.api:
            found.append(f"api: expected {self.api}, got {entry.api}")
        if self.status is not None and entry.status != self.status:
            found.append(f"status: expected {self.status}, got {entry.status}")
        if self.query:
            from urllib.parse import parse_qs

            actual = {k: v[-1] for k, v in parse_qs(entry.query, keep_blank_values=True).items()}
            found.extend(json_subset_diff(self.query, actual, "query"))
        if self.json is not None:
            found.extend(json_subset_diff(self.json, entry.json))
        return found

    def matches(self, entry: RecordedRequest) -> bool:
        return not self.problems(entry)

    def describe(self) -> str:
        parts = [self.method.upper() if self.method else "any method", self.path or "any path"]
        if self.api:
            parts.append(f"api={self.api}")
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.query:
            parts.append(f"query ⊇ {json.dumps(self.query)}")
        if self.json is not None:
            parts.append(f"json ⊇ {json.dumps(self.json)}")
        return " ".join(parts)

    def _probe(self) -> str:
        return f"{(self.method or '').upper()} {self.path or ''} {json.dumps(self.json) if self.json is not None else ''}"


class Journal:
    """A thread-safe, bounded log of requests."""

    def __init__(self, limit: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._entries: deque[RecordedRequest] = deque(maxlen=limit)
        self._seq = itertools.count(1)
        self.enabled = True

    @property
    def limit(self) -> int:
        return self._entries.maxlen or 0

    def record(self, **fields: Any) -> RecordedRequest | None:
        if not self.enabled:
            return None
        body = fields.pop("body", "")
        if len(body) > _BODY_LIMIT:
            body = body[:_BODY_LIMIT] + "…(truncated)"
        with self._lock:
            entry = RecordedRequest(seq=next(self._seq), body=body, **fields)
            self._entries.append(entry)
        return entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def entries(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def find(self, method: str | None = None, path: str | None = None, *, api: str | None = None,
             status: int | None = None, json: Any = None, query: dict[str, str] | None = None) -> list[RecordedRequest]:
        """Recorded requests matching every given criterion, oldest first."""
        matcher = RequestMatcher(method, path, api, status, json, query)
        return [entry for entry in self.entries() if matcher.matches(entry)]

    def count(self, method: str | None = None, path: str | None = None, **criteria: Any) -> int:
        return len(self.find(method, path, **criteria))

    def unmatched(self) -> list[RecordedRequest]:
        """Requests that no route of the mocked APIs answered."""
        return [entry for entry in self.entries() if not entry.matched]

    # -- pytest-style assertions -------------------------------------------------------
    def assert_called(self, method: str | None = None, path: str | None = None, *, times: int | None = None,
                      api: str | None = None, status: int | None = None, json: Any = None,
                      query: dict[str, str] | None = None) -> list[RecordedRequest]:
        """Assert a matching request was made (exactly ``times`` times if given); return the matches."""
        matcher = RequestMatcher(method, path, api, status, json, query)
        entries = self.entries()
        found = [entry for entry in entries if matcher.matches(entry)]
        if (times is None and found) or (times is not None and len(found) == times):
            return found
        wanted = "at least once" if times is None else f"{times} time{'s' if times != 1 else ''}"
        message = [f"expected {matcher.describe()} to be requested {wanted}, "
                   f"but it was requested {len(found)} time{'s' if len(found) != 1 else ''}."]
        message.extend(_closest(matcher, entries, exclude=found if times is None else ()))
        raise AssertionError("\n".join(message))

    def assert_called_once(self, method: str | None = None, path: str | None = None, **criteria: Any) -> RecordedRequest:
        return self.assert_called(method, path, times=1, **criteria)[0]

    def assert_not_called(self, method: str | None = None, path: str | None = None, **criteria: Any) -> None:
        found = self.find(method, path, **criteria)
        if found:
            matcher = RequestMatcher(method, path, **criteria)
            lines = [f"expected no request matching {matcher.describe()}, but found {len(found)}:"]
            lines.extend(f"  {entry.summary()}" for entry in found[:5])
            raise AssertionError("\n".join(lines))

    def assert_no_unmatched(self) -> None:
        """Assert every request hit a route of a mocked API (no 404/405 from the router)."""
        found = self.unmatched()
        if found:
            lines = [f"{len(found)} request(s) matched no route of the mock:"]
            lines.extend(f"  {entry.summary()}" for entry in found[:10])
            raise AssertionError("\n".join(lines))


def _closest(matcher: RequestMatcher, entries: Iterable[RecordedRequest], exclude: Iterable[RecordedRequest] = (),
             limit: int = 3) -> list[str]:
    excluded = {id(entry) for entry in exclude}
    candidates = [entry for entry in entries if id(entry) not in excluded]
    if not candidates:
        return ["No requests were recorded." if not excluded else "No other requests were recorded."]
    probe = matcher._probe()

    def score(entry: RecordedRequest) -> float:
        text = f"{entry.method} {entry.path} {entry.body[:500]}"
        return difflib.SequenceMatcher(None, probe, text).ratio()

    ranked = sorted(candidates, key=score, reverse=True)[:limit]
    lines = ["Closest recorded requests:"]
    for entry in ranked:
        lines.append(f"  {entry.summary()}")
        lines.extend(f"      {problem}" for problem in matcher.problems(entry))
    return lines
