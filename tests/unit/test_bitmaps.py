"""Bitmaps of listings against plain sorted lists, for any set of positions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from directory import bitmaps

SIZE = 3000  # wide enough for many machine words and empty low bytes
sets_of_positions = st.sets(st.integers(min_value=0, max_value=SIZE - 1), max_size=200)


@given(sets_of_positions)
def test_positions_give_back_what_went_in_in_order(chosen):
    bits = bitmaps.from_positions(chosen, SIZE)
    assert bits.bit_count() == len(chosen)
    assert list(bitmaps.positions(bits)) == sorted(chosen)


@given(sets_of_positions, st.integers(0, 250), st.integers(0, 250))
def test_a_page_of_positions_is_that_slice_of_the_sorted_list(chosen, start, limit):
    bits = bitmaps.from_positions(chosen, SIZE)
    assert bitmaps.first_positions(bits, limit, start) == sorted(chosen)[start : start + limit]


@given(st.lists(sets_of_positions, max_size=5), st.integers(0, 400), st.integers(0, 100))
def test_paging_over_bitmaps_taken_in_turn_is_paging_over_their_lists_joined(parts, start, limit):
    # disjoint, as the checker's display order is: each part takes what no earlier one has
    taken: set[int] = set()
    disjoint = []
    for part in parts:
        disjoint.append(sorted(part - taken))
        taken |= part
    classes = [bitmaps.from_positions(p, SIZE) for p in disjoint]
    joined = [position for part in disjoint for position in part]
    assert bitmaps.first_in_order(classes, limit, start) == joined[start : start + limit]


def test_nothing_set_gives_nothing():
    assert list(bitmaps.positions(0)) == []
    assert bitmaps.first_positions(0, 10) == []
    assert bitmaps.without_lowest(0b1011, 3) == 0
    assert bitmaps.without_lowest(0b1011, 2) == 0b1000
