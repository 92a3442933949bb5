"""What the control API and :class:`~mockserver.server.MockServer` share, without Flask:
scenario loading with the baseline cache, state import/export, the state file, and the reset
of store, journal, faults and clock together.

The control API's views call this object (``current().controller``), not the facade above
them; ``MockServer`` delegates its methods of the same names here.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Any, Iterable

from . import scenarios as scenario_files
from .faults import FaultInjector
from .journal import Journal
from .state import ScenarioError, State

_logger = logging.getLogger(__name__)


class Controller:
    """The operations on a server's whole state (all APIs at once)."""

    def __init__(self, state: State, journal: Journal, faults: FaultInjector, *,
                 state_file: str | os.PathLike[str] | None = None) -> None:
        self.state = state
        self.journal = journal
        self.faults = faults
        #: where save_state() writes when given no path (and the CLI saves on exit)
        self.state_file = Path(state_file) if state_file else None
        self._save_lock = threading.Lock()
        self._baseline_key: str | None = None
        self._baseline_generation = -1

    def reset(self) -> None:
        """Back to the baseline scenarios; clears the journal and faults, and unfreezes the clock."""
        self.state.reset()
        self.journal.clear()
        self.faults.clear()
        self.state.clock.reset()

    def load_scenarios(self, scenarios: Iterable[scenario_files.ScenarioRef], *, replace: bool = False,
                       as_baseline: bool = True) -> None:
        """Load scenarios (names, paths or dicts) on top of the state, or instead of it."""
        refs = list(scenarios)
        documents = [scenario_files.resolve(ref) for ref in refs]
        try:
            self.state.load(documents, replace=replace, as_baseline=as_baseline,
                            labels=[scenario_files.label(ref) for ref in refs])
        except ScenarioError as error:
            raise scenario_files.located(error) from None
        if as_baseline:
            self._baseline_key = None

    def use_scenarios(self, scenarios: Iterable[scenario_files.ScenarioRef]) -> None:
        """Make ``scenarios`` the baseline (instead of the current one) and reset to it.

        Cheap when they already are the baseline: then it is just :meth:`reset`. The
        pytest plugin calls this before every test with the test's scenarios.
        """
        refs = list(scenarios)
        key = scenario_files.cache_key(refs)
        # The store counts every baseline change, whoever made it (this class, the control
        # API, a test calling state.load directly); an unchanged count means ours is still in place.
        if key != self._baseline_key or self.state.baseline_generation != self._baseline_generation:
            self.load_scenarios(refs, replace=True)
            self._baseline_key = key
            self._baseline_generation = self.state.baseline_generation
        self.reset()

    def load(self, scenario: scenario_files.ScenarioRef) -> None:
        """Add one scenario's data for the current test only (the next reset removes it)."""
        self.load_scenarios([scenario], as_baseline=False)

    def export_state(self) -> dict[str, Any]:
        return self.state.export()

    def import_state(self, document: dict[str, Any], *, as_baseline: bool = False,
                     source: str = "state document") -> None:
        """Replace the whole state with a document from :meth:`export_state` (validated first)."""
        self.state.import_(document, source=source, as_baseline=as_baseline)
        if as_baseline:
            self._baseline_key = None

    def save_state(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the state document atomically (temp file + rename) and return its path."""
        target = Path(path) if path is not None else self.state_file
        if target is None:
            raise ValueError("no path given and no state_file configured")
        document = self.state.export()
        # The baseline travels with the data, so a reset after a restart goes back to what
        # it went back to before (scenarios loaded through the control API included).
        document["baseline"] = self.state.export_baseline()
        with self._save_lock:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(document, handle, indent=2, ensure_ascii=False)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return target

    def load_state_file(self, path: str | os.PathLike[str]) -> None:
        """Restore a saved state: its data, and its baseline when the file has one."""
        source = Path(path)
        document = scenario_files.read(source)
        baseline = document.get("baseline")
        if baseline is not None:
            try:
                self.state.import_(baseline, source=str(source), as_baseline=True)
            except ScenarioError as error:
                raise ScenarioError(error.source, f"baseline.{error.path}".rstrip("."), error.message) from None
            self._baseline_key = None
        self.state.import_(document, source=str(source))


#: the end of the temporary file a save writes before renaming it over the target
TEMP_SUFFIX = ".tmp"


def remove_leftover_temp_files(target: Path) -> list[Path]:
    """Remove the temporary files of saves to ``target`` that never finished (kill -9, power
    loss); they piled up next to the state file. Returns what was removed."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.[a-z0-9_]{{8}}({re.escape(TEMP_SUFFIX)})?\Z")
    removed: list[Path] = []
    try:
        candidates = list(target.parent.iterdir())
    except OSError:
        return removed
    for path in candidates:
        if pattern.match(path.name) and path.is_file():
            try:
                path.unlink()
                removed.append(path)
            except OSError:
                pass
    if removed:
        _logger.info("removed %d unfinished save(s) next to %s", len(removed), target)
    return removed
