"""A project's workspaces kept in one sort order, in blocks, for pages of the list.

A page is a slice; a create, rename or delete moves one workspace (a binary search for its
block, then one in the block), not a sort of the project. The blocks make a reset cheap: an
order saved for the baseline is never changed in place. A changed order starts as a copy of
the list of blocks (one pointer per block) and copies a block only when it changes one,
so a reset drops a few small lists instead of a copy of the whole project.
"""

from __future__ import annotations

import bisect
from typing import Any, Generic, Iterator, TypeVar

Item = TypeVar("Item")

#: items per block when built; a block splits at twice this size
BLOCK = 512


class SortedBlocks(Generic[Item]):
    """Items in ascending order of their (unique) keys."""

    __slots__ = ("_keys", "_items", "_maxes", "_size", "_owned")

    def __init__(self, keys: list[Any], items: list[Item]) -> None:
        """``keys`` ascending and unique, ``items[i]`` the item of ``keys[i]``."""
        self._keys = [keys[i:i + BLOCK] for i in range(0, len(keys), BLOCK)]
        self._items = [items[i:i + BLOCK] for i in range(0, len(items), BLOCK)]
        self._maxes = [block[-1] for block in self._keys]
        self._size = len(keys)
        #: ids of the blocks this order may change in place (made or copied by it)
        self._owned = {id(block) for block in self._keys}

    def copy(self) -> SortedBlocks[Item]:
        """A copy that shares every block until it changes one."""
        copied = SortedBlocks.__new__(SortedBlocks)
        copied._keys, copied._items, copied._maxes = list(self._keys), list(self._items), list(self._maxes)
        copied._size = self._size
        copied._owned = set()
        return copied

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Item]:
        for block in self._items:
            yield from block

    def __reversed__(self) -> Iterator[Item]:
        for block in reversed(self._items):
            yield from reversed(block)

    def slice(self, start: int, stop: int) -> list[Item]:
        """The items from position ``start`` up to ``stop`` (as ``list[start:stop]``, both >= 0)."""
        found: list[Item] = []
        offset = 0
        for block in self._items:
            size = len(block)
            if offset + size > start and offset < stop:
                found.extend(block[max(0, start - offset):stop - offset])
            offset += size
            if offset >= stop:
                break
        return found

    def insert(self, key: Any, item: Item) -> None:
        if not self._keys:
            self._keys, self._items, self._maxes = [[key]], [[item]], [key]
            self._owned.add(id(self._keys[0]))
            self._size = 1
            return
        index = min(bisect.bisect_left(self._maxes, key), len(self._maxes) - 1)
        keys, items = self._own(index)
        at = bisect.bisect_left(keys, key)
        keys.insert(at, key)
        items.insert(at, item)
        self._maxes[index] = keys[-1]
        self._size += 1
        if len(keys) > 2 * BLOCK:  # split in two new blocks
            half = len(keys) // 2
            self._keys[index:index + 1] = [keys[:half], keys[half:]]
            self._items[index:index + 1] = [items[:half], items[half:]]
            self._maxes[index:index + 1] = [keys[half - 1], keys[-1]]
            self._owned.update((id(self._keys[index]), id(self._keys[index + 1])))

    def remove(self, key: Any) -> bool:
        """Take out the item of ``key``; False if there is none."""
        index = bisect.bisect_left(self._maxes, key)
        if index == len(self._maxes):
            return False
        at = bisect.bisect_left(self._keys[index], key)
        if at == len(self._keys[index]) or self._keys[index][at] != key:
            return False
        keys, items = self._own(index)
        del keys[at], items[at]
        self._size -= 1
        if keys:
            self._maxes[index] = keys[-1]
        else:
            del self._keys[index], self._items[index], self._maxes[index]
        return True

    def _own(self, index: int) -> tuple[list[Any], list[Item]]:
        """Block ``index``, copied first if another order may share it."""
        keys = self._keys[index]
        if id(keys) not in self._owned:
            keys = self._keys[index] = keys.copy()
            self._items[index] = self._items[index].copy()
            self._owned.add(id(keys))
        return keys, self._items[index]
