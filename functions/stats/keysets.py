"""Compact sets and small counters of hashed keys, for the counting run's day state.

A day at a million clicks holds about 600,000 "this visitor already opened this link" keys. Python sets of
strings would take hundreds of megabytes and seconds to load; here each key is an 8-byte digest kept in a
sorted ``array('Q')`` (8 bytes a key in memory and on disk), searched by bisection, and the keys a slice
adds or changes sit in a small dict beside it until ``packed()`` merges them in one pass.

A table may carry a small count in its low ``value_bits`` (the key's own low bits are cleared): the
address cap counts up to 3 unique visitors per link and address that way, in the same 8 bytes.
"""

from __future__ import annotations

import base64
import hashlib
import sys
from array import array
from bisect import bisect_left

_SEPARATOR = "\x1f"


def key_of(*parts: str, value_bits: int = 0) -> int:
    """A 64-bit digest of ``parts`` (the inputs are already salted hashes or ids), low value bits cleared.

    At 600,000 keys a day the chance that a new key meets an old one's digest is about 3e-14 per look-up.
    """
    digest = hashlib.blake2b(_SEPARATOR.join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> value_bits << value_bits


class PackedKeys:
    """Sorted 64-bit entries plus this slice's changes; ``get`` answers 0 for an absent key."""

    def __init__(self, base: array | None = None, value_bits: int = 0) -> None:
        self.base = base if base is not None else array("Q")
        self.value_bits = value_bits
        self.changes: dict[int, int] = {}

    def get(self, key: int) -> int:
        if key in self.changes:
            return self.changes[key]
        position = bisect_left(self.base, key)
        if position < len(self.base) and self.base[position] >> self.value_bits == key >> self.value_bits:
            return (self.base[position] & self._mask) if self.value_bits else 1
        return 0

    def __contains__(self, key: int) -> bool:
        return self.get(key) > 0

    def set(self, key: int, value: int = 1) -> None:
        """Add (value 1 for a plain set), change a count, or remove the key (value 0)."""
        if self.value_bits and not 0 <= value <= self._mask:
            raise ValueError(f"count {value} does not fit in {self.value_bits} bits")
        self.changes[key] = value if self.value_bits else int(bool(value))

    def __len__(self) -> int:
        return len(self.packed())

    def copy(self) -> PackedKeys:
        """A copy that shares the (never modified) base array."""
        copied = PackedKeys(self.base, self.value_bits)
        copied.changes = dict(self.changes)
        return copied

    def packed(self) -> array:
        """The base with the changes merged in, sorted: one pass copying slices of the base."""
        if not self.changes:
            return self.base
        merged, start, bits = array("Q"), 0, self.value_bits
        for key in sorted(self.changes):
            position = bisect_left(self.base, key, lo=start)
            merged.extend(self.base[start:position])
            start = position
            if position < len(self.base) and self.base[position] >> bits == key >> bits:
                start += 1  # replaced (or removed) by the change
            value = self.changes[key]
            if value:
                merged.append(key | value if bits else key)
        merged.extend(self.base[start:])
        return merged

    def compacted(self) -> PackedKeys:
        return PackedKeys(self.packed(), self.value_bits)

    def encode(self) -> str:
        entries = self.packed()
        if sys.byteorder == "big":  # stored little-endian whatever the machine
            entries = array("Q", entries)
            entries.byteswap()
        return base64.b64encode(entries.tobytes()).decode("ascii")

    @classmethod
    def decode(cls, text: str, value_bits: int = 0) -> PackedKeys:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
        if len(raw) % 8:
            raise ValueError("a packed key table must be a whole number of 8-byte entries")
        entries = array("Q")
        entries.frombytes(raw)
        if sys.byteorder == "big":
            entries.byteswap()
        return cls(entries, value_bits)

    @property
    def _mask(self) -> int:
        return (1 << self.value_bits) - 1
