"""The in-memory store: every API's data, one lock, one clock.

``State`` knows nothing about HTTP. It holds one *backend* per mocked API (see
:class:`Backend`), each owning a plain data object. The atomicity guarantee, stated in
the docs, rests on two rules:

* every operation that reads or changes data runs entirely under ``State.lock``
  (a re-entrant lock), and validates all its input before it changes anything;
* loading a scenario, importing a snapshot and resetting build the new data on the
  side and swap it in at once, so a rejected document leaves the store untouched.

Building on the side means copying: the baseline on every reset, the live data before a
scenario is merged into it. A backend that defines ``clone(data)`` copies its own data
(each container and mutable object once, immutable values shared), which is many times
faster than ``copy.deepcopy`` with large stores; the others are deep-copied.

The exported *state document* and a *scenario file* share one format: a saved state can
be loaded as a scenario, and a scenario is a (partial) state.
"""

from __future__ import annotations

import copy
import gc
import json
import threading
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Protocol

from .clock import Clock
from .validation import ConflictError, FieldError

STATE_FORMAT = "mockserver-state"
STATE_VERSION = 1


_new_object = object.__new__


def shallow_copy(obj: Any) -> Any:
    """A copy of a (non-frozen, non-slotted) dataclass instance sharing its field values, for
    the backends' ``clone()``: a third of ``copy.copy``'s time."""
    copied = _new_object(type(obj))
    copied.__dict__ = obj.__dict__.copy()
    return copied


class ScenarioError(ValueError):
    """A scenario or state document is invalid; says where (file and JSON path) and why."""

    def __init__(self, source: str, path: str, message: str, *, line: int | None = None) -> None:
        self.source = source
        self.path = path
        self.message = message
        #: the line of ``source`` (a file) the mistake is on, when known
        self.line = line
        where = f"{source}:{line}" if line is not None else source
        where = f"{where}: at {path}" if path else where
        super().__init__(f"{where}: {message}")


class Backend(Protocol):
    """What the store needs from each API's state model."""

    #: the document section this backend reads and writes (``"wallaroo"``, ``"modelarts"``)
    name: str
    #: the live data object; replaced wholesale by load, import and reset
    data: Any

    def empty(self) -> Any:
        """A fresh, empty data object."""

    def merge(self, data: Any, section: Any, path: str) -> None:
        """Add a document section to ``data``; raise FieldError on any mistake."""

    def export(self, data: Any) -> dict[str, Any]:
        """The full document section describing ``data`` (loadable by :meth:`merge`)."""


class CloningBackend(Backend, Protocol):
    """A backend that copies its own data; ``clone`` is optional (see :func:`clone_data`)."""

    def clone(self, data: Any) -> Any:
        """An independent copy of ``data``: nothing mutable shared with it, indexes included."""


def clone_data(backend: Backend, data: Any) -> Any:
    """An independent copy of a backend's data: its own ``clone`` if it has one, else a deep copy."""
    clone = getattr(backend, "clone", None)
    return clone(data) if clone is not None else copy.deepcopy(data)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while copying the store.

    A copy allocates a few objects per stored item and frees none, which makes the
    collector run full collections over the whole heap in the middle of it: with 100 000
    workspaces per API they took 5x the copy's own time. The backends' copies form no
    reference cycles, and the collector resumes (if it was running) right after the copy,
    so pausing it only spares the repeated scans.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _first_source(key: str, section: str, documents: list[tuple[str, dict[str, Any]]]) -> str | None:
    """The first of ``documents`` whose ``section`` mentions ``key`` (where a conflict began)."""
    needle = json.dumps(key)
    for source, document in documents:
        if isinstance(document, dict) and needle in json.dumps(document.get(section), default=str):
            return source
    return None


