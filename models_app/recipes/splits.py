"""The 8 : 1 : 1 split of a corpus that has none of its own, by a stable hash of each item's key."""

from __future__ import annotations

import hashlib

SPLITS = ("train", "valid", "test")
# Of every ten items, by hash, the first is held out for validation, the second for test, the other
# eight train.
_HELD_OUT_TENTH = {"valid": 0, "test": 1}


def in_split(key: str, split: str) -> bool:
    """Whether the item with this key belongs to ``split``: a stable hash, not Python's salted one, so
    the split is the same on every machine and for every run, and ``valid`` and ``test`` stay held out."""
    tenth = int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % 10
    if split in _HELD_OUT_TENTH:
        return tenth == _HELD_OUT_TENTH[split]
    return tenth not in _HELD_OUT_TENTH.values()
