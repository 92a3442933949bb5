"""The in-memory store: every API's data, one lock, one clock.

``State`` knows nothing about HTTP. It holds one *backend* per mocked API (see
:class:`Backend`), each owning a plain data object. The atomicity guarantee, stated in
the docs, rests on two rules:

* every operation that reads or changes data runs entirely under ``State.lock``
  (a re-entrant lock), and validates all its input before it changes anything;
* loading a scenario and importing a snapshot build the new data on the side and swap
  it in at once, so a rejected document leaves the store untouched.

Resetting and rolling back a transaction copy nothing: the backends report each change
before they make it (:class:`Changes`, an undo log keeping the first original of each
changed slot), and the store puts back only those slots. Building on the side copies the
live data before a scenario is merged into it; a backend that defines ``clone(data)``
copies its own data (each container and mutable object once, immutable values shared),
which is many times faster than ``copy.deepcopy``; the others are deep-copied (and copied
back on reset, as they record no changes).

The exported *state document* and a *scenario file* share one format: a saved state can
be loaded as a scenario, and a scenario is a (partial) state.
"""

from __future__ import annotations

import copy
import dataclasses
import gc
import re
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Protocol, Sequence

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


# -- changes: what reset and a rolled-back transaction undo ------------------------------
_MISSING = object()
_RECORD = object()
_MEMBER = object()
_ATTR = object()
_WHOLE = object()


class Changes:
    """The first original of every slot of the store changed since a mark.

    Every change to the live data goes through one of the methods below *before* it is
    made: a dict item (:meth:`item`), a set member (:meth:`member`), the fields of a record
    (:meth:`record`, with the record's own copy function, so its small inner containers
    come back too) or one attribute (:meth:`attr`). Only the first original per slot is
    kept, so a server that runs for days without a reset holds at most one entry per slot
    it ever touched, not one per change. Undoing puts every slot back, latest first: the
    cost follows what changed since the mark, not the size of the store. (A dict item
    deleted and put back returns at the end of its dict: where that order shows, the data
    keeps an order of its own, as ModelArts' ``Workspace.place``.)

    The store keeps one log from the baseline (``State.reset`` undoes it) and, during a
    transaction, a second one from the transaction's start (a rollback undoes it alone).
    All of it runs under ``State.lock``.
    """

    __slots__ = ("_logs", "generation")

    def __init__(self) -> None:
        self._logs: list[dict[Any, tuple[Any, ...]]] = [{}]
        #: bumped whenever data is put back or a new mark is set: caches of derived
        #: orders are valid for one generation
        self.generation = 0

    # -- recording (call before the change) ----------------------------------------------
    def first(self, container: dict[Any, Any], key: Any) -> bool:
        """:meth:`item`, telling whether the item's current value was just saved: then it
        must be replaced, not changed in place (copy on write)."""
        slot = (id(container), key)
        saved = False
        for log in self._logs:
            if slot not in log:
                log[slot] = (_restore_item, container, key, container.get(key, _MISSING))
                saved = True
        return saved

    #: before changing (or adding, or deleting) a dict item; :meth:`first` itself, its
    #: answer unused (an alias, not a wrapper: no extra call on every change)
    item = first

    def member(self, container: set[Any], value: Any) -> None:
        slot = (id(container), _MEMBER, value)
        for log in self._logs:
            if slot not in log:
                log[slot] = (_restore_member, container, value, value in container)

    def record(self, obj: Any, copy: Callable[[Any], Any]) -> None:
        """Before changing a record's fields; ``copy`` copies it with its inner containers
        (and copies the saved copy again when it is put back, so two logs never share one)."""
        slot = (id(obj), _RECORD)
        saved = None
        for log in self._logs:
            if slot not in log:
                if saved is None:
                    saved = copy(obj)
                log[slot] = (_restore_record, obj, saved, copy)

    def original(self, obj: Any) -> Any:
        """The copy of a record saved since the mark (:meth:`record`), or None."""
        entry = self._logs[0].get((id(obj), _RECORD))
        return None if entry is None else entry[2]

    def whole(self, container: dict[Any, Any]) -> None:
        """Before deleting from a dict whose order shows (Wallaroo's users): an item put back
        would return at the end, so the whole dict is kept, once per mark. For small dicts
        or rare deletes only: it costs the dict's size."""
        slot = (id(container), _WHOLE)
        saved = None
        for log in self._logs:
            if slot not in log:
                if saved is None:
                    saved = container.copy()
                log[slot] = (_restore_whole, container, saved, None)

    def attr(self, obj: Any, name: str) -> None:
        slot = (id(obj), _ATTR, name)
        for log in self._logs:
            if slot not in log:
                log[slot] = (_restore_attr, obj, name, getattr(obj, name))

    # -- marks, transactions, undo -------------------------------------------------------
    def mark(self) -> None:
        """What is there now is the new baseline: forget every change."""
        self._logs = [{}]
        self.generation += 1

    def undo(self) -> int:
        """Put back everything changed since the mark (no transaction may be open); returns
        how many slots were put back."""
        if len(self._logs) != 1:
            raise RuntimeError("undo with a transaction open")
        return self._undo(self._logs[0])

    def begin(self) -> None:
        """Start a transaction: from here on, changes are also kept apart for a rollback."""
        if len(self._logs) != 1:
            raise RuntimeError("transactions do not nest")
        self._logs.append({})

    def commit(self) -> None:
        self._logs.pop()

    def rollback(self) -> None:
        self._undo(self._logs.pop())

    def __len__(self) -> int:
        """Slots changed since the mark."""
        return len(self._logs[0])

    def _undo(self, log: dict[Any, tuple[Any, ...]]) -> int:
        entries = list(log.values())
        log.clear()
        for restore, target, key, original in reversed(entries):
            restore(target, key, original)
        self.generation += 1
        return len(entries)

    # a copy of the data (a test's deepcopy, a clone) records nothing
    def __copy__(self) -> Changes:
        return NOT_RECORDED

    def __deepcopy__(self, memo: Any) -> Changes:
        return NOT_RECORDED


