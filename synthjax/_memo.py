"""A small keyed cache of built objects (compiled programs) whose keys hold object ids."""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable


class OwnedCache:
    """``get(key, owners, build)``: the object built by ``build()`` for ``key``, rebuilt unless ``owners`` are the very
    objects it was built for (the entry keeps them alive, so ids in the key stay unique); the ``keep`` most recently
    used entries are kept."""

    def __init__(self, keep: int):
        self.keep, self.entries = keep, OrderedDict()

    def get(self, key: tuple, owners: tuple, build: Callable):
        hit = self.entries.get(key)
        if hit is None or any(a is not b for a, b in zip(hit[0], owners)):
            hit = self.entries[key] = (owners, build())
            while len(self.entries) > self.keep:
                self.entries.popitem(last=False)
        self.entries.move_to_end(key)
        return hit[1]
