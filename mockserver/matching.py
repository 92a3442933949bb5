"""Matching request paths: the glob syntax of journal queries and fault rules, and the
control API's prefix (the one place it is written).

No Flask here: the journal, the fault injector and the control API all import it.
"""

from __future__ import annotations

import functools
import re

#: where the control API lives (``/__mock/health``, ``/__mock/reset`` ...)
CONTROL_PREFIX = "/__mock"


def is_control_path(path: str) -> bool:
    """Is ``path`` a control-API path (``/__mock/...``)?"""
    return path.startswith(CONTROL_PREFIX + "/")


#: the longest path pattern accepted (faults, journal queries); paths themselves are bounded
#: by the HTTP server's header limit
MAX_PATTERN_LENGTH = 1024
_WILDCARD = re.compile(r"(\*+|\?)")


class PathPattern:
    """A path glob, matched in time linear in the path whatever the pattern.

    ``*`` matches within one path segment, ``**`` across segments, ``?`` one character
    other than ``/``. A regular expression built from the glob backtracks: a pattern with
    many stars (``/**a**a**a**a**a**a**a**!``) took minutes on a short path, holding
    the lock of whatever called it. Here the pattern is a non-deterministic automaton run
    bit-parallel (one bit per token, all live states advanced at once per character);
    the transitions seen are cached, so in practice each character costs a dict lookup.
    """

    __slots__ = ("text", "_literal", "_masks", "_question", "_stars", "_any_stars", "_start", "_accept", "_steps")

    def __init__(self, text: str) -> None:
        if len(text) > MAX_PATTERN_LENGTH:
            raise ValueError(f"a path pattern may be at most {MAX_PATTERN_LENGTH} characters long, "
                             f"got {len(text)}")
        self.text = text
        tokens: list[str] = []
        for token in _WILDCARD.split(text):
            if not token:
                continue
            if token[0] == "*":
                star = "**" if len(token) > 1 else "*"
                if tokens and tokens[-1][0] == "*":  # adjacent stars: the wider one covers both
                    tokens[-1] = "**" if "**" in (star, tokens[-1]) else "*"
                else:
                    tokens.append(star)
            elif token == "?":
                tokens.append("?")
            else:
                tokens.extend(token)  # one token per literal character
        self._literal = not any(token in ("*", "**", "?") for token in tokens)
        self._masks: dict[str, int] = {}
        self._question = self._stars = self._any_stars = 0
        for index, token in enumerate(tokens):
            bit = 1 << index
            if token == "?":
                self._question |= bit
            elif token == "*":
                self._stars |= bit
            elif token == "**":
                self._stars |= bit
                self._any_stars |= bit
            else:
                self._masks[token] = self._masks.get(token, 0) | bit
        self._accept = 1 << len(tokens)
        self._start = self._close(1)
        self._steps: dict[tuple[int, str], int] = {}

    def _close(self, states: int) -> int:
        # a star may match nothing; stars are never adjacent, so one step reaches every state
        return states | ((states & self._stars) << 1)

    def _step(self, states: int, char: str) -> int:
        if char == "/":
            advance = states & self._masks.get("/", 0)
            stay = states & self._any_stars
        else:
            advance = states & (self._masks.get(char, 0) | self._question)
            stay = states & self._stars
        return self._close((advance << 1) | stay)

    def matches(self, path: str) -> bool:
        if self._literal:
            return path == self.text
        steps = self._steps
        if len(steps) > 4096:  # the cache only saves time; keep it bounded
            steps.clear()
        states = self._start
        for char in path:
            key = (states, char)
            following = steps.get(key)
            if following is None:
                following = steps[key] = self._step(states, char)
            states = following
            if not states:
                return False
        return bool(states & self._accept)


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> PathPattern:
    """The :class:`PathPattern` of a glob; raises ValueError if it is too long."""
    return PathPattern(pattern)


def path_matches(pattern: str, path: str) -> bool:
    """Does ``path`` match ``pattern``? ``*`` matches within one path segment, ``**`` across
    segments, ``?`` one character; anything else matches itself (``/v1/*/workspaces/**``).
    Linear in the length of the path; raises ValueError for a pattern over
    :data:`MAX_PATTERN_LENGTH` characters."""
    return pattern == path or compile_pattern(pattern).matches(path)