class _NotRecorded(Changes):
    """The log of data that is not live (being built, a copy): records nothing."""

    __slots__ = ()

    def first(self, container: dict[Any, Any], key: Any) -> bool:
        return False

    item = first

    def original(self, obj: Any) -> Any:
        return None

    def member(self, container: set[Any], value: Any) -> None:
        pass

    def record(self, obj: Any, copy: Callable[[Any], Any]) -> None:
        pass

    def whole(self, container: dict[Any, Any]) -> None:
        pass

    def attr(self, obj: Any, name: str) -> None:
        pass


NOT_RECORDED: Changes = _NotRecorded()


def _restore_item(container: dict[Any, Any], key: Any, original: Any) -> None:
    if original is _MISSING:
        container.pop(key, None)
    else:
        container[key] = original


def _restore_member(container: set[Any], value: Any, was_member: bool) -> None:
    if was_member:
        container.add(value)
    else:
        container.discard(value)


def _restore_record(obj: Any, saved: Any, copy: Callable[[Any], Any]) -> None:
    fields = obj.__dict__
    fields.clear()
    fields.update(copy(saved).__dict__)


def _restore_whole(container: dict[Any, Any], saved: dict[Any, Any], _: Any) -> None:
    container.clear()
    container.update(saved)


def _restore_attr(obj: Any, name: str, original: Any) -> None:
    setattr(obj, name, original)


def snapshot_data(data: Any) -> Any:
    """A copy of a backend's data object for :meth:`Changes.record`: its own fields (counters,
    container references) and a copy of each mutable record among them (the settings), so
    changes to either, however made, are undone."""
    copied = shallow_copy(data)
    for name, value in copied.__dict__.items():
        if dataclasses.is_dataclass(value) and not isinstance(value, type) \
                and not type(value).__dataclass_params__.frozen:  # type: ignore[attr-defined]
            copied.__dict__[name] = shallow_copy(value)
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

    # Optional: ``records_changes = True`` when every change to the live data is first
    # reported to ``data.changes`` (a :class:`Changes`): reset and transactions then undo
    # only what changed. Without it, reset copies the baseline back and GraphQL-style
    # transactions are not available.


class CloningBackend(Backend, Protocol):
    """A backend that copies its own data; ``clone`` is optional (see :func:`clone_data`)."""

    def clone(self, data: Any) -> Any:
        """An independent copy of ``data``: nothing mutable shared with it, indexes included."""


