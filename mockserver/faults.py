"""Fault injection: latency, a forced status and body, or a dropped connection.

A :class:`FaultRule` matches requests by method, path glob (``*`` within a segment, ``**``
across segments) and API, and fires on the
next ``times`` matching requests, or on a ``probability`` share of them (drawn from a
seeded generator, so a run is repeatable), or on all of them. With both, it fires on a
share of the matching requests until it has fired ``times`` times.

Effects: ``latency_ms`` delays the answer (alone, the API then answers as usual);
``status`` (with an optional ``body`` and ``headers``) answers instead of the API;
``drop`` closes the connection without an answer. Rules are checked in the order they
were added; the first one that fires wins.
"""

from __future__ import annotations

import itertools
import random
import re
import threading
from dataclasses import asdict, dataclass
from typing import Any, Callable

from .matching import compile_pattern, is_control_path, path_matches
from .validation import FieldError, Fields


_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")  # an RFC 9110 token
#: headers that frame the answer or the connection: the server sets them, a rule cannot
_FRAMING_HEADERS = {"content-length", "transfer-encoding", "connection", "keep-alive", "proxy-connection", "te",
                    "trailer", "upgrade"}


def _check_header(name: str, value: str) -> None:
    """Refuse a header the server could not send, at once rather than on every matched request
    (a name with a space hung the client; a newline, a non-Latin-1 character or a framing
    header broke the answer)."""
    if not _HEADER_NAME.match(name):
        raise ValueError(f"header name {name!r} is not a valid HTTP header name")
    if name.lower() in _FRAMING_HEADERS:
        raise ValueError(f"header {name} is set by the server; a fault cannot replace it")
    # RFC 9110 field values, as both servers send them alike: visible ASCII, spaces and tabs
    # (granian drops a value with a control character and sends non-ASCII as UTF-8)
    if any((ord(c) < 32 and c != "\t") or ord(c) >= 127 for c in value):
        raise ValueError(f"header {name}: the value must be ASCII text without line breaks or control characters")


@dataclass
class FaultRule:
    id: str
    method: str | None = None
    path: str | None = None
    api: str | None = None
    latency_ms: float = 0.0
    status: int | None = None
    body: Any = None
    headers: dict[str, str] | None = None
    drop: bool = False
    times: int | None = None
    probability: float | None = None
    fired: int = 0

    def applies_to(self, method: str, path: str, api: str | None) -> bool:
        # the control API is never faulted: a catch-all rule must not lock the test out
        if api == "control" or is_control_path(path):
            return False
        if self.method and self.method.upper() != method:
            return False
        if self.api and self.api != api:
            return False
        if self.path and not path_matches(self.path, path):
            return False
        return True

    @property
    def remaining(self) -> int | None:
        """How many more times the rule fires (None: no limit)."""
        return None if self.times is None else max(self.times - self.fired, 0)

    def to_dict(self) -> dict[str, Any]:
        document = asdict(self)
        document["remaining"] = self.remaining
        return document

    def describe(self) -> str:
        effects = []
        if self.latency_ms:
            effects.append(f"latency {self.latency_ms:g} ms")
        if self.drop:
            effects.append("drop connection")
        if self.status is not None:
            effects.append(f"status {self.status}")
        return f"fault {self.id} ({', '.join(effects) or 'no effect'})"


