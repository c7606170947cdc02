"""Sets of listings as Python integers: bit n stands for listing (or document) n.

Intersecting, uniting and counting them is C arithmetic on machine words, so a set of
ten thousand listings costs microseconds where a set of ids would cost milliseconds.
Used by the search index (bit n = document n) and by `outcomes` (bit n = the n-th
listing in name order).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice


def from_positions(positions: Iterable[int], size: int) -> int:
    """A bitmap of positions below `size` (built in a bytearray: one big int at the end)."""
    buffer = bytearray((size + 7) // 8)
    for position in positions:
        buffer[position >> 3] |= 1 << (position & 7)
    return int.from_bytes(buffer, "little")


def positions(bits: int) -> Iterator[int]:
    """The positions of the set bits, lowest first."""
    if bits <= 0:
        return
    # Skip the empty low bytes at once: the first listing shown may be far down the list.
    skipped = ((bits & -bits).bit_length() - 1) & ~7
    data = (bits >> skipped).to_bytes(((bits.bit_length() - skipped) + 7) // 8, "little")
    for index, byte in enumerate(data, start=skipped >> 3):
        while byte:
            low = byte & -byte
            yield index * 8 + low.bit_length() - 1
            byte ^= low


def without_lowest(bits: int, count: int) -> int:
    """`bits` less its `count` lowest set bits (for paging: skip the earlier pages)."""
    if count <= 0:
        return bits
    if count >= bits.bit_count():
        return 0
    # The shortest prefix of bits holding `count` set bits, by bisection: a dozen
    # popcounts rather than a walk over every bit below the page.
    low, high = 0, bits.bit_length()
    while low < high:
        middle = (low + high) // 2
        if (bits & ((1 << middle) - 1)).bit_count() >= count:
            high = middle
        else:
            low = middle + 1
    return bits >> low << low


def first_positions(bits: int, limit: int, start: int = 0) -> list[int]:
    """Positions of set bits number start..start+limit-1, counting from the lowest."""
    return list(islice(positions(without_lowest(bits, start)), limit))


def first_in_order(classes: Iterable[int], limit: int, start: int = 0) -> list[int]:
    """Paging over several disjoint bitmaps taken one after another: every position of
    the first, then of the second, and so on; positions start..start+limit-1 of that."""
    found: list[int] = []
    for bits in classes:
        if len(found) >= limit:
            break
        count = bits.bit_count()
        if start >= count:
            start -= count
            continue
        found += first_positions(bits, limit - len(found), start)
        start = 0
    return found
