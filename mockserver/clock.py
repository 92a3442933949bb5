"""A controllable clock: real time by default, frozen or shifted on request.

All timestamps and expiry checks in the store go through one :class:`Clock`, so a test
can freeze time, advance it past a token's expiry, and see the effect at once::

    server.clock.freeze("2025-01-01T00:00:00Z")
    token = server.wallaroo_token()
    server.clock.advance(3601)          # the token has now expired

Instants may be given as epoch seconds, timezone-aware ``datetime`` objects or ISO 8601
strings with an offset (``Z`` included); a naive ``datetime`` or an ISO string without an
offset is rejected, because "local time" would make a test depend on the machine.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Union

Instant = Union[float, int, datetime, str]
#: instants outside 1970..9999 cannot be shown as ISO timestamps, so they are refused
MAX_EPOCH = 253402300799.0
MAX_SHIFT = 100 * 366 * 86400.0


def to_epoch(at: Instant) -> float:
    """Epoch seconds for an instant; raises ValueError if it is not one."""
    if isinstance(at, bool):
        raise ValueError("expected epoch seconds, a datetime or an ISO 8601 timestamp, got a boolean")
    if isinstance(at, (int, float)):
        if not 0 <= at <= MAX_EPOCH:
            raise ValueError(f"the instant must be between 0 and {MAX_EPOCH:.0f} epoch seconds (1970 to 9999)")
        return float(at)
    if isinstance(at, str):
        try:
            parsed = datetime.fromisoformat(at.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ValueError(f"'{at}' is not an ISO 8601 timestamp (e.g. 2025-01-01T00:00:00Z)") from None
        at = parsed
    if isinstance(at, datetime):
        if at.tzinfo is None or at.tzinfo.utcoffset(at) is None:
            raise ValueError(f"'{at.isoformat()}' has no UTC offset; add one (e.g. 'Z' or '+00:00')")
        return to_epoch(at.timestamp())
    raise ValueError(f"expected epoch seconds, a datetime or an ISO 8601 timestamp, got {type(at).__name__}")


def to_seconds(delta: float | int | timedelta) -> float:
    """Seconds in a duration given as a number or a ``timedelta``."""
    if isinstance(delta, timedelta):
        delta = delta.total_seconds()
    if isinstance(delta, bool) or not isinstance(delta, (int, float)) or delta != delta:
        raise ValueError("expected a number of seconds or a timedelta")
    if abs(delta) > MAX_SHIFT:
        raise ValueError(f"cannot move the clock by more than {MAX_SHIFT:.0f} seconds (100 years) at once")
    return float(delta)


def iso(epoch_seconds: float) -> str:
    """``2025-01-01T00:00:00.000000+00:00`` for an epoch instant."""
    return datetime.fromtimestamp(epoch_seconds, tz=timezone.utc).isoformat(timespec="microseconds")


class Clock:
    """Wall-clock time plus an offset, or a frozen instant; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen_at: float | None = None

    def now(self) -> float:
        """Seconds since the epoch, as the mock sees them."""
        frozen = self._frozen_at
        if frozen is not None:
            return frozen
        # a running clock set near the end of 9999 stops there rather than run past what
        # any timestamp can show
        return min(time.time() + self._offset, MAX_EPOCH)

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    def now_datetime(self) -> datetime:
        """The mock's current time as an aware UTC ``datetime``."""
        return datetime.fromtimestamp(self.now(), tz=timezone.utc)

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def freeze(self, at: Instant | None = None) -> None:
        """Stop the clock at ``at``, or at the current mock time."""
        instant = None if at is None else to_epoch(at)
        with self._lock:
            self._frozen_at = self.now() if instant is None else instant

    def unfreeze(self) -> None:
        """Let time run again from the frozen instant (the offset is kept)."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - time.time()
                self._frozen_at = None

    def advance(self, seconds: float | int | timedelta) -> None:
        """Move the mock time forward (or back, with a negative value)."""
        delta = to_seconds(seconds)
        with self._lock:
            if not 0 <= self.now() + delta <= MAX_EPOCH:  # past 9999 nothing could show the time
                raise ValueError(f"advancing by {delta:g} seconds would leave 1970 to 9999")
            if self._frozen_at is not None:
                self._frozen_at += delta
            else:
                self._offset += delta

    def set(self, at: Instant) -> None:
        """Jump to ``at``, keeping the clock running or frozen as it was."""
        instant = to_epoch(at)
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = instant
            else:
                self._offset = instant - time.time()

    def reset(self) -> None:
        """Back to real, running time."""
        with self._lock:
            self._offset = 0.0
            self._frozen_at = None

    def describe(self) -> dict[str, Any]:
        with self._lock:
            now = self.now()
            return {"now": now, "iso": iso(now), "frozen": self.frozen,
                    "offset_seconds": 0.0 if self.frozen else self._offset}