class State:
    """All mocked data, guarded by one re-entrant lock."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock or Clock()
        self.backends: dict[str, Backend] = {}
        self._baseline: dict[str, Any] = {}
        self.scenarios: list[str] = []
        self._baseline_scenarios: list[str] = []
        # Counts baseline changes (register, load or import as baseline), so a caller can
        # tell "still the baseline I built" without comparing private objects.
        self.baseline_generation = 0

    # -- registry -------------------------------------------------------------------
    def register(self, backend: Backend) -> Backend:
        """Add a backend; its data starts empty and empty is its baseline."""
        with self.lock:
            backend.data = backend.empty()
            self.backends[backend.name] = backend
            self._baseline[backend.name] = clone_data(backend, backend.data)
            self.baseline_generation += 1
        return backend

    def __getitem__(self, name: str) -> Backend:
        return self.backends[name]

    # -- documents ------------------------------------------------------------------
    def _build(self, base: dict[str, Any], documents: Iterable[tuple[str, dict[str, Any]]], *,
               copy_base: bool = True) -> dict[str, Any]:
        """New data objects: ``base`` (copied, unless it is already new) with each (source,
        document) merged in order."""
        built = self._cloned(base) if copy_base else dict(base)
        documents = list(documents)
        for position, (source, document) in enumerate(documents):
            if not isinstance(document, dict):
                raise ScenarioError(source, "", "a scenario must be a JSON object")
            unknown = set(document) - set(self.backends) - {"name", "description", "format", "version", "scenarios", "clock",
                                                         "baseline"}
            if unknown:
                key = sorted(unknown)[0]
                raise ScenarioError(source, key, f"unknown section; expected one of: name, description, "
                                    f"{', '.join(self.backends)}")
            for name, backend in self.backends.items():
                if name in document:
                    try:
                        backend.merge(built[name], document[name], name)
                    except ConflictError as error:
                        first = (_first_source(error.key, name, documents[:position])
                                 or _first_source(error.key, name, [("an earlier item of this scenario", document)])
                                 or f"the loaded state ({', '.join(self.scenarios) or 'no scenarios'})")
                        raise ScenarioError(source, error.path, error.template.replace("{by}", f" by {first}")) from None
                    except FieldError as error:
                        raise ScenarioError(source, error.path, error.message) from None
        return built

    def load(self, documents: Iterable[tuple[str, dict[str, Any]]], *, replace: bool = False,
             as_baseline: bool = True) -> None:
        """Merge scenario documents into the store (or into an empty store if ``replace``).

        ``documents`` are ``(source, document)`` pairs; ``source`` names the file in
        error messages. All documents are validated before anything changes. With
        ``as_baseline`` the result also becomes what :meth:`reset` returns to.
        """
        documents = list(documents)
        with self.lock:
            base = self._empties() if replace else self._current()
            built = self._build(base, documents, copy_base=not replace)
            self._swap(built)
            names = [str(doc.get("name", source)) for source, doc in documents]
            self.scenarios = names if replace else self.scenarios + names
            if as_baseline:
                self._baseline = self._cloned(built)
                self._baseline_scenarios = list(self.scenarios)
                self.baseline_generation += 1

    def reset(self) -> None:
        """Back to the baseline (the scenarios loaded as baseline), in one step."""
        with self.lock:
            self._swap(self._cloned(self._baseline))
            self.scenarios = list(self._baseline_scenarios)

    def export(self) -> dict[str, Any]:
        """The whole state as a versioned document (also a valid scenario file)."""
        with self.lock:
            document: dict[str, Any] = {
                "format": STATE_FORMAT,
                "version": STATE_VERSION,
                "scenarios": list(self.scenarios),
                "clock": self.clock.describe(),
            }
            for name, backend in self.backends.items():
                document[name] = backend.export(backend.data)
            return document

    def export_baseline(self) -> dict[str, Any]:
        """What :meth:`reset` returns to, as a state document (saved beside the data in a state file)."""
        with self.lock:
            document: dict[str, Any] = {"scenarios": list(self._baseline_scenarios)}
            for name, backend in self.backends.items():
                document[name] = backend.export(self._baseline[name])
            return document

    def import_(self, document: Any, source: str = "state document", *, as_baseline: bool = False) -> None:
        """Replace the whole state with a document from :meth:`export`; validates first."""
        if not isinstance(document, dict):
            raise ScenarioError(source, "", "a state document must be a JSON object")
        if document.get("format", STATE_FORMAT) != STATE_FORMAT:
            raise ScenarioError(source, "format", f"expected {STATE_FORMAT!r}")
        version = document.get("version", STATE_VERSION)
        if version != STATE_VERSION:
            raise ScenarioError(source, "version", f"unsupported version {version!r}; this server reads version {STATE_VERSION}")
        scenarios = document.get("scenarios", [])
        if not isinstance(scenarios, list) or not all(isinstance(s, str) for s in scenarios):
            raise ScenarioError(source, "scenarios", "expected an array of strings")
        with self.lock:
            built = self._build(self._empties(), [(source, document)], copy_base=False)
            self._swap(built)
            self.scenarios = list(scenarios)
            if as_baseline:
                self._baseline = self._cloned(built)
                self._baseline_scenarios = list(self.scenarios)
                self.baseline_generation += 1

    # -- internals ------------------------------------------------------------------
    def _current(self) -> dict[str, Any]:
        return {name: backend.data for name, backend in self.backends.items()}

    def _empties(self) -> dict[str, Any]:
        return {name: backend.empty() for name, backend in self.backends.items()}

    def _cloned(self, datas: dict[str, Any]) -> dict[str, Any]:
        """Independent copies of each backend's data (``datas``: backend name -> data)."""
        with _collector_paused():
            return {name: clone_data(self.backends[name], data) for name, data in datas.items()}

    def _swap(self, built: dict[str, Any]) -> None:
        for name, data in built.items():
            self.backends[name].data = data
