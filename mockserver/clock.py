"""A controllable clock: real time by default, frozen or shifted on request.

All timestamps and expiry checks in the store go through one :class:`Clock`, so a test
can freeze time, advance it past a token's expiry, and see the effect at once.
"""

from __future__ import annotations

import threading
import time
from typing import Any


class Clock:
    """Wall-clock time plus an offset, or a frozen instant."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen_at: float | None = None

    def now(self) -> float:
        """Seconds since the epoch, as the mock sees them."""
        frozen = self._frozen_at
        if frozen is not None:
            return frozen
        return time.time() + self._offset

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def freeze(self, at: float | None = None) -> None:
        """Stop the clock at ``at`` (epoch seconds), or at the current mock time."""
        with self._lock:
            self._frozen_at = self.now() if at is None else float(at)

    def unfreeze(self) -> None:
        """Let time run again from the frozen instant (the offset is kept)."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - time.time()
                self._frozen_at = None

    def advance(self, seconds: float) -> None:
        """Move the mock time forward (or back, with a negative value)."""
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds

    def set(self, at: float) -> None:
        """Jump to ``at`` (epoch seconds), keeping the clock running or frozen as it was."""
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = float(at)
            else:
                self._offset = float(at) - time.time()

    def reset(self) -> None:
        """Back to real, running time."""
        with self._lock:
            self._offset = 0.0
            self._frozen_at = None

    def describe(self) -> dict[str, Any]:
        return {"now": self.now(), "frozen": self.frozen, "offset_seconds": 0.0 if self.frozen else self._offset}
