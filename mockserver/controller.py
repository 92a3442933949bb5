"""What the control API and :class:`~mockserver.server.MockServer` share, without Flask:
scenario loading with the baseline cache, state import/export, the state file, and the reset
of store, journal, faults and clock together.

The control API's views call this object (``current().controller``), not the facade above
them; ``MockServer`` delegates its methods of the same names here.
"""

from __future__ import annotations

import hashlib
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
        #: a digest of what the state file holds, but its clock (see save_state_if_changed)
        self._saved_fingerprint: bytes | None = None
        #: every write is in the state file before its answer goes out (see persist)
        self.durable = False
        # persist()'s group commit: calls counted, the last call a finished save covers, the
        # last failed save (the call it covered, its error), and whether a save is under way
        self._persist_cond = threading.Condition()
        self._persist_asked = 0
        self._persist_saved = 0
        self._persist_failed: tuple[int, OSError] | None = None
        self._persist_saving = False

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
        """Write the state document atomically (temp file + rename) and return its path.

        A symlink is kept: the file it points to is replaced. Raises :class:`StateTooLarge`
        (an ``OSError``, like every other failed save) and leaves the previous file as it was
        when the document would be over what the loader reads back.
        """
        target = Path(path) if path is not None else self.state_file
        if target is None:
            raise ValueError("no path given and no state_file configured")
        with self._save_lock:
            self._write(target, *self._encoded_state(target))
        return target

    def save_state_if_changed(self) -> Path | None:
        """Save to the state file only when the state differs from what was last saved there
        (or noted by :meth:`note_saved`); returns the path, or None when nothing changed.
        The clock is left out of the comparison: it moves by itself and is not restored."""
        if self.state_file is None:
            raise ValueError("no state_file configured")
        with self._save_lock:
            data, fingerprint = self._encoded_state(self.state_file)
            if fingerprint == self._saved_fingerprint:
                return None
            self._write(self.state_file, data, fingerprint)
        return self.state_file

    def persist(self) -> None:
        """Return once everything this store held when called is in the state file; raises
        the ``OSError`` of the save that was to cover it.

        A group commit: calls that come while a save runs wait for the next one, which one of
        them runs for all, so N concurrent writes cost two saves, not N. A save writes only
        when the state changed (:meth:`save_state_if_changed`).
        """
        with self._persist_cond:
            self._persist_asked += 1
            mine = self._persist_asked
            while True:
                if self._persist_saved >= mine:
                    return
                if self._persist_failed is not None and self._persist_failed[0] >= mine:
                    raise self._persist_failed[1]
                if not self._persist_saving:
                    self._persist_saving = True
                    covers = self._persist_asked
                    break
                self._persist_cond.wait()
        error: OSError | None = None
        try:
            self.save_state_if_changed()
        except OSError as failure:
            error = failure
        finally:
            with self._persist_cond:
                self._persist_saving = False
                if error is None:
                    self._persist_saved = max(self._persist_saved, covers)
                else:
                    self._persist_failed = (covers, error)
                self._persist_cond.notify_all()
        if error is not None:
            raise error

    def note_saved(self) -> None:
        """Take the current state as the one in the state file (just loaded from it), so
        :meth:`save_state_if_changed` writes only after a change."""
        if self.state_file is not None:
            with self._save_lock:
                self._saved_fingerprint = self._encoded_state(self.state_file)[1]

    def _encoded_state(self, target: Path) -> tuple[bytes, bytes]:
        # Exported under the save lock, so of two saves racing the later export is written last.
        document = self.state.export()
        # The baseline travels with the data, so a reset after a restart goes back to what
        # it went back to before (scenarios loaded through the control API included).
        document["baseline"] = self.state.export_baseline()
        data = encode_document(document, limit=scenario_files.MAX_FILE_BYTES, target=target)
        return data, fingerprint_without(data, b'"clock":' + encode_document(document["clock"], limit=len(data),
                                                                            target=target))

    def _write(self, target: Path, data: bytes, fingerprint: bytes) -> None:
        # os.replace over a symlink would replace the link itself and never update the
        # file the user pointed it at: write next to the link's final target instead.
        destination = Path(os.path.realpath(target))
        destination.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = temp_file_beside(destination)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, destination)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        if self.state_file is not None and destination == Path(os.path.realpath(self.state_file)):
            self._saved_fingerprint = fingerprint

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


class StateTooLarge(OSError):
    """The state document is bigger than a state file the loader accepts."""


def encode_document(document: Any, *, limit: int, target: Path) -> bytes:
    """``document`` as compact UTF-8 JSON (indentation doubled a large state's size; the C
    encoder only runs for one-shot dumps), or :class:`StateTooLarge` past ``limit`` bytes: a
    file the server could not read back at the next start would lose everything in it."""
    data = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if len(data) > limit:
        raise StateTooLarge(f"the state is {len(data)} bytes, over the limit of {limit} bytes a state file may hold "
                            f"(mockserver.scenarios.MAX_FILE_BYTES); {target} was left as it was")
    return data


def fingerprint_without(data: bytes, part: bytes) -> bytes:
    """A digest of ``data`` with the first ``part`` left out, without copying ``data``."""
    digest = hashlib.sha256()
    start = data.find(part)
    if start < 0:
        digest.update(data)
    else:
        view = memoryview(data)
        digest.update(view[:start])
        digest.update(view[start + len(part):])
    return digest.digest()


#: the end of the temporary file a save writes before renaming it over the target
TEMP_SUFFIX = ".tmp"
#: the bytes a save's temporary file may add to the name: ".<name>." + mkstemp's 8 characters +
#: TEMP_SUFFIX is 14; the save path limit (control API) keeps 2 more to spare
TEMP_NAME_EXTRA = 2 + 8 + len(TEMP_SUFFIX) + 2


def temp_file_beside(destination: Path) -> tuple[int, str]:
    """A new temporary file next to ``destination``, named as :func:`remove_leftover_temp_files`
    finds it (``(descriptor, path)``, as :func:`tempfile.mkstemp`)."""
    return tempfile.mkstemp(prefix=f".{destination.name}.", suffix=TEMP_SUFFIX, dir=destination.parent)


def remove_leftover_temp_files(target: Path) -> list[Path]:
    """Remove the temporary files of saves to ``target`` that never finished (kill -9, power
    loss); they piled up next to the state file. Returns what was removed."""
    target = Path(os.path.realpath(target))  # a save writes them next to a symlink's target
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