def clone_data(backend: Backend, data: Any) -> Any:
    """An independent copy of a backend's data: its own ``clone`` if it has one, else a deep
    copy. The copy is not live: it records no changes until the store swaps it in."""
    clone = getattr(backend, "clone", None)
    copied = clone(data) if clone is not None else copy.deepcopy(data)
    fields = getattr(copied, "__dict__", None)
    if fields is not None:
        fields.pop("changes", None)
    return copied


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while copying the store (or taking a read's
    snapshot under its lock: ``wallaroo.graphql.tables``).

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


_PATH_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _items_at(value: Any, steps: list[tuple[str, str]], indices: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], Any]]:
    """The values of a document at a JSON path whose list indices are wildcards, each with its
    indices (``wallaroo.workspaces[*]`` -> ``((0,), {...}), ((1,), {...})``)."""
    if not steps:
        yield indices, value
        return
    (name, _), rest = steps[0], steps[1:]
    if name:
        if isinstance(value, dict) and name in value:
            yield from _items_at(value[name], rest, indices)
    elif isinstance(value, list):
        for index, element in enumerate(value):
            yield from _items_at(element, rest, indices + (index,))


def _defines(item: Any, members: tuple[str, ...], key: str) -> bool:
    """Whether ``item`` gives ``key`` (a name, or an id written as a string or a number) in one
    of ``members``; compared as logins are, case-insensitively."""
    if not isinstance(item, dict):
        return False
    return any(not isinstance(item.get(member), bool) and isinstance(item.get(member), (str, int))
               and str(item[member]).casefold() == key.casefold() for member in members)


def _definers(error: ConflictError, document: dict[str, Any]) -> list[tuple[int, ...]]:
    """The indices of the items of ``document`` at the error's path (any index) defining its key."""
    steps = _PATH_STEP.findall(error.path)
    members = error.members
    if not members:
        if not steps or not steps[-1][0]:
            return []
        members, steps = (steps[-1][0],), steps[:-1]
    return [indices for indices, item in _items_at(document, steps) if _defines(item, members, error.key)]