class FaultInjector:
    """The active fault rules; thread-safe."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)
        self._seed = seed
        self._random = random.Random(seed)
        self._drawn = False
        #: set, then replaced, whenever the rules are cleared: wakes the requests a latency rule holds
        self._cleared = threading.Event()
        #: called on every release: a server holding requests on its own event loop wakes them
        self._release_listeners: list[Callable[[], None]] = []

    def add(self, *, method: str | None = None, path: str | None = None, api: str | None = None,
            latency_ms: float = 0.0, status: int | None = None, body: Any = None,
            headers: dict[str, str] | None = None, drop: bool = False, times: int | None = None,
            probability: float | None = None) -> FaultRule:
        """Add a rule. With neither ``times`` nor ``probability`` it fires on every match."""
        if not (latency_ms or drop or status is not None):
            raise ValueError("a fault needs at least one effect: latency_ms, status or drop")
        if latency_ms < 0 or latency_ms > 60_000:
            raise ValueError("latency_ms must be between 0 and 60000")
        # 1xx are interim answers, not responses: a client would wait for the real one
        if status is not None and not 200 <= status <= 599:
            raise ValueError("status must be a final HTTP status code (200-599)")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1")
        if probability is not None and not 0.0 < probability <= 1.0:
            raise ValueError("probability must be in (0, 1]")
        if drop and status is not None:
            raise ValueError("a fault either drops the connection or answers with a status, not both")
        if (body is not None or headers) and status is None:
            raise ValueError("body and headers replace the answer, so they need a status")
        if path is not None and not path.startswith("/"):
            raise ValueError(f"path must start with '/' (a path or a glob such as /v1/api/*), got {path!r}")
        if path is not None:
            compile_pattern(path)  # refuses a pattern over the length limit
        for name, value in (headers or {}).items():
            _check_header(name, value)
        with self._lock:
            rule = FaultRule(id=str(next(self._ids)), method=method.upper() if method else None, path=path,
                             api=api, latency_ms=float(latency_ms), status=status, body=body,
                             headers=dict(headers or {}), drop=drop, times=times, probability=probability)
            self._rules.append(rule)
        return rule

    def add_from_json(self, document: Any) -> FaultRule:
        """Add a rule from a control-API request body; raises FieldError or ValueError."""
        fields = Fields(document, "", known=("method", "path", "api", "latency_ms", "status", "body", "headers",
                                             "drop", "times", "probability"))
        headers = fields.obj("headers")
        if headers is not None:
            for key, value in headers.value.items():
                if not isinstance(value, str):
                    raise FieldError(headers.at(key), "header values must be strings")
        return self.add(method=fields.str("method"), path=fields.str("path"), api=fields.str("api"),
                        latency_ms=fields.number("latency_ms", default=0.0), status=fields.int("status"),
                        body=fields.value.get("body"), headers=headers.value if headers else None,
                        drop=fields.bool("drop", default=False), times=fields.int("times"),
                        probability=fields.number("probability"))

    def active(self) -> bool:
        """Is any rule set? Read without the lock: a request racing a change sees either."""
        return bool(self._rules)

    def take(self, method: str, path: str, api: str | None) -> FaultRule | None:
        """The first rule that fires for this request, consuming one of its ``times``."""
        if not self._rules:  # the common case, without the lock
            return None
        with self._lock:
            for rule in list(self._rules):
                if not rule.applies_to(method, path, api):
                    continue
                if rule.probability is not None:
                    self._drawn = True
                    if self._random.random() >= rule.probability:
                        continue
                rule.fired += 1
                if rule.times is not None and rule.fired >= rule.times:
                    self._rules.remove(rule)
                return rule
        return None

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            for rule in self._rules:
                if rule.id == rule_id:
                    self._rules.remove(rule)
                    return True
        return False

    def delay(self, rule: FaultRule) -> None:
        """Hold the calling request for the rule's latency, or until the rules are cleared.

        Clearing (``DELETE /__mock/faults``, a reset) releases held requests at once, so a
        long latency fault never outlives the test that set it.
        """
        if rule.latency_ms:
            self._cleared.wait(rule.latency_ms / 1000.0)

    def release_held(self) -> None:
        """Let every request a latency fault holds now go on at once (the rules stay)."""
        with self._lock:
            held, self._cleared = self._cleared, threading.Event()
            listeners = list(self._release_listeners)
        held.set()
        for listener in listeners:
            listener()

    def on_release(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` (on the releasing thread) whenever held requests are released; a
        server that holds requests without a thread each (granian's loop) wakes them from it.
        Returns a function that removes the listener."""
        with self._lock:
            self._release_listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._release_listeners:
                    self._release_listeners.remove(listener)

        return remove

    def clear(self) -> None:
        """Remove every rule and reseed, so each test sees the same ``probability`` draws."""
        with self._lock:
            self._rules.clear()
            if self._drawn:  # reseeding costs microseconds; reset runs before every test
                self._random.seed(self._seed)
                self._drawn = False
            self._ids = itertools.count(1)
        self.release_held()  # after the rules are gone, so no request takes one and then waits again
