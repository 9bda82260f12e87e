"""The day state's compact key tables behave as a dict of keys to small counts would, stored or not."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.stats.keysets import PackedKeys, key_of

changes = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 3)), max_size=60)


@settings(max_examples=200, deadline=None)
@given(first=changes, second=changes, bits=st.sampled_from([0, 2]))
def test_a_table_answers_like_a_dict_across_merges_and_storage(
    first: list[tuple[int, int]], second: list[tuple[int, int]], bits: int
) -> None:
    keys = [key_of(f"link-{n}", f"visitor-{n}", value_bits=bits) for n in range(41)]
    model: dict[int, int] = {}
    table = PackedKeys(value_bits=bits)
    for batch in (first, second):
        for n, value in batch:
            table.set(keys[n], value)
            model[keys[n]] = value if bits else min(value, 1)  # a plain set holds a key or not
        table = PackedKeys.decode(table.encode(), bits)  # what the next slice loads
        assert list(table.base) == sorted(table.base)
        assert all(table.get(key) == model.get(key, 0) for key in keys)
        assert len(table) == sum(1 for value in model.values() if value)


def test_keys_are_8_bytes_stored_and_a_count_never_overflows_its_bits() -> None:
    table = PackedKeys(value_bits=2)
    table.set(key_of("L1", "address", value_bits=2), 3)
    assert len(table.encode()) == 12  # 8 bytes in base64
    with pytest.raises(ValueError):
        table.set(key_of("L1", "address", value_bits=2), 4)
    assert key_of("a", "bc") != key_of("ab", "c")  # the parts are separated before hashing
    with pytest.raises(ValueError):
        PackedKeys.decode("AAAA")  # 3 bytes: not a whole key