class State:
    """All mocked data, guarded by one re-entrant lock."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock or Clock()
        self.backends: dict[str, Backend] = {}
        #: every change since the baseline (and within a transaction): what reset undoes
        self.changes = Changes()
        #: a copy of the baseline, for export_baseline() only: reset undoes the changes
        self._baseline: dict[str, Any] = {}
        self.scenarios: list[str] = []
        self._baseline_scenarios: list[str] = []
        # Counts baseline changes (register, load or import as baseline), so a caller can
        # tell "still the baseline I built" without comparing private objects.
        self.baseline_generation = 0
        #: counts resets and loads: a request held (by a latency fault) across one must not
        #: act on the data that came after it, which belongs to the next test
        self.epoch = 0

    # -- registry -------------------------------------------------------------------
    def register(self, backend: Backend) -> Backend:
        """Add a backend; its data starts empty and empty is its baseline."""
        with self.lock:
            self.backends[backend.name] = backend
            self._swap({backend.name: backend.empty()})
            self._baseline[backend.name] = clone_data(backend, backend.data)
            self._mark()
        return backend

    def __getitem__(self, name: str) -> Backend:
        return self.backends[name]

    # -- documents ------------------------------------------------------------------
    def _build(self, base: dict[str, Any], documents: Iterable[tuple[str, dict[str, Any]]], *,
               copy_base: bool = True, labels: Sequence[str] | None = None,
               base_scenarios: Sequence[str] = ()) -> dict[str, Any]:
        """New data objects: ``base`` (copied, unless it is already new) with each (source,
        document) merged in order. ``labels`` name the documents as the user gave them (the
        built-in ``default``, not its installed file) and ``base_scenarios`` what ``base``
        was loaded from, for conflicts; ``copy_base=False`` means ``base`` is empty."""
        built = self._cloned(base) if copy_base else dict(base)
        documents = list(documents)
        names = list(labels) if labels is not None else [source for source, _ in documents]
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
                        first = self._first_definer(error, documents, names, position, copy_base, base_scenarios)
                        raise ScenarioError(source, error.path, error.template.replace("{by}", f" by {first}")) from None
                    except FieldError as error:
                        raise ScenarioError(source, error.path, error.message) from None
        return built

    def load(self, documents: Iterable[tuple[str, dict[str, Any]]], *, replace: bool = False,
             as_baseline: bool = True, labels: Sequence[str] | None = None) -> None:
        """Merge scenario documents into the store (or into an empty store if ``replace``).

        ``documents`` are ``(source, document)`` pairs; ``source`` names the file in
        error messages, and ``labels`` (default: the sources) the scenarios as the user
        named them, in conflicts. All documents are validated before anything changes. With
        ``as_baseline`` the result also becomes what :meth:`reset` returns to.
        """
        documents = list(documents)
        with self.lock:
            self.epoch += 1
            base = self._empties() if replace else self._current()
            built = self._build(base, documents, copy_base=not replace, labels=labels,
                                base_scenarios=() if replace else self.scenarios)
            self._swap(built)
            names = [str(doc.get("name", source)) for source, doc in documents]
            self.scenarios = names if replace else self.scenarios + names
            if as_baseline:
                self._baseline = self._cloned(built)
                self._baseline_scenarios = list(self.scenarios)
                self._mark()

    def reset(self) -> None:
        """Back to the baseline (the scenarios loaded as baseline), in one step.

        Undoes the changes made since the baseline (see :class:`Changes`): the cost
        follows what changed, not the size of the store, and nothing is copied.
        """
        with self.lock:
            self.epoch += 1
            self.changes.undo()
            for name, backend in self.backends.items():
                if not _records_changes(backend):  # a backend that records nothing: copied back
                    backend.data = clone_data(backend, self._baseline[name])
            self._start_log()
            self.scenarios = list(self._baseline_scenarios)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All the changes made inside stay, or, when it raises, none does (a GraphQL
        mutation); undoing touches only what changed inside. Holds the lock throughout."""
        with self.lock:
            self.changes.begin()
            self._start_log()
            try:
                yield
            except BaseException:
                self.changes.rollback()
                raise
            self.changes.commit()

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
                self._mark()

    # -- internals ------------------------------------------------------------------
    @staticmethod
    def _first_definer(error: ConflictError, documents: list[tuple[str, dict[str, Any]]], names: list[str],
                       position: int, base_loaded: bool, base_scenarios: Sequence[str]) -> str:
        """Who defined the record ``error`` clashes with: the first earlier document giving its
        key, an earlier item of the same document, or else the data merged before."""
        for (_, document), name in zip(documents[:position], names):
            if _definers(error, document):
                return name
        current = tuple(int(index) for _, index in _PATH_STEP.findall(error.path) if index)
        if any(indices < current for indices in _definers(error, documents[position][1])):
            return "an earlier item of this scenario"
        before = [*base_scenarios, *names[:position]]
        if not before and not base_loaded:
            return "an earlier item of this scenario"  # nothing else was there: made by this one
        return f"the loaded state ({', '.join(before) or 'no scenarios'})"

    def _current(self) -> dict[str, Any]:
        return {name: backend.data for name, backend in self.backends.items()}

    def _empties(self) -> dict[str, Any]:
        return {name: backend.empty() for name, backend in self.backends.items()}

    def _cloned(self, datas: dict[str, Any]) -> dict[str, Any]:
        """Independent copies of each backend's data (``datas``: backend name -> data)."""
        with collector_paused():
            return {name: clone_data(self.backends[name], data) for name, data in datas.items()}

    def _swap(self, built: dict[str, Any]) -> None:
        """Make new data objects live; a reset before the next mark puts the old ones back."""
        for name, data in built.items():
            backend = self.backends[name]
            if hasattr(backend, "data"):
                self.changes.attr(backend, "data")
            if _records_changes(backend):
                data.changes = self.changes  # from now on every change to it is recorded
            backend.data = data

    def _mark(self) -> None:
        """The live data is the new baseline."""
        self.changes.mark()
        self._start_log()
        self.baseline_generation += 1

    def _start_log(self) -> None:
        # each data object's own fields (counters, settings) are kept whole at the start
        for backend in self.backends.values():
            if _records_changes(backend):
                self.changes.record(backend.data, snapshot_data)


def _records_changes(backend: Backend) -> bool:
    """Whether the backend reports every change to its data to ``data.changes`` (see
    :class:`Changes`); the store copies the data of the others back on reset."""
    return bool(getattr(backend, "records_changes", False))
